#!/usr/bin/env python3
"""Benchmark: vectorised sweep throughput and the step engine at 64 TiB.

Every figure is also given as a ratio to a baseline measured in the same run
(the step engine evaluating one 64 GiB SNP 3x3 matrix), so results from
different machines can be compared. Not a test: nothing here asserts a time.

    python bench/bench_sweep.py [--points 10000] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from uefi_accept.engine import Scenario
from uefi_accept.profiles import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile
from uefi_accept.sweep import sweep, sweep_values
from uefi_accept.units import GiB, TiB
from uefi_accept.verdict import evaluate_matrix


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of `repeat` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000, help="sweep points (default 10000)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    ap.add_argument("--sample", type=int, default=24, help="points the engine loop is timed on")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a report")
    args = ap.parse_args()

    fws = [resolve_profile(f, "firmware", "snp") for f in FIRMWARE_ORDER]
    ks = [resolve_profile(k, "kernel", "snp") for k in KERNEL_ORDER]
    cells = len(fws) * len(ks)
    base = Scenario(platform="snp")
    values = sweep_values("ram", GiB, 16 * TiB, args.points)

    # Baseline: the step engine, one 64 GiB matrix (9 boots + the lazy reference).
    baseline = timed(lambda: evaluate_matrix(base, fws, ks), args.repeat)  # type: ignore[arg-type]
    # The vectorised sweep alone, and as the CLI runs it (with change refinement).
    core = timed(
        lambda: sweep(base, "ram", values, fws, ks, refine=False),  # type: ignore[arg-type]
        args.repeat,
    )
    full = timed(lambda: sweep(base, "ram", values, fws, ks), args.repeat)  # type: ignore[arg-type]
    # The step engine at the top of its range: one 64 TiB matrix.
    big = Scenario(platform="snp", ram_bytes=64 * TiB)
    engine_64t = timed(
        lambda: evaluate_matrix(big, fws, ks),  # type: ignore[arg-type]
        max(1, min(args.repeat, 3)),
    )
    # What a Python loop over the engine would cost for the same sweep: time
    # the engine on a log-spaced sample of the sweep's points and scale up.
    sample = values[np.linspace(0, values.size - 1, min(args.sample, values.size)).astype(int)]
    t0 = time.perf_counter()
    for ram in sample.tolist():
        evaluate_matrix(Scenario(platform="snp", ram_bytes=ram), fws, ks)  # type: ignore[arg-type]
    engine_loop = (time.perf_counter() - t0) / sample.size * values.size

    evals = values.size * cells
    result = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "points": int(values.size),
        "cells": cells,
        "baseline_s": baseline,
        "sweep_vectorised_s": core,
        "sweep_with_refinement_s": full,
        "engine_64tib_matrix_s": engine_64t,
        "engine_loop_estimate_s": engine_loop,
        "ratios_to_baseline": {
            "sweep_vectorised": core / baseline,
            "sweep_with_refinement": full / baseline,
            "engine_64tib_matrix": engine_64t / baseline,
            "engine_loop_estimate": engine_loop / baseline,
        },
        "cell_evaluations_per_s": evals / core,
        "speedup_over_engine_loop": engine_loop / core,
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=True)
        print()
        return
    r = result["ratios_to_baseline"]

    def row(label: str, seconds: float, ratio: float) -> None:
        print(f"{label:<52} {seconds * 1e3:10.1f} ms {ratio:9.1f}x baseline")

    py, npv = platform.python_version(), np.__version__
    print(f"uefi-accept sweep benchmark (Python {py}, numpy {npv})")
    row("baseline: step engine, one 64 GiB SNP 3x3 matrix", baseline, 1.0)
    row(f"sweep, {values.size} RAM points x {cells} cells, vectorised", core, r["sweep_vectorised"])
    row("  the same, verdict changes refined to 1 MiB", full, r["sweep_with_refinement"])
    row("step engine, one 64 TiB SNP 3x3 matrix", engine_64t, r["engine_64tib_matrix"])
    row("step engine looped over the sweep (estimated)", engine_loop, r["engine_loop_estimate"])
    print(
        f"throughput {evals / core:,.0f} cell evaluations/s; "
        f"{engine_loop / core:,.0f}x faster than looping over the engine"
    )


if __name__ == "__main__":
    main()
