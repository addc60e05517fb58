"""Built-in profiles and bad profile files: one-line errors, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from uefi_accept.errors import InputError
from uefi_accept.inputs.profile_files import builtin_profiles, load_profile_file, resolve_profile

GOOD_FW = """\
name = "mine"
description = "test firmware"
platforms = ["snp"]
pre_accept = "256M"
handover = "always"
"""


def test_builtins_name_real_firmware_and_kernels() -> None:
    fws = builtin_profiles("firmware")
    seed = {
        (n, (plat,)) for n in ("deployed", "near-future", "far-future") for plat in ("snp", "tdx")
    }
    builds = {
        ("edk2-stable202202", ("snp",)),
        ("edk2-stable202302", ("snp",)),
        ("edk2-stable202208", ("tdx",)),
        ("edk2-stable202211", ("tdx",)),
        ("edk2-stable202302", ("tdx",)),
        ("kata-ovmf-accept-all", ("tdx",)),
        ("td-shim-lazy", ("tdx",)),
    }
    assert {(p.name, tuple(p.platforms)) for p in fws} == seed | builds
    assert all("edk2" in p.description for p in fws if p.name != "td-shim-lazy")
    kernels = builtin_profiles("kernel")
    assert {p.name for p in kernels} == {"unenlightened", "enlightened", "dropped-protocol"}
    assert all("Linux" in p.description for p in kernels)


def test_resolve_builtin_per_platform() -> None:
    assert resolve_profile("near-future", "firmware", "snp").handover == "opt-in"  # type: ignore[union-attr]
    assert resolve_profile("near-future", "firmware", "tdx").handover == "always"  # type: ignore[union-attr]


def test_user_profile_file_loads(tmp_path: Path) -> None:
    p = tmp_path / "fw.toml"
    p.write_text(GOOD_FW)
    fw = resolve_profile(str(p), "firmware", "snp")
    assert fw.name == "mine"
    assert fw.pre_accept_bytes == 256 << 20  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        (GOOD_FW.replace('"always"', '"sometimes"'), "handover", "Invalid enum value"),
        (GOOD_FW.replace('"256M"', '"lots"'), "pre_accept", "not a size"),
        (GOOD_FW.replace('"256M"', '"1M"'), "pre_accept", "below"),
        (GOOD_FW.replace('"always"', '"never"'), "handover", "pre_accept must be 'all'"),
        (GOOD_FW.replace('["snp"]', '["tdx"]').replace('"always"', '"opt-in"'), "handover", "tdx"),
        (GOOD_FW.replace('name = "mine"\n', ""), "name", "required field is missing"),
        (GOOD_FW + "colour = 'blue'\n", "colour", "unknown field"),
        (GOOD_FW.replace('["snp"]', "[]"), "platforms", "at least one"),
        (GOOD_FW.replace('["snp"]', '"snp"'), "platforms", "Expected `array`"),
    ],
)
def test_bad_firmware_profile_names_file_and_field(
    tmp_path: Path, text: str, field: str, problem: str
) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.source == str(p)
    assert exc.value.field == field
    assert problem in exc.value.problem
    assert "\n" not in exc.value.one_line()


def test_malformed_toml(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text("name = \n")
    with pytest.raises(InputError, match="malformed profile"):
        load_profile_file(p, "firmware")


def test_inconsistent_kernel(tmp_path: Path) -> None:
    p = tmp_path / "k.toml"
    p.write_text(
        'name = "k"\ndescription = "d"\nunaccepted_memory = false\ncalls_protocol = true\n'
        'platforms = ["snp"]\n'
    )
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "kernel")
    assert exc.value.field == "calls_protocol"


def test_unknown_name_lists_builtins() -> None:
    with pytest.raises(InputError) as exc:
        resolve_profile("mid-future", "firmware", "snp")
    assert "deployed" in exc.value.problem
    assert exc.value.field == "--fw"


def test_firmware_file_for_another_platform(tmp_path: Path) -> None:
    p = tmp_path / "fw.toml"
    p.write_text(GOOD_FW)
    with pytest.raises(InputError, match="does not run on tdx"):
        resolve_profile(str(p), "firmware", "tdx")


@pytest.mark.parametrize("name", ["", "two\nlines", "evil\u202ename", "x" * 65, "-dash"])
def test_profile_names_are_plain(tmp_path: Path, name: str) -> None:
    p = tmp_path / "fw.toml"
    p.write_text(GOOD_FW.replace('name = "mine"', f"name = {name!r}".replace("'", '"')))
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.field == "name"


def test_kernel_version_must_look_like_one(tmp_path: Path) -> None:
    p = tmp_path / "k.toml"
    p.write_text(
        'name = "k"\ndescription = "d"\nunaccepted_memory = true\ncalls_protocol = true\n'
        'platforms = ["snp"]\nversion = "banana"\n'
    )
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "kernel")
    assert exc.value.field == "version"
