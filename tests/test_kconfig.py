"""Kernel profile fields from real .config files and fragments (tests/configs/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uefi_accept.errors import InputError
from uefi_accept.inputs.kconfig import kernel_fields_from_config

CONFIGS = Path(__file__).parent / "configs"
KEYS = {
    "name",
    "description",
    "unaccepted_memory",
    "calls_protocol",
    "accept_memory",
    "platforms",
    "efi_stub",
    "version",
}


def fields(name: str, **kw: str) -> dict:
    path = CONFIGS / name
    return kernel_fields_from_config(path.read_text(encoding="utf-8"), str(path), **kw)


def test_talos_6_18_full_config() -> None:
    f = fields("kernel-config-talos-6.18.45-amd64-snp-unaccepted-excerpt.txt")
    # 6.18.45 has the accept storm (6.14+), and the table fix (6.18.14+).
    assert set(f) == KEYS | {"accept_storm", "hotplug_accept_deadlock", "table_reservation"}
    assert f == {
        "name": "kernel-config-talos-6.18.45-amd64-snp-unaccepted-excerpt",
        "description": f["description"],
        "unaccepted_memory": True,
        "calls_protocol": True,
        "accept_memory": "lazy",
        "platforms": ["snp"],
        "efi_stub": True,
        "version": "6.18.45",
        "accept_storm": True,
        "hotplug_accept_deadlock": False,
        "table_reservation": "fixed",
    }
    assert "6.18.45" in f["description"]
    assert "UNACCEPTED_MEMORY=y" in f["description"]
    assert "INTEL_TDX_GUEST=n" in f["description"]


@pytest.mark.parametrize(
    ("name", "platforms", "efi_stub"),
    [
        ("kernel-config-fragment-kata-snp.conf.txt", ["snp"], True),
        ("kernel-config-fragment-kata-tdx.conf.txt", ["tdx"], True),
        # No EFI_STUB line: a fragment inherits it from its base config.
        ("kernel-config-fragment-flashbots-tdx-guest.cfg.txt", ["tdx"], True),
    ],
)
def test_fragments_without_version_do_not_assume_support(
    name: str, platforms: list[str], efi_stub: bool
) -> None:
    f = fields(name)
    assert set(f) == KEYS
    assert f["version"] is None
    assert f["platforms"] == platforms
    assert f["efi_stub"] is efi_stub
    # Fragments never list UNACCEPTED_MEMORY; the select implies it only on 6.5+.
    assert f["unaccepted_memory"] is False
    assert f["calls_protocol"] is False
    assert "version unknown" in f["description"]
    assert "only on 6.5+" in f["description"]


@pytest.mark.parametrize(
    ("name", "calls"),
    [
        ("kernel-config-fragment-kata-snp.conf.txt", True),
        ("kernel-config-fragment-kata-tdx.conf.txt", True),
        ("kernel-config-fragment-flashbots-tdx-guest.cfg.txt", True),  # stub from base
    ],
)
def test_fragments_with_a_6_5_plus_version_select_support(name: str, calls: bool) -> None:
    f = fields(name, version="6.8.0")
    assert f["version"] == "6.8.0"
    assert f["unaccepted_memory"] is True
    assert f["calls_protocol"] is calls
    assert "selects UNACCEPTED_MEMORY" in f["description"]


def test_full_config_without_the_stub_option_has_no_stub() -> None:
    text = HEADER.format(v="6.8.0") + "CONFIG_INTEL_TDX_GUEST=y\n"
    f = kernel_fields_from_config(text, "config-6.8")
    assert f["efi_stub"] is False
    assert f["unaccepted_memory"] is True and f["calls_protocol"] is False


def test_fragment_on_an_old_kernel_has_no_support() -> None:
    f = fields("kernel-config-fragment-kata-snp.conf.txt", version="6.1.0")
    assert f["unaccepted_memory"] is False
    assert f["calls_protocol"] is False
    assert "before Linux 6.5" in f["description"]


def test_names_from_file_names() -> None:
    assert fields("kernel-config-fragment-kata-snp.conf.txt")["name"] == (
        "kernel-config-fragment-kata-snp"
    )
    cfg = "CONFIG_EFI_STUB=y\n"
    assert kernel_fields_from_config(cfg, "/boot/config-6.8.0-49-generic")["name"] == (
        "config-6.8.0-49-generic"
    )
    assert kernel_fields_from_config(cfg, ".config")["name"] == "kernel-config"
    assert kernel_fields_from_config(cfg, "<stdin>")["name"] == "kernel-config"
    assert kernel_fields_from_config(cfg, r"C:\cfg\My Guest.cfg")["name"] == "my-guest"


HEADER = "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 {v} Kernel Configuration\n"


def test_full_config_6_5_with_amd_mem_encrypt_only() -> None:
    text = HEADER.format(v="6.5.0") + "CONFIG_AMD_MEM_ENCRYPT=y\nCONFIG_EFI_STUB=y\n"
    f = kernel_fields_from_config(text, "config-6.5")
    assert f["unaccepted_memory"] is True
    assert f["calls_protocol"] is True
    assert f["platforms"] == ["snp"]


def test_full_config_6_4_snp_guest_has_no_support() -> None:
    text = HEADER.format(v="6.4.16") + "CONFIG_AMD_MEM_ENCRYPT=y\nCONFIG_EFI_STUB=y\n"
    f = kernel_fields_from_config(text, "config-6.4")
    assert f["version"] == "6.4.16"
    assert f["unaccepted_memory"] is False
    assert f["calls_protocol"] is False
    assert f["platforms"] == ["snp"]


def test_pre_6_5_backport_is_flagged_not_modelled() -> None:
    text = HEADER.format(v="5.15.0") + "CONFIG_UNACCEPTED_MEMORY=y\nCONFIG_EFI_STUB=y\n"
    f = kernel_fields_from_config(text, "config-5.15-azure")
    assert f["unaccepted_memory"] is False
    assert "backport" in f["description"]


def test_unknown_version_with_explicit_option_is_assumed_6_5_plus() -> None:
    f = kernel_fields_from_config("CONFIG_UNACCEPTED_MEMORY=y\nCONFIG_EFI_STUB=y\n", "frag")
    assert f["unaccepted_memory"] is True
    assert f["calls_protocol"] is True
    assert f["version"] is None
    assert "assumed 6.5+" in f["description"]


def test_no_efi_stub_means_no_protocol_call() -> None:
    text = HEADER.format(v="6.10.0") + "CONFIG_INTEL_TDX_GUEST=y\n# CONFIG_EFI_STUB is not set\n"
    f = kernel_fields_from_config(text, "c")
    assert f["unaccepted_memory"] is True
    assert f["efi_stub"] is False
    assert f["calls_protocol"] is False


def test_both_platforms() -> None:
    text = HEADER.format(v="6.12.1") + "CONFIG_AMD_MEM_ENCRYPT=y\nCONFIG_INTEL_TDX_GUEST=y\n"
    assert kernel_fields_from_config(text, "c")["platforms"] == ["snp", "tdx"]


def test_version_override_beats_the_header() -> None:
    text = HEADER.format(v="6.1.0") + "CONFIG_AMD_MEM_ENCRYPT=y\nCONFIG_EFI_STUB=y\n"
    f = kernel_fields_from_config(text, "c", version="6.6.30")
    assert f["version"] == "6.6.30"
    assert f["unaccepted_memory"] is True


@pytest.mark.parametrize("text", ["", "\n", "hello\n# just a comment\n", HEADER.format(v="6.8")])
def test_no_config_lines_raises(text: str) -> None:
    with pytest.raises(InputError) as exc:
        kernel_fields_from_config(text, "empty.config")
    assert exc.value.source == "empty.config"
    assert "no CONFIG_ lines" in exc.value.problem


def test_bad_version_override_raises() -> None:
    with pytest.raises(InputError) as exc:
        kernel_fields_from_config("CONFIG_EFI_STUB=y\n", "c", version="latest")
    assert exc.value.field == "version"


@given(st.text(), st.sampled_from([None, "6.8", "5.10.1"]))
@settings(max_examples=200, deadline=None)
def test_fuzz_never_raises_anything_but_input_error(text: str, version: str | None) -> None:
    try:
        f = kernel_fields_from_config(text, "fuzz", version=version)
    except InputError:
        return
    assert set(f) == KEYS
    assert f["calls_protocol"] <= f["unaccepted_memory"]
