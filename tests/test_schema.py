"""The published JSON contract: every `--format json` document validates against
its schema (draft 2020-12), the shipped schemas are what the records generate,
profile files have schemas editors can use, and `uefi-accept schema` prints them."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from uefi_accept.inputs.documents import DOCUMENTS
from uefi_accept.inputs.profile_files import BUILTIN_DIR
from uefi_accept.inputs.schemas import (
    KINDS,
    PROFILE_KINDS,
    SCHEMA_DIR,
    dump_schema,
    file_name,
    schemas,
    write_schemas,
)
from uefi_accept.render import Kind

ROOT = Path(__file__).resolve().parent.parent
MATRICES = ROOT / "matrices"
LOGS = sorted((ROOT / "tests" / "logs").glob("*.txt"))
CONFIGS = sorted((ROOT / "tests" / "configs").glob("kernel-config-*"))
# Logs with an EFI memory map of a guest big enough to boot (--memmap).
OVMF_LOG = "ovmf-qemu-3G-kernel-5.6-efi-debug-memmap-linux-efi-2020-03.txt"
SNP_LOG = "snp-guest-efi-memmap-Unaccepted-snippet-lkml-rfc-hotplug-2025-12.txt"
CliRun = Callable[..., Any]


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, Any]]:
    return schemas()


def shipped(kind: str) -> dict[str, Any]:
    return json.loads((Path(SCHEMA_DIR) / file_name(kind)).read_text(encoding="utf-8"))


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(shipped(kind))


def errors(kind: str, doc: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(kind).iter_errors(doc)
    ]


def json_doc(cli_run: CliRun, *args: str, codes: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    r = cli_run(*args, "--format", "json")
    assert r.code in codes, (args, r.code, r.err)
    data = json.loads(r.out)
    assert isinstance(data, dict)
    return data


def assert_valid(kind: str, doc: dict[str, Any]) -> None:
    assert doc["kind"] == kind
    assert doc["schema_version"] == DOCUMENTS[kind][1]
    problems = errors(kind, doc)
    assert not problems, problems[:5]


# -- the schemas themselves -------------------------------------------------------------


def test_every_output_kind_has_a_document_and_a_schema() -> None:
    assert set(DOCUMENTS) == {k.value for k in Kind}
    assert (*DOCUMENTS, *PROFILE_KINDS) == KINDS


def test_shipped_schemas_are_what_the_records_generate(generated: dict[str, Any]) -> None:
    stale = [
        kind
        for kind, schema in generated.items()
        if not (Path(SCHEMA_DIR) / file_name(kind)).is_file()
        or (Path(SCHEMA_DIR) / file_name(kind)).read_text(encoding="utf-8") != dump_schema(schema)
    ]
    assert not stale, f"rewrite the shipped schemas: python -m uefi_accept.inputs.schemas ({stale})"
    files = sorted(p.name for p in Path(SCHEMA_DIR).glob("*.json"))
    assert files == sorted(file_name(k) for k in KINDS), "a schema no kind has any more"


def test_writing_the_schemas_removes_stale_ones(tmp_path: Path) -> None:
    (tmp_path / "matrix-0.json").write_text("{}")
    written = write_schemas(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == written
    for name in written:
        assert (tmp_path / name).read_bytes() == (Path(SCHEMA_DIR) / name).read_bytes()


def test_a_missing_schema_file_is_generated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, generated: dict[str, Any]
) -> None:
    import uefi_accept.inputs.schemas as mod

    monkeypatch.setattr(mod, "SCHEMA_DIR", str(tmp_path))
    assert json.loads(mod.schema_text("sweep")) == generated["sweep"]


def test_profile_fields_are_described_from_the_model(generated: dict[str, Any]) -> None:
    """The comments in model/profiles.py are the descriptions editors show."""
    fw = generated["firmware-profile"]["properties"]
    assert "below-4g" in fw["pre_accept"]["description"]
    handover = fw["handover"]["description"]
    assert all(f"{v}: " in handover for v in ("never", "opt-in", "always"))
    kernel = generated["kernel-profile"]["properties"]
    assert "AllowUnacceptedMemory()" in kernel["calls_protocol"]["description"]


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_draft_2020_12(kind: str, generated: dict[str, Any]) -> None:
    schema = generated[kind]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + file_name(kind))
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    refs = _refs(schema)
    assert refs <= set(schema.get("$defs", {})), refs - set(schema.get("$defs", {}))
    if kind in DOCUMENTS:
        props = schema["properties"]
        assert props["kind"]["enum"] == [kind]
        assert props["schema_version"]["enum"] == [DOCUMENTS[kind][1]]
        assert {"kind", "schema_version"} <= set(schema["required"])


@pytest.mark.parametrize("kind", PROFILE_KINDS)
def test_profile_schemas_are_whole_for_editors(kind: str, generated: dict[str, Any]) -> None:
    """No $ref and no $defs: Taplo reads older drafts."""
    text = json.dumps(generated[kind])
    assert "$ref" not in text and "$defs" not in text


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_is_described(kind: str, generated: dict[str, Any]) -> None:
    schema = generated[kind]
    missing = [
        f"{where}.{name}"
        for where, node in [("", schema), *schema.get("$defs", {}).items()]
        for name, prop in node.get("properties", {}).items()
        if "description" not in prop and "$ref" not in prop.get("items", prop)
    ]
    assert not missing, (
        f"{missing}: add Meta(description=...) in inputs/documents.py, or a comment above "
        "the field in the model (or inputs.schemas.FIELD_DESCRIPTIONS)"
    )


def test_literals_follow_the_enums_they_copy(generated: dict[str, Any]) -> None:
    from uefi_accept.analyses.check import ChangeClass, Direction
    from uefi_accept.analyses.diagnosis import Verdict as InspectVerdict
    from uefi_accept.analyses.sweep import PARAMS
    from uefi_accept.analyses.upgrades import LESS_USABLE, SLOWER, WORSE_VERDICT

    def enum(kind: str, *path: str) -> set[Any]:
        node: Any = generated[kind]
        for key in path:
            node = node[key]
        return set(node["enum"])

    assert enum("inspect", "properties", "verdict") == {v.value for v in InspectVerdict}
    assert enum("check", "$defs", "FieldChangeDoc", "properties", "direction") == {
        d.value for d in Direction
    }
    assert enum("check", "properties", "ignore", "items") == {c.value for c in ChangeClass}
    assert enum("sweep", "properties", "parameter") == set(PARAMS)
    assert enum("upgrades", "$defs", "UpgradeStepDoc", "properties", "worse", "items") == {
        WORSE_VERDICT,
        LESS_USABLE,
        SLOWER,
    }


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {node["$ref"].rsplit("/", 1)[1]} if isinstance(node.get("$ref"), str) else set()
        return own.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


# -- every output kind validates ------------------------------------------------------------

RUNS = [
    ("--fw", "far-future", "--kernel", "enlightened"),
    ("--platform", "tdx", "--ram", "1T", "--fw", "deployed", "--kernel", "unenlightened"),
    ("--fw", "near-future", "--kernel", "dropped-protocol", "--ram", "16G", "--loader", "grub"),
    ("--fw", "near-future", "--kernel", "unenlightened", "--host-page-size", "4k"),
    ("--fw", "far-future", "--kernel", "unenlightened", "--pre-accept", "1G", "--vcpus", "1"),
]


@pytest.mark.parametrize("args", RUNS)
def test_run_validates(cli_run: CliRun, args: tuple[str, ...]) -> None:
    doc = json_doc(cli_run, "run", *args)
    assert_valid("run", doc)
    assert doc["events"], "run writes the timeline"


MATRICES_ARGS = [
    (),
    ("--platform", "tdx", "--ram", "4G", "--vcpus", "1"),
    ("--layout", "low-3g", "--loader", "grub-legacy", "--ram", "200G"),
    ("--ram", "2T", "--host-page-size", "4k", "--slow-ratio", "1.2"),
]


@pytest.mark.parametrize("args", MATRICES_ARGS)
def test_matrix_validates(cli_run: CliRun, args: tuple[str, ...]) -> None:
    assert_valid("matrix", json_doc(cli_run, "matrix", *args))


@pytest.mark.parametrize("log", [OVMF_LOG, SNP_LOG])
def test_run_over_a_real_memory_map_validates(cli_run: CliRun, log: str) -> None:
    path = str(ROOT / "tests" / "logs" / log)
    assert_valid("run", json_doc(cli_run, "run", "--memmap", path, "--kernel", "enlightened"))


@pytest.mark.parametrize("log", [OVMF_LOG, SNP_LOG])
def test_matrix_over_a_real_memory_map_validates(cli_run: CliRun, log: str) -> None:
    path = str(ROOT / "tests" / "logs" / log)
    assert_valid("matrix", json_doc(cli_run, "matrix", "--memmap", path))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_matrix_with_a_kernel_config_validates(cli_run: CliRun, config: Path) -> None:
    assert_valid("matrix", json_doc(cli_run, "matrix", "--kernel-config", str(config)))


@pytest.mark.parametrize("golden", sorted(MATRICES.glob("*.json")), ids=lambda p: p.name)
def test_stored_goldens_validate(golden: Path) -> None:
    assert_valid("matrix", json.loads(golden.read_text()))


def _perturbed(tmp_path: Path) -> Path:
    d = tmp_path / "goldens"
    d.mkdir()
    for name in ("snp-4g.json", "tdx-64g.json"):
        shutil.copy(MATRICES / name, d / name)
    doc = json.loads((d / "snp-4g.json").read_text())
    cell = doc["cells"][0]
    cell["boot_time_s"] *= 3
    cell["usable_bytes"] += 4096
    cell["reason"] = "Another sentence."
    doc["reference_boot_time_s"] *= 2
    (d / "snp-4g.json").write_text(json.dumps(doc, indent=2))
    return d


def test_check_validates(cli_run: CliRun, tmp_path: Path) -> None:
    assert_valid("check", json_doc(cli_run, "check", str(MATRICES)))
    d = _perturbed(tmp_path)
    doc = json_doc(cli_run, "check", "--ignore", "explanation", "--tolerance", "0", str(d))
    assert_valid("check", doc)
    changed = next(f for f in doc["files"] if f["file"].endswith("snp-4g.json"))
    assert changed["changed"] and changed["matrix_changes"]
    cell = next(c for c in changed["changes"] if c["explanations"])
    assert cell["figures"] and doc["ignore"] == ["explanation"]
    # A file that cannot be read: an entry with its error (exit 2, still a document).
    (d / "broken.json").write_text("{not json")
    doc = json_doc(cli_run, "check", str(d), codes=(2,))
    assert_valid("check", doc)
    assert [f for f in doc["files"] if "error" in f and "cells_checked" not in f]
    # --update rewrites the changed file.
    (d / "broken.json").unlink()
    doc = json_doc(cli_run, "check", "--update", str(d))
    assert_valid("check", doc)
    assert any(f["updated"] for f in doc["files"])


@pytest.mark.parametrize(
    "args", [(), ("--platform", "tdx", "--ram", "1T"), ("--ram", "4G", "--slow-ratio", "1.1")]
)
def test_upgrades_validates(cli_run: CliRun, args: tuple[str, ...]) -> None:
    doc = json_doc(cli_run, "upgrades", *args)
    assert_valid("upgrades", doc)


def test_upgrades_with_regressions_validates(cli_run: CliRun) -> None:
    doc = json_doc(cli_run, "upgrades", codes=(1,))
    assert doc["regressions"] and "from" in doc["regressions"][0]
    assert_valid("upgrades", doc)


@pytest.mark.parametrize(
    "args",
    [
        ("--ram", "1G..1T"),
        ("--ram", "2G..64G", "--platform", "tdx", "--points", "5"),
        ("--vcpus", "1..16", "--ram", "256G"),
        ("--pre-accept", "256M..4G", "--ram", "16G", "--fw", "far-future"),
    ],
)
def test_sweep_validates(cli_run: CliRun, args: tuple[str, ...]) -> None:
    doc = json_doc(cli_run, "sweep", *args)
    assert_valid("sweep", doc)
    swept = {"ram": "ram_bytes", "vcpus": "vcpus", "pre_accept": "pre_accept"}[doc["parameter"]]
    assert doc["scenario"][swept] is None


@pytest.mark.parametrize("args", [(), ("--platform", "tdx", "--tolerance", "0.01")])
def test_validate_validates(cli_run: CliRun, args: tuple[str, ...]) -> None:
    assert_valid("validation", json_doc(cli_run, "validate", *args))


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_inspect_validates(cli_run: CliRun, log: Path) -> None:
    assert_valid("inspect", json_doc(cli_run, "inspect", str(log)))


def test_profiles_validates(cli_run: CliRun) -> None:
    assert_valid("profiles", json_doc(cli_run, "profiles"))


# -- profile files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted(Path(BUILTIN_DIR).glob("*/*.toml")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_builtin_profile_files_validate(path: Path) -> None:
    kind = f"{path.parent.name}-profile"
    data = tomllib.loads(path.read_text())
    assert not errors(kind, data)


def test_a_schema_directive_leaves_a_profile_readable(tmp_path: Path, cli_run: CliRun) -> None:
    """The Taplo directive the README shows is a comment: the file still loads."""
    src = (Path(BUILTIN_DIR) / "firmware" / "far-future-snp.toml").read_text()
    path = tmp_path / "mine.toml"
    path.write_text("#:schema ./firmware-profile.json\n" + src.replace("far-future", "mine", 1))
    assert not errors("firmware-profile", tomllib.loads(path.read_text()))
    doc = json_doc(cli_run, "run", "--fw", str(path), "--kernel", "enlightened")
    assert doc["firmware"] == "mine"


# -- documents that must fail -------------------------------------------------------------


def _builtin(kind: str, name: str) -> dict[str, Any]:
    return tomllib.loads((Path(BUILTIN_DIR) / kind / name).read_text())


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        ("firmware", lambda d: d.update(acept_vcpus="all"), "acept_vcpus"),
        ("firmware", lambda d: d.update(handover="lazy"), "lazy"),
        ("firmware", lambda d: d.pop("name"), "name"),
        ("firmware", lambda d: d.update(platforms=["sev"]), "sev"),
        ("kernel", lambda d: d.update(unaccepted_memory="yes"), "yes"),
        ("kernel", lambda d: d.update(accept_memory="sometimes"), "sometimes"),
    ],
)
def test_invalid_profiles_fail(kind: str, change: Callable[..., Any], expected: str) -> None:
    name = "near-future-snp.toml" if kind == "firmware" else "enlightened.toml"
    data = _builtin(kind, name)
    change(data)
    problems = errors(f"{kind}-profile", data)
    assert problems and expected in " ".join(problems)


@pytest.fixture(scope="module")
def matrix_doc() -> dict[str, Any]:
    return json.loads((MATRICES / "snp-4g.json").read_text())


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(kind="run"),
        lambda d: d.update(schema_version=2),
        lambda d: d.pop("schema_version"),
        lambda d: d.update(extra=1),
        lambda d: d["cells"][0].update(verdict="maybe"),
        lambda d: d["cells"][0].update(usable_bytes=-1),
        lambda d: d["cells"][0].pop("reason"),
        lambda d: d["scenario"].update(vcpus=0),
        lambda d: d["scenario"].update(host_page_size=8192),
        lambda d: d["profiles"]["firmware"][0].update(handover="lazy"),
        lambda d: d["profiles"]["kernel"].append(42),
    ],
)
def test_invalid_matrices_fail(matrix_doc: dict[str, Any], change: Callable[..., Any]) -> None:
    doc = json.loads(json.dumps(matrix_doc))
    change(doc)
    assert errors("matrix", doc)


def test_a_run_document_needs_its_kind(cli_run: CliRun) -> None:
    doc = json_doc(cli_run, "run", "--fw", "far-future", "--kernel", "enlightened")
    doc.pop("kind")  # what `run --format json` wrote before it had one
    assert errors("run", doc)
    assert errors("matrix", {**doc, "kind": "matrix"})


def test_a_checked_file_is_an_error_or_a_result_never_both(cli_run: CliRun) -> None:
    doc = json_doc(cli_run, "check", str(MATRICES / "snp-4g.json"))
    doc["files"][0]["error"] = "both"
    assert errors("check", doc)
    doc["files"][0] = {"file": "x.json", "changed": False, "updated": False}
    assert errors("check", doc)


# -- `uefi-accept schema` --------------------------------------------------------------------


def test_schema_lists_the_kinds(cli_run: CliRun) -> None:
    r = cli_run("schema")
    assert r.code == 0
    listed = [line.split()[0] for line in r.out.splitlines()]
    assert listed == list(KINDS)
    assert all(len(line) < 80 for line in r.out.splitlines())


@pytest.mark.parametrize("kind", KINDS)
def test_schema_prints_the_shipped_file(cli_run: CliRun, kind: str) -> None:
    r = cli_run("schema", kind)
    assert r.code == 0, r.err
    assert r.out == (Path(SCHEMA_DIR) / file_name(kind)).read_text(encoding="utf-8")
    assert json.loads(r.out) == shipped(kind)


def test_schema_writes_a_file(cli_run: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "fw.schema.json"
    r = cli_run("schema", "firmware-profile", "-o", str(out))
    assert r.code == 0 and r.out == ""
    assert json.loads(out.read_text()) == shipped("firmware-profile")


def test_schema_takes_the_command_name_for_its_document(cli_run: CliRun) -> None:
    assert cli_run("schema", "validate").out == cli_run("schema", "validation").out


def test_unknown_schema_kind_is_an_input_error(cli_run: CliRun) -> None:
    r = cli_run("schema", "matrx")
    assert r.code == 2
    assert "did you mean 'matrix'" in r.err
    assert r.err.count("\n") == 1


def test_the_schemas_ship_in_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "schemas/*.json" in config["tool"]["setuptools"]["package-data"]["uefi_accept"]
