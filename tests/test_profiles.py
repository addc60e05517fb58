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


# -- "did you mean", every problem at once, integer sizes (issue 10) --------------------


@pytest.mark.parametrize(
    ("ref", "kind", "meant"),
    [
        ("near-futur", "firmware", "near-future"),
        ("near_future", "firmware", "near-future"),
        ("Far-Future", "firmware", "far-future"),
        ("Enlightened", "kernel", "enlightened"),
        ("unenlightend", "kernel", "unenlightened"),
    ],
)
def test_unknown_profile_name_suggests_the_closest(ref: str, kind: str, meant: str) -> None:
    with pytest.raises(InputError) as exc:
        resolve_profile(ref, kind, "snp")
    assert f"unknown {kind} profile {ref!r}: did you mean {meant!r}?" in exc.value.problem


def test_a_far_name_gets_no_suggestion_but_the_list() -> None:
    with pytest.raises(InputError) as exc:
        resolve_profile("qwerty", "firmware", "snp")
    assert "did you mean" not in exc.value.problem and "built-in: deployed" in exc.value.problem


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        ("acept_vcpus = 'all'", "acept_vcpus", "unknown field for a firmware profile: "
         "did you mean 'accept_vcpus'?"),
        ('"pre-accept" = "1G"', "pre-accept", "did you mean 'pre_accept'?"),
        ("Handover = 'always'", "Handover", "did you mean 'handover'?"),
        ("colour = 'blue'", "colour", "unknown field for a firmware profile"),
    ],
)  # fmt: skip
def test_unknown_key_suggests_the_field(tmp_path: Path, line: str, field: str, problem: str):
    p = tmp_path / "fw.toml"
    p.write_text(GOOD_FW + line + "\n")
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.field == field and exc.value.problem.endswith(problem)
    if field == "colour":
        assert "did you mean" not in exc.value.problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("lazy", "Invalid enum value 'lazy' (one of: never, opt-in, always)"),
        ("opt_in", "Invalid enum value 'opt_in': did you mean 'opt-in'? (one of: never, "
         "opt-in, always)"),
        ("ALWAYS", "did you mean 'always'?"),
    ],
)  # fmt: skip
def test_bad_enum_value_lists_the_values(tmp_path: Path, value: str, problem: str) -> None:
    p = tmp_path / "fw.toml"
    p.write_text(GOOD_FW.replace('"always"', f'"{value}"'))
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.field == "handover" and problem in exc.value.problem


def test_every_problem_of_a_profile_in_one_line(tmp_path: Path) -> None:
    p = tmp_path / "fw.toml"
    p.write_text(
        'name = "x y"\ndescription = "d"\nplatforms = ["snp", "sev"]\npre_accept = "1M"\n'
        'handover = "lazy"\nacept_vcpus = "all"\n'
    )
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    line = exc.value.one_line()
    assert exc.value.field is None and "\n" not in line
    assert line == (
        f"{p}: 3 problems: platforms[1]: Invalid enum value 'sev' (one of: snp, tdx); "
        "handover: Invalid enum value 'lazy' (one of: never, opt-in, always); "
        "acept_vcpus: unknown field for a firmware profile: did you mean 'accept_vcpus'?"
    )
    # Once each field is valid on its own, the checks across fields all show at once too.
    p.write_text(
        'name = "x y"\ndescription = "d"\nplatforms = ["tdx"]\npre_accept = "1M"\n'
        'handover = "opt-in"\n'
    )
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.problem.startswith("3 problems: name: 'x y' is not a profile name")
    assert "pre_accept: 1 MiB is below the 64 MiB" in exc.value.problem
    assert "handover: 'opt-in' needs the SEV acceptance protocol" in exc.value.problem


def test_many_problems_are_counted_not_all_printed(tmp_path: Path) -> None:
    p = tmp_path / "fw.toml"
    p.write_text(GOOD_FW + "".join(f"junk{i} = {i}\n" for i in range(1000)))
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.problem.startswith("1000 problems: junk0: unknown field")
    assert exc.value.problem.endswith("and 995 more") and len(exc.value.one_line()) < 600


def test_missing_fields_are_named_together(tmp_path: Path) -> None:
    p = tmp_path / "fw.toml"
    p.write_text('name = "x"\n')
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.problem == (
        "required fields are missing: description, platforms, pre_accept, handover"
    )


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        (GOOD_FW.replace('"256M"', "268435456"), "pre_accept_bytes", 256 << 20),
        (
            'name = "k"\ndescription = "d"\nunaccepted_memory = true\ncalls_protocol = true\n'
            'platforms = ["snp"]\nmin_memory = 1073741824\nimage_size = 50331648\n',
            "image_bytes",
            48 << 20,
        ),
    ],
)
def test_sizes_may_be_integers_of_bytes(tmp_path: Path, text: str, field: str, value: int):
    p = tmp_path / "p.toml"
    p.write_text(text)
    profile = load_profile_file(p, "firmware" if "handover" in text else "kernel")
    assert getattr(profile, field) == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("256", "256 is 256 bytes, below the 64 MiB the firmware needs for itself; a bare "
         "number is bytes (QEMU's -m and Kata read MiB): did you mean 256M?"),
        ("1.5", 'expected a size: a string such as "256M" or a whole number of bytes, got `float`'),
        ("true", 'expected a size: a string such as "256M" or a whole number of bytes, got `bool`'),
        ("-1", "not a size: '-1'"),
        ("9007199254740992", "is more than 4 PiB, the 52-bit physical address limit"),
    ],
)  # fmt: skip
def test_integer_sizes_are_checked_like_strings(tmp_path: Path, value: str, problem: str):
    p = tmp_path / "fw.toml"
    p.write_text(GOOD_FW.replace('"256M"', value))
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "firmware")
    assert exc.value.field == "pre_accept" and problem in exc.value.problem


def test_a_kernel_profile_given_as_firmware_says_so(tmp_path: Path) -> None:
    p = tmp_path / "k.toml"
    p.write_text(
        'name = "k"\ndescription = "d"\nunaccepted_memory = true\ncalls_protocol = true\n'
        'platforms = ["snp"]\n'
    )
    with pytest.raises(InputError, match=r"this is a kernel profile, not a firmware profile"):
        load_profile_file(p, "firmware")


def test_a_kernel_min_memory_beyond_the_address_limit_is_refused(tmp_path: Path) -> None:
    # It once reached the engine's int64 arrays (OverflowError, exit 3).
    p = tmp_path / "k.toml"
    p.write_text(
        'name = "k"\ndescription = "d"\nunaccepted_memory = true\ncalls_protocol = true\n'
        'platforms = ["snp"]\nmin_memory = "15E"\n'
    )
    with pytest.raises(InputError) as exc:
        load_profile_file(p, "kernel")
    assert exc.value.field == "min_memory" and "52-bit" in exc.value.problem


def test_builtin_names_never_reach_outside_the_package() -> None:
    from uefi_accept.inputs.profile_files import builtin

    assert builtin("firmware", "../kernel/enlightened", "snp") is None
    assert builtin("kernel", "..", "snp") is None
