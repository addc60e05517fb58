"""uefi-accept benchmarks: process time and peak memory as ratios measured in
one run, so they compare between machines (a shared, noisy machine moves
milliseconds, not ratios). Every command runs in turn, round after round, and
each figure is the median of its rounds. Nothing here asserts a time; the
targets are printed next to each ratio.

    python bench/bench.py              # the report
    python bench/bench.py --json       # the same figures as JSON
    python bench/bench.py --repeat 15  # more rounds

Bytecode caching is switched on for the measured processes (an installed
package has its .pyc files; PYTHONDONTWRITEBYTECODE would make every run
compile the sources again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

PY = sys.executable
CLI = [PY, "-m", "uefi_accept"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
BASE_IMPORTS = "import numpy, rich.console, click"


@dataclass(frozen=True)
class Case:
    name: str
    command: list[str]
    baseline: str | None = None
    target: float | None = None  # at most this many times the baseline
    memory_target: float | None = None  # peak RSS, at most this many times the baseline's


CASES = [
    Case(BASE_IMPORTS, [PY, "-c", BASE_IMPORTS]),
    Case("import click", [PY, "-c", "import click"]),
    Case("uefi-accept --help", [*CLI, "--help"], "import click", 1.2),
    Case("uefi-accept matrix", [*CLI, "matrix"], BASE_IMPORTS, 1.3),
    Case("matrix --ram 64G (json)", [*CLI, "matrix", "--ram", "64G", "--format", "json"]),
    Case(
        "matrix --ram 64T (json)",
        [*CLI, "matrix", "--ram", "64T", "--format", "json"],
        "matrix --ram 64G (json)",
        1.3,
        1.2,
    ),
    Case(
        "sweep, 10,000 RAM points x 9",
        [*CLI, "sweep", "--ram", "1G..16T", "--points", "10000", "--format", "json"],
        "uefi-accept matrix",
        3.0,
    ),
]


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall time (s) and peak RSS (KiB) of one process."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss


def measure(repeat: int) -> dict[str, tuple[float, int]]:
    for case in CASES:  # warm-up: file cache, .pyc files
        run(case.command)
    rounds: dict[str, list[tuple[float, int]]] = {c.name: [] for c in CASES}
    for _ in range(repeat):
        for case in CASES:
            rounds[case.name].append(run(case.command))
    return {
        name: (statistics.median(t for t, _ in r), max(m for _, m in r))
        for name, r in rounds.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    figures = measure(args.repeat)
    rows = []
    for c in CASES:
        t, mem = figures[c.name]
        row = {"name": c.name, "seconds": round(t, 4), "peak_rss_kib": mem, "baseline": c.baseline}
        if c.baseline:
            base_t, base_mem = figures[c.baseline]
            row |= {"ratio": round(t / base_t, 3), "target": c.target}
            if c.memory_target:
                row |= {"memory_ratio": round(mem / base_mem, 3), "memory_target": c.memory_target}
        rows.append(row)
    env = {"python": platform.python_version(), "cpus": os.cpu_count(), "repeat": args.repeat}
    if args.json:
        print(json.dumps({"environment": env, "figures": rows}, indent=2))
        return
    print(
        f"uefi-accept benchmark: Python {env['python']}, {env['cpus']} CPUs, "
        f"median of {args.repeat}"
    )
    for r in rows:
        line = (
            f"  {r['name']:<30} {r['seconds'] * 1000:8.1f} ms {r['peak_rss_kib'] / 1024:6.1f} MiB"
        )
        if r["baseline"]:
            ok = "ok" if r["ratio"] <= r["target"] else "MISSED"
            line += f"  {r['ratio']:5.2f}x {r['baseline']} (target {r['target']}x: {ok})"
        print(line)
        if "memory_ratio" in r:
            ok = "ok" if r["memory_ratio"] <= r["memory_target"] else "MISSED"
            print(
                f"  {'':<30} peak memory {r['memory_ratio']:.2f}x "
                f"(target {r['memory_target']}x: {ok})"
            )


if __name__ == "__main__":
    main()
