"""VM definitions as scenario settings: real files in tests/vms/ and small inline cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from uefi_accept.errors import InputError
from uefi_accept.inputs.vmdefs import (
    MAX_VM_DEFINITION_CHARS,
    FirmwareHint,
    VmDefinition,
    VmKind,
    detect_kind,
    parse_qemu_cmdline,
    parse_vm_definition,
)
from uefi_accept.model.profiles import AcceptMemory
from uefi_accept.model.scenario import LARGE_PAGE, SMALL_PAGE, Layout, Loader, Platform
from uefi_accept.units import GiB, KiB, MiB

VMS = Path(__file__).parent / "vms"
FIELDS = (
    "kind",
    "platform",
    "ram_bytes",
    "vcpus",
    "layout",
    "host_page_size",
    "firmware_path",
    "firmware_hint",
    "loader",
    "kernel_cmdline",
    "accept_memory",
    "efi_debug",
    "deadline_s",
)


def vm(name: str) -> VmDefinition:
    return parse_vm_definition((VMS / name).read_text(encoding="utf-8"), name)


def qemu(cmdline: str) -> VmDefinition:
    return parse_qemu_cmdline(cmdline)


def said(d: VmDefinition, *fragments: str) -> bool:
    """Some assumption holds every fragment."""
    return any(all(f in a for f in fragments) for a in d.assumptions)


def fields(d: VmDefinition) -> dict[str, Any]:
    return {k: getattr(d, k) for k in FIELDS}


def expect(kind: VmKind, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict.fromkeys(FIELDS)
    base.update(kind=kind, efi_debug=False, **kw)
    return base


# ---------------------------------------------------------------------------
# Real files: every field
# ---------------------------------------------------------------------------

REAL = {
    "kata-configuration-qemu-tdx.toml": expect(
        VmKind.KATA,
        platform=Platform.TDX,
        ram_bytes=2048 * MiB,
        vcpus=1,
        layout=Layout.Q35,
        firmware_path="/usr/share/ovmf/OVMF.inteltdx.fd",
        firmware_hint=FirmwareHint.INTEL_TDX,
        loader=Loader.EFI_STUB,
        kernel_cmdline="cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1",
        deadline_s=60.0,
    ),
    "kata-configuration-qemu-snp.toml": expect(
        VmKind.KATA,
        platform=Platform.SNP,
        ram_bytes=2048 * MiB,
        vcpus=1,
        layout=Layout.Q35,
        firmware_path="/usr/share/ovmf/AMDSEV.fd",
        firmware_hint=FirmwareHint.AMD_SEV,
        loader=Loader.EFI_STUB,
        kernel_cmdline="cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1",
        deadline_s=60.0,
    ),
    "libvirt-launch-security-tdx.xml": expect(
        VmKind.LIBVIRT, platform=Platform.TDX, ram_bytes=4 * GiB, vcpus=4, layout=Layout.Q35
    ),
    "libvirt-launch-security-sev-snp.xml": expect(
        VmKind.LIBVIRT, platform=Platform.SNP, ram_bytes=214 * MiB, vcpus=1, layout=Layout.Q35
    ),
    "libvirt-launch-security-sev-snp.x86_64-latest.args": expect(
        VmKind.QEMU,
        platform=Platform.SNP,
        ram_bytes=214 * MiB,
        vcpus=1,
        layout=Layout.Q35,
        firmware_path="/usr/share/edk2/ovmf/OVMF.amdsev.fd",
        firmware_hint=FirmwareHint.AMD_SEV,
    ),
    "libvirt-launch-security-sev.xml": expect(
        VmKind.LIBVIRT, ram_bytes=214 * MiB, vcpus=1, layout=Layout.LOW_3G
    ),
    "libvirt-hugepages-default.xml": expect(
        VmKind.LIBVIRT,
        ram_bytes=219136 * KiB,
        vcpus=1,
        layout=Layout.LOW_3G,
        host_page_size=LARGE_PAGE,
    ),
    "libvirt-memfd-memory-numa.xml": expect(
        VmKind.LIBVIRT, ram_bytes=14 * GiB, vcpus=8, layout=Layout.LOW_3G, host_page_size=2 * MiB
    ),
    "libvirt-memfd-memory-numa.x86_64-latest.args": expect(
        VmKind.QEMU, ram_bytes=14 * GiB, vcpus=8, layout=Layout.LOW_3G, host_page_size=2 * MiB
    ),
    "canonical-tdx-trust_domain.xml.template": expect(
        VmKind.LIBVIRT,
        platform=Platform.TDX,
        ram_bytes=16 * GiB,
        vcpus=32,
        layout=Layout.Q35,
        firmware_path="/usr/share/qemu/OVMF.fd",
        firmware_hint=FirmwareHint.OVMF,
    ),
    "canonical-tdx-boot_direct.sh": expect(
        VmKind.QEMU,
        platform=Platform.TDX,
        ram_bytes=2 * GiB,
        vcpus=16,
        layout=Layout.Q35,
        firmware_path="/usr/share/ovmf/OVMF.fd",
        firmware_hint=FirmwareHint.OVMF,
        loader=Loader.EFI_STUB,
        kernel_cmdline="root=/dev/sda1 console=ttyS0",
    ),
    "niteeshkd-create_vm_tdx.sh": expect(
        VmKind.QEMU,
        platform=Platform.TDX,
        ram_bytes=16 * GiB,
        vcpus=4,
        layout=Layout.Q35,
        firmware_path="/usr/share/edk2/ovmf/OVMF.inteltdx.fd",
        firmware_hint=FirmwareHint.INTEL_TDX,
    ),
    "tinfoilsh-cvmimage-snp-Makefile": expect(
        VmKind.QEMU,
        platform=Platform.SNP,
        ram_bytes=4 * GiB,
        vcpus=32,
        layout=Layout.Q35,
        firmware_path="~/OVMF.fd",
        firmware_hint=FirmwareHint.OVMF,
        loader=Loader.EFI_STUB,
        kernel_cmdline="console=ttyS0 earlyprintk=serial root=/dev/sda2 tinfoil-image=llama3.2:1b",
    ),
    "rcastellotti-gr-snp-sev.sh": expect(
        VmKind.QEMU,
        platform=Platform.SNP,
        ram_bytes=16 * GiB,
        vcpus=16,
        layout=Layout.Q35,
        firmware_path="OVMF_files/OVMF_CODE_sev.fd",
        firmware_hint=FirmwareHint.AMD_SEV,
    ),
    "sireeprojects-i440fx-hugepages-virt.csh": expect(
        VmKind.QEMU, ram_bytes=1 * GiB, vcpus=8, layout=Layout.LOW_3G, host_page_size=2 * MiB
    ),
    "amdsev-issue-170-launch-qemu-sev-snp-terminal.txt": expect(
        VmKind.QEMU,
        platform=Platform.SNP,
        ram_bytes=2 * GiB,
        vcpus=4,
        layout=Layout.Q35,
        firmware_path="/Downloads/AMDSEV/snp-release-2023-07-10/usr/local/share/qemu/OVMF_CODE.fd",
        firmware_hint=FirmwareHint.OVMF,
    ),
    "amdsev-issue-236-sev-snp-pflash-cmdline.sh": expect(
        VmKind.QEMU,
        platform=Platform.SNP,
        ram_bytes=8 * GiB,
        vcpus=4,
        layout=Layout.Q35,
        firmware_path="$OVMF_CODE",
        firmware_hint=None,
    ),
    "qemu-docs-tdx-rst-launching-a-td.sh": expect(
        VmKind.QEMU,
        platform=Platform.TDX,
        ram_bytes=128 * MiB,
        vcpus=1,
        firmware_path="OVMF.fd",
        firmware_hint=FirmwareHint.OVMF,
    ),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_definition_fields(name: str) -> None:
    d = vm(name)
    assert d.source == name
    assert fields(d) == REAL[name]


def test_every_fixture_is_tested_and_listed_in_the_readme() -> None:
    files = {p.name for p in VMS.iterdir() if p.name != "README.md"}
    templates = {"kata-configuration-qemu-tdx.toml.in", "kata-configuration-qemu-snp.toml.in"}
    assert files == set(REAL) | templates
    readme = (VMS / "README.md").read_text(encoding="utf-8")
    for name in files:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize(
    ("name", "placeholder"),
    [
        ("kata-configuration-qemu-tdx.toml.in", "@CONFIG_QEMU_IN@"),
        ("kata-configuration-qemu-snp.toml.in", "@CONFIG_QEMU_SNP_IN@"),
    ],
)
def test_kata_templates_are_refused_naming_a_placeholder(name: str, placeholder: str) -> None:
    with pytest.raises(InputError) as exc:
        vm(name)
    assert exc.value.source == name
    assert placeholder in exc.value.problem and "unrendered Kata template" in exc.value.problem


def test_kata_tdx_assumptions_say_how_each_value_was_decided() -> None:
    d = vm("kata-configuration-qemu-tdx.toml")
    assert said(d, "default_memory reads MiB", "2048 is 2 GiB")
    assert said(d, "tdx_quote_generation_service_socket_port", "says TDX")
    assert said(d, "static_sandbox_resource_mgmt = true", "pod's limits")
    assert said(d, "[runtime] create_container_timeout = 60 s", "boot deadline")
    assert said(d, "upstream KVM", "4 KiB", "host pages stay 4 KiB")
    assert said(d, "Kata boots its guest kernel directly")


def test_kata_snp_platform_comes_from_sev_snp_guest() -> None:
    d = vm("kata-configuration-qemu-snp.toml")
    assert said(d, "sev_snp_guest = true", "SEV-SNP")
    assert said(d, "guest_memfd", "AMDESE/AMDSEV issue 225")


def test_libvirt_rounds_memory_to_whole_mib_like_its_args_file() -> None:
    xml = vm("libvirt-launch-security-sev-snp.xml")
    args = vm("libvirt-launch-security-sev-snp.x86_64-latest.args")
    # The .args file is what libvirt ran for the XML: the two must agree.
    assert xml.ram_bytes == args.ram_bytes == 219136 * KiB
    assert said(xml, "219100 KiB runs as 219136 KiB")
    assert said(xml, "firmware='efi'", "not in the XML")


def test_libvirt_sev_is_not_snp() -> None:
    d = vm("libvirt-launch-security-sev.xml")
    assert d.platform is None
    assert said(d, "type='sev'", "not SEV-SNP")


def test_libvirt_hugepages_without_a_size_take_the_host_default() -> None:
    assert said(vm("libvirt-hugepages-default.xml"), "<hugepages/>", "2 MiB")


def test_libvirt_numa_memfd_xml_and_its_args_agree() -> None:
    xml = vm("libvirt-memfd-memory-numa.xml")
    args = vm("libvirt-memfd-memory-numa.x86_64-latest.args")
    assert fields(xml) | {"kind": None} == fields(args) | {"kind": None}
    assert said(xml, "allocation mode='immediate'")
    assert said(args, "ram-node0 preallocates")
    assert said(args, "ram-node0 uses 2 MiB hugetlb pages")
    # The NVDIMM's backend is not guest RAM.
    assert not said(args, "memnvdimm0")
    assert said(args, "maxmem/slots", "boots with 14 GiB")


def test_canonical_template_notes_the_passthrough_arguments() -> None:
    d = vm("canonical-tdx-trust_domain.xml.template")
    assert said(d, "<qemu:commandline>")
    assert said(d, "boots from a disk image", "--loader")


def test_script_variables_expanded_from_its_own_assignments() -> None:
    d = vm("canonical-tdx-boot_direct.sh")
    assert said(d, "TDVF_FIRMWARE=/usr/share/ovmf/OVMF.fd")
    # KERNEL_FILE comes from $(realpath ...): never expanded, never listed.
    assert not said(d, "KERNEL_FILE")
    assert d.kernel_cmdline is not None and d.accept_memory is None


def test_makefile_recipe_merges_three_machine_options() -> None:
    d = vm("tinfoilsh-cvmimage-snp-Makefile")
    assert said(d, "memory-encryption= is the older name")
    assert said(d, "maxmem/slots", "boots with 4 GiB")
    assert not said(d, "maxcpus")  # 32 of 32: no hot-plug slots to mention


def test_ram_from_the_memory_backend_when_there_is_no_m() -> None:
    assert said(vm("rcastellotti-gr-snp-sev.sh"), "no -m", "ram1", "16 GiB")


def test_plain_i440fx_guest_on_hugetlbfs() -> None:
    d = vm("sireeprojects-i440fx-hugepages-virt.csh")
    assert said(d, "QEMU's -m reads MiB: -m 1024 is 1 GiB")
    assert said(d, "/dev/hugepages", "2 MiB assumed")
    assert said(d, "-mem-prealloc")
    assert said(d, "no confidential-guest object", "--platform")
    assert said(d, "SeaBIOS")
    # The commented-out copies of the command after it are not QEMU commands.
    assert not said(d, "QEMU commands")


def test_terminal_paste_finds_the_command_amid_output() -> None:
    d = vm("amdsev-issue-170-launch-qemu-sev-snp-terminal.txt")
    assert said(d, "-smp maxcpus=64", "boots with 4 vCPUs")
    assert said(d, "memory-encryption=")


def test_unset_shell_variable_in_the_firmware_path_is_reported() -> None:
    assert said(vm("amdsev-issue-236-sev-snp-pflash-cmdline.sh"), "$OVMF_CODE", "shell variable")


def test_qemu_docs_command_takes_qemu_defaults_and_no_layout() -> None:
    d = vm("qemu-docs-tdx-rst-launching-a-td.sh")
    assert said(d, "no -m: QEMU's default RAM, 128 MiB")
    assert said(d, "no -smp: QEMU's default, 1 vCPU")
    assert said(d, "machine type '...'", "--layout")


# ---------------------------------------------------------------------------
# Detection and the record
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("<domain type='kvm'><memory>1</memory></domain>", VmKind.LIBVIRT),
        ("\ufeff  <?xml version='1.0'?>\n<domain/>", VmKind.LIBVIRT),
        ("# Kata\n[hypervisor.qemu]\ndefault_memory = 4096\n", VmKind.KATA),
        ("qemu-system-x86_64 -m 4G", VmKind.QEMU),
        ("-m 4G -smp 2", VmKind.QEMU),
    ],
)
def test_detect_kind(text: str, kind: VmKind) -> None:
    assert detect_kind(text) == kind


def test_record_is_frozen_and_maps_to_scenario_fields() -> None:
    d = qemu(
        "-m 8G -smp 2 -machine q35,confidential-guest-support=t,memory-backend=r "
        "-object tdx-guest,id=t -object memory-backend-memfd,id=r,size=8G,hugetlb=on,"
        "hugetlbsize=1G -kernel bzImage"
    )
    with pytest.raises(AttributeError):
        d.vcpus = 3  # type: ignore[misc]
    assert d.scenario_fields() == {
        "platform": Platform.TDX,
        "ram_bytes": 8 * GiB,
        "vcpus": 2,
        "layout": Layout.Q35,
        "loader": Loader.EFI_STUB,
    }  # the 1 GiB hugetlb backs shared memory only: private pages stay 4 KiB
    out = d.to_dict()
    assert out["host_page_size"] == GiB and out["platform"] == "tdx"
    assert isinstance(out["assumptions"], list) and out["assumptions"]
    assert msgspec.json.decode(msgspec.json.encode(out))["layout"] == "q35"


def test_small_host_pages_map_to_small_page() -> None:
    d = qemu("-m 2G -object memory-backend-file,id=m,size=2G,mem-path=/tmp/x -numa node,memdev=m")
    assert d.host_page_size is None and "host_page_size" not in d.scenario_fields()
    d = parse_vm_definition(
        "<domain><memory unit='G'>2</memory><memoryBacking><hugepages>"
        "<page size='4' unit='KiB'/></hugepages></memoryBacking></domain>",
        "x.xml",
    )
    assert d.host_page_size == SMALL_PAGE and "host_page_size" not in d.scenario_fields()


def test_vmdefs_does_not_import_click() -> None:
    code = "import sys, uefi_accept.inputs.vmdefs; assert 'click' not in sys.modules"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_size_cap_and_empty_input() -> None:
    with pytest.raises(InputError, match="not a VM definition"):
        parse_vm_definition("-m 1G " * (MAX_VM_DEFINITION_CHARS // 6 + 1), "big")
    with pytest.raises(InputError, match="empty"):
        parse_vm_definition(" \n\t", "e")


# ---------------------------------------------------------------------------
# QEMU: -m
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ram"),
    [
        ("4096", 4 * GiB),
        ("4096M", 4 * GiB),
        ("4g", 4 * GiB),
        ("1T", 1 << 40),
        ("size=8G,slots=4,maxmem=32G", 8 * GiB),
        ("1.5G", 1536 * MiB),
        ("1048576K", GiB),
        ("1.5", 1536 * KiB),  # 1.5 MiB, QEMU's legacy suffix-less form
    ],
)
def test_m_sizes(value: str, ram: int) -> None:
    assert qemu(f"-m {value}").ram_bytes == ram


def test_m_bare_number_is_mib_and_said() -> None:
    assert said(qemu("-m 4096"), "QEMU's -m reads MiB: -m 4096 is 4 GiB")
    assert not said(qemu("-m 4G"), "reads MiB")


def test_m_is_rounded_up_to_8k() -> None:
    d = qemu("-m 4097k")
    assert d.ram_bytes == 4104 * KiB
    assert said(d, "rounds -m 4097k up to 8 KiB")


def test_two_m_options_last_wins_with_a_note() -> None:
    d = qemu("-m 4G -smp 2 -m 8G")
    assert d.ram_bytes == 8 * GiB
    assert said(d, "-m sets size twice (4G then 8G)", "keeps the last")


@pytest.mark.parametrize("value", ["4X", "0", "-1G", "1.5B", "0x10G", "${MEM}", "size="])
def test_m_malformed_is_an_input_error_naming_it(value: str) -> None:
    with pytest.raises(InputError) as exc:
        qemu(f"-m {value}")
    assert exc.value.field == "-m"
    assert exc.value.source == "--qemu-cmdline"


def test_m_without_argument() -> None:
    with pytest.raises(InputError, match="needs an argument"):
        qemu("-smp 2 -m")


def test_no_m_takes_the_default_or_the_backend() -> None:
    assert qemu("-smp 2").ram_bytes == 128 * MiB
    d = qemu("-machine q35,memory-backend=r -object memory-backend-ram,id=r,size=6G")
    assert d.ram_bytes == 6 * GiB


def test_m_and_backend_must_agree() -> None:
    with pytest.raises(InputError, match="does not match memory backend r"):
        qemu("-m 4G -machine memory-backend=r -object memory-backend-ram,id=r,size=2G")
    with pytest.raises(InputError, match="no -object memory-backend"):
        qemu("-m 4G -machine memory-backend=nope")


def test_numa_nodes_must_hold_the_ram() -> None:
    d = qemu(
        "-m 4G -object memory-backend-ram,id=a,size=1G -object memory-backend-ram,id=b,size=3G "
        "-numa node,memdev=a -numa node,memdev=b"
    )
    assert d.ram_bytes == 4 * GiB
    with pytest.raises(InputError, match="NUMA nodes"):
        qemu("-m 4G -object memory-backend-ram,id=a,size=1G -numa node,memdev=a")


# ---------------------------------------------------------------------------
# QEMU: -smp
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "vcpus"),
    [
        ("4", 4),
        ("cpus=6", 6),
        ("sockets=2,cores=4,threads=2", 16),
        ("cores=8,threads=2,sockets=2", 32),
        ("maxcpus=12", 12),
        ("4,maxcpus=255", 4),
        ("8,sockets=8,cores=1,threads=1", 8),
        ("8,sockets=1,dies=1,clusters=1,cores=8,threads=1", 8),
        ("cores=4", 4),
        ("sockets=2,dies=2,cores=2", 8),
    ],
)
def test_smp_vcpus_as_qemu_counts(value: str, vcpus: int) -> None:
    assert qemu(f"-m 1G -smp {value}").vcpus == vcpus


def test_smp_topology_only_is_said() -> None:
    assert said(qemu("-smp sockets=2,cores=4,threads=2"), "gives 16 vCPUs")
    assert not said(qemu("-smp 4"), "as QEMU counts")
    assert said(qemu("-smp 2,maxcpus=8"), "boots with 2 vCPUs", "hot-plug")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("10,sockets=3", "gives 9 CPUs, not maxcpus=10"),
        ("8,maxcpus=4", "more than maxcpus=4"),
        ("0", "at least 1"),
        ("four", "not a whole number"),
        ("4,cpu=4", "unknown parameter cpu=4"),
        ("4,sockets=2,cores=4", "gives 0 CPUs, not maxcpus=4"),
    ],
)
def test_smp_malformed(value: str, problem: str) -> None:
    with pytest.raises(InputError) as exc:
        qemu(f"-smp {value}")
    assert exc.value.field == "-smp" and problem in exc.value.problem


def test_no_smp_is_one_vcpu() -> None:
    d = qemu("-m 1G")
    assert d.vcpus == 1 and said(d, "no -smp")


# ---------------------------------------------------------------------------
# QEMU: machine and layout
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "ram", "layout"),
    [
        ("q35", "64G", Layout.Q35),
        ("pc-q35-9.2", "2G", Layout.Q35),
        ("type=q35", "3G", Layout.Q35),
        ("pc", "64G", Layout.LOW_3G),
        ("pc-i440fx-6.2", "2G", Layout.LOW_3G),
    ],
)
def test_machine_layouts(machine: str, ram: str, layout: Layout) -> None:
    d = qemu(f"-m {ram} -machine {machine}")
    assert d.layout == layout
    assert not said(d, "closest layout")


def test_pc_between_3_and_3_5_gib_differs_from_low_3g() -> None:
    # hw/i386/pc_piix.c: below 0xe0000000 (3.5 GiB) pc keeps all RAM low.
    d = qemu("-m 3328M -M pc")
    assert d.layout == Layout.LOW_3G
    assert said(d, "pc keeps all", "below 4 GiB", "closest layout, low-3g, puts 3 GiB")
    assert not said(qemu("-m 3584M -M pc"), "closest")  # 3.5 GiB: split at 3 GiB again


def test_max_ram_below_4g_picks_the_matching_or_closest_layout() -> None:
    d = qemu("-m 4G -machine pc,max-ram-below-4g=2G")
    assert d.layout == Layout.Q35
    assert said(d, "max-ram-below-4g=2 GiB puts 2 GiB below 4 GiB", "q35 layout does the same")
    d = qemu("-m 8G -machine q35,max-ram-below-4g=1G")
    assert d.layout == Layout.Q35
    assert said(d, "puts 1 GiB of the 8 GiB below 4 GiB", "closest layout, q35, puts 2 GiB")
    d = qemu("-m 3968M -machine pc,max-ram-below-4g=4G")  # QEMU's own example: all low
    assert d.layout == Layout.LOW_3G and said(d, "keeps all")
    with pytest.raises(InputError, match="above 4 GiB"):
        qemu("-m 4G -machine pc,max-ram-below-4g=5G")
    with pytest.raises(InputError, match="max-ram-below-4g"):
        qemu("-m 4G -machine pc,max-ram-below-4g=lots")


def test_no_machine_is_pc_and_unknown_machines_give_no_layout() -> None:
    d = qemu("-m 64G")
    assert d.layout == Layout.LOW_3G and said(d, "QEMU's default x86 machine is pc")
    d = qemu("-m 4G -machine microvm")
    assert d.layout is None and said(d, "'microvm' is neither q35 nor pc", "--layout")


def test_machine_options_merge_and_conflicts_are_said() -> None:
    d = qemu("-m 4G -machine pc -machine q35")
    assert d.layout == Layout.Q35 and said(d, "-machine sets type twice (pc then q35)")


# ---------------------------------------------------------------------------
# QEMU: platform
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objects", "platform"),
    [
        ("-object tdx-guest,id=g", Platform.TDX),
        ("-object sev-snp-guest,id=g,cbitpos=51,reduced-phys-bits=1", Platform.SNP),
        ("""-object '{"qom-type":"sev-snp-guest","id":"g","policy":196608}'""", Platform.SNP),
        ("""-object '{"qom-type":"tdx-guest","id":"g","attributes":268435456}'""", Platform.TDX),
    ],
)
def test_confidential_guest_objects(objects: str, platform: Platform) -> None:
    d = qemu(f"-m 4G -machine q35,confidential-guest-support=g {objects}")
    assert d.platform == platform


def test_sev_guest_is_not_snp() -> None:
    d = qemu("-m 4G -machine q35,confidential-guest-support=s -object sev-guest,id=s,policy=0x5")
    assert d.platform is None and said(d, "sev-guest s is SEV or SEV-ES, not SEV-SNP")


def test_guest_object_without_confidential_guest_support() -> None:
    d = qemu("-m 4G -machine q35 -object tdx-guest,id=t")
    assert d.platform is None
    assert said(d, "tdx-guest t but no -machine confidential-guest-support", "--platform")


def test_no_guest_object_asks_for_platform() -> None:
    assert said(qemu("-m 4G"), "no confidential-guest object: platform not given; pass --platform")


def test_platform_errors() -> None:
    with pytest.raises(InputError, match="no -object with id=x"):
        qemu("-m 4G -machine q35,confidential-guest-support=x")
    with pytest.raises(InputError, match="two objects with id=t"):
        qemu("-object tdx-guest,id=t -object sev-snp-guest,id=t")
    with pytest.raises(InputError, match="without an id"):
        qemu("-object tdx-guest")
    with pytest.raises(InputError) as exc:
        qemu("-object '{not json'")
    assert exc.value.field == "-object"


def test_other_confidential_objects_are_neither() -> None:
    d = qemu("-m 4G -machine confidential-guest-support=p -object pef-guest,id=p")
    assert d.platform is None and said(d, "pef-guest p is neither TDX nor SEV-SNP")


# ---------------------------------------------------------------------------
# QEMU: host page backing
# ---------------------------------------------------------------------------

TDX = "-m 8G -machine q35,confidential-guest-support=t,memory-backend=r -object tdx-guest,id=t "


@pytest.mark.parametrize(
    ("backend", "page", "fragment"),
    [
        ("memory-backend-memfd,id=r,size=8G,hugetlb=on,hugetlbsize=2M", 2 * MiB, "2 MiB hugetlb"),
        ("memory-backend-memfd,id=r,size=8G,hugetlb=on,hugetlbsize=1G", GiB, "1 GiB hugetlb"),
        ("memory-backend-memfd,id=r,size=8G,hugetlb=on", 2 * MiB, "without hugetlbsize"),
        ("memory-backend-memfd,id=r,size=8G,hugetlb=off", None, None),
        ("memory-backend-ram,id=r,size=8G", None, None),
        ("memory-backend-file,id=r,size=8G,mem-path=/dev/hugepages", 2 * MiB, "2 MiB assumed"),
        ("memory-backend-file,id=r,size=8G,mem-path=/dev/hugepages1G", GiB, "1 GiB assumed"),
        ("memory-backend-file,id=r,size=8G,mem-path=/dev/shm", None, None),
        ("memory-backend-memfd-private,id=r,size=8G,hugetlb=on,hugetlbsize=2M", 2 * MiB, None),
    ],
)
def test_backend_page_size(backend: str, page: int | None, fragment: str | None) -> None:
    d = qemu(TDX + "-object " + backend)
    assert d.host_page_size == page
    if fragment:
        assert said(d, fragment)
    # TDX private memory is guest_memfd at 4 KiB upstream whatever the backend.
    assert said(d, "TDX: upstream KVM", "4 KiB", "host pages stay 4 KiB")


def test_backend_prealloc_and_mem_prealloc_are_said() -> None:
    d = qemu(TDX + "-object memory-backend-memfd,id=r,size=8G,prealloc=on")
    assert said(d, "memory backend r preallocates")
    assert said(qemu("-m 1G -mem-prealloc"), "-mem-prealloc")
    with pytest.raises(InputError, match="prealloc"):
        qemu(TDX + "-object memory-backend-memfd,id=r,size=8G,prealloc=maybe")


def test_mem_path_and_mixed_numa_pages() -> None:
    assert qemu("-m 2G -mem-path /dev/hugepages").host_page_size == 2 * MiB
    assert qemu("-m 2G -mem-path /var/tmp").host_page_size is None
    d = qemu(
        "-m 4G -object memory-backend-memfd,id=a,size=2G,hugetlb=on,hugetlbsize=1G "
        "-object memory-backend-memfd,id=b,size=2G,hugetlb=on,hugetlbsize=2M "
        "-numa node,memdev=a -numa node,memdev=b"
    )
    assert d.host_page_size == 2 * MiB and said(d, "different page sizes", "smallest")


def test_backend_malformed_values() -> None:
    with pytest.raises(InputError, match="hugetlb"):
        qemu(TDX + "-object memory-backend-memfd,id=r,size=8G,hugetlb=perhaps")
    with pytest.raises(InputError, match="size="):
        qemu("-machine memory-backend=r -object memory-backend-ram,id=r,size=big")


def test_snp_private_memory_note() -> None:
    d = qemu("-m 4G -machine q35,confidential-guest-support=s -object sev-snp-guest,id=s")
    assert said(d, "SEV-SNP: private memory comes from guest_memfd")


# ---------------------------------------------------------------------------
# QEMU: firmware, loader, kernel command line
# ---------------------------------------------------------------------------


def test_firmware_sources() -> None:
    assert qemu("-m 1G -bios /a/OVMF.fd").firmware_path == "/a/OVMF.fd"
    d = qemu(
        "-m 1G -drive if=pflash,format=raw,unit=1,file=/v.fd "
        "-drive if=pflash,format=raw,unit=0,file=/c,,x.fd,readonly=on"
    )
    assert d.firmware_path == "/c,x.fd"  # ",," is a literal comma; unit 0 is the code
    assert qemu("-m 1G -pflash /p/OVMF_CODE.fd").firmware_path == "/p/OVMF_CODE.fd"
    d = qemu("-m 1G -bios /b.fd -drive if=pflash,file=/p.fd")
    assert d.firmware_path == "/p.fd" and said(d, "boots the pflash firmware")
    d = qemu("-m 1G -bios /one.fd -bios /two.fd")
    assert d.firmware_path == "/two.fd" and said(d, "-bios given 2 times")
    assert said(qemu("-m 1G"), "SeaBIOS")


def test_firmware_through_blockdev_keyval() -> None:
    d = qemu(
        "-m 1G -blockdev driver=file,filename=/fw/OVMF.inteltdx.fd,node-name=s "
        "-blockdev driver=raw,file=s,node-name=f -machine q35,pflash0=f"
    )
    assert d.firmware_path == "/fw/OVMF.inteltdx.fd"
    assert d.firmware_hint == FirmwareHint.INTEL_TDX


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("/usr/share/ovmf/OVMF.inteltdx.fd", FirmwareHint.INTEL_TDX),
        ("TDVF.fd", FirmwareHint.INTEL_TDX),
        ("/usr/share/edk2/ovmf/OVMF.amdsev.fd", FirmwareHint.AMD_SEV),
        ("AMDSEV.fd", FirmwareHint.AMD_SEV),
        ("/usr/share/OVMF/OVMF_CODE_4M.fd", FirmwareHint.OVMF),
        ("/usr/share/edk2/x64/edk2-x86_64-code.fd", FirmwareHint.OVMF),
        ("/opt/fw/bios.bin", None),
    ],
)
def test_firmware_hints(path: str, hint: FirmwareHint | None) -> None:
    assert qemu(f"-m 1G -bios {path}").firmware_hint == hint


def test_firmware_hint_against_platform_and_tdx_pflash() -> None:
    d = qemu(
        "-m 4G -machine q35,confidential-guest-support=s -object sev-snp-guest,id=s "
        "-bios OVMF.inteltdx.fd"
    )
    assert said(d, "suggests an Intel TDX build, not SEV-SNP")
    d = qemu(TDX + "-object memory-backend-ram,id=r,size=8G -drive if=pflash,file=AMDSEV.fd")
    assert said(d, "suggests an AMD SEV build, not TDX")
    assert said(d, "TDX loads its firmware with -bios")


def test_direct_kernel_boot_is_the_efi_stub() -> None:
    d = qemu("-m 1G -kernel /boot/vmlinuz")
    assert d.loader == Loader.EFI_STUB and said(d, "EFI stub through LoadImage")
    d = qemu("-m 1G")
    assert d.loader is None and said(d, "boots from a disk image", "--loader")


@pytest.mark.parametrize(
    ("append", "accept", "debug"),
    [
        ("console=ttyS0 accept_memory=eager", AcceptMemory.EAGER, False),
        ("accept_memory=lazy efi=debug", AcceptMemory.LAZY, True),
        ("accept-memory=eager", AcceptMemory.EAGER, False),  # '-' and '_' are the same
        ('foo="a b" efi=noruntime,debug', None, True),
        ("root=/dev/vda -- accept_memory=eager", None, False),  # after -- it is init's
        ("efi=nosoftreserve", None, False),
    ],
)
def test_kernel_command_line(append: str, accept: AcceptMemory | None, debug: bool) -> None:
    d = qemu(f"-m 1G -kernel k -append '{append}'")
    assert d.kernel_cmdline == append
    assert d.accept_memory == accept
    assert d.efi_debug is debug
    assert said(d, "efi=debug") is debug


def test_kernel_command_line_last_accept_memory_wins() -> None:
    d = qemu("-m 1G -kernel k -append 'accept_memory=eager accept_memory=lazy'")
    assert d.accept_memory == AcceptMemory.LAZY
    assert said(d, "given 2 times", "keeps the last, accept_memory=lazy")


@pytest.mark.parametrize(
    "value", ["accept_memory=sometimes", "accept_memory", "accept_memory=Lazy"]
)
def test_kernel_accept_memory_malformed(value: str) -> None:
    with pytest.raises(InputError) as exc:
        qemu(f"-m 1G -kernel k -append '{value}'")
    assert exc.value.field == "-append" and "lazy or eager" in exc.value.problem


def test_append_repeated_and_without_kernel() -> None:
    d = qemu("-m 1G -kernel k -append a=1 -append accept_memory=eager")
    assert d.kernel_cmdline == "accept_memory=eager" and said(d, "-append given 2 times")
    d = qemu("-m 1G -append accept_memory=eager")
    assert d.accept_memory == AcceptMemory.EAGER and said(d, "-append without -kernel")


# ---------------------------------------------------------------------------
# QEMU: finding the command in text
# ---------------------------------------------------------------------------


def test_program_name_prefixes_and_operators() -> None:
    d = qemu('sudo taskset -c "3" /opt/q/bin/qemu-system-x86_64 -m 2G -smp 2 2>&1 | tee log -smp 9')
    assert (d.ram_bytes, d.vcpus) == (2 * GiB, 2)
    d = qemu("/usr/libexec/qemu-kvm -nographic -m 2G -enable-kvm -smp 3 disk.qcow2")
    assert (d.ram_bytes, d.vcpus) == (2 * GiB, 3)


def test_script_variables_defaults_and_unknowns() -> None:
    script = (
        "#!/bin/bash\n"
        'MEM="${MEM:-8G}"\n'
        "SMP=4\n"
        "KERNEL=$(ls /boot/vmlinuz-*)\n"
        "QEMU=qemu-system-x86_64\n"
        "$QEMU -m $MEM \\\n"
        "  -smp ${SMP},maxcpus=8 \\\n"
        "  -kernel $KERNEL -append 'x=$SMP' \\\n"
        "  -bios ${OVMF:-/usr/share/ovmf/OVMF.fd}\n"
    )
    d = parse_vm_definition(script, "run.sh")
    assert (d.ram_bytes, d.vcpus) == (8 * GiB, 4)
    assert d.firmware_path == "/usr/share/ovmf/OVMF.fd"
    assert d.kernel_cmdline == "x=$SMP"  # single quotes: not expanded
    assert said(d, "MEM=8G", "SMP=4", "OVMF=/usr/share/ovmf/OVMF.fd")
    with pytest.raises(InputError) as exc:
        parse_vm_definition("MEM=$(free -g)\nqemu-system-x86_64 -m $MEM\n", "run.sh")
    assert exc.value.field == "-m" and "shell variable" in exc.value.problem
    assert exc.value.line == 2


def test_comment_lines_end_a_continued_command() -> None:
    text = "qemu-system-x86_64 -m 2G \\\n  #-smp 8 \\\n  -smp 4\n"
    d = parse_vm_definition(text, "t.sh")
    assert d.vcpus == 1  # bash ends the command at the comment line


def test_several_commands_the_first_is_read() -> None:
    text = "qemu-system-x86_64 -m 2G\nqemu-system-x86_64 -m 4G\n"
    d = parse_vm_definition(text, "two.sh")
    assert d.ram_bytes == 2 * GiB and said(d, "holds 2 QEMU commands", "line 1")


def test_program_named_in_an_error_message_is_not_a_command() -> None:
    text = "qemu-system-x86_64: warning: host doesn't support\nqemu-system-x86_64 -m 3G\n"
    assert parse_vm_definition(text, "log.txt").ram_bytes == 3 * GiB


def test_no_options_and_bad_quoting() -> None:
    with pytest.raises(InputError, match="no QEMU options"):
        qemu("echo hello")
    with pytest.raises(InputError, match="no QEMU options"):
        qemu("qemu-system-x86_64")
    with pytest.raises(InputError, match="cannot split"):
        qemu("qemu-system-x86_64 -m 2G -append 'open")


def test_unknown_options_are_ignored() -> None:
    d = qemu("-m 2G -frobnicate -accel kvm -name guest=x -vga none -smp 2 -S -no-hpet")
    assert (d.ram_bytes, d.vcpus) == (2 * GiB, 2)


# ---------------------------------------------------------------------------
# libvirt
# ---------------------------------------------------------------------------


def domain(body: str) -> VmDefinition:
    return parse_vm_definition(f"<domain type='kvm'>{body}</domain>", "d.xml")


@pytest.mark.parametrize(
    ("memory", "ram"),
    [
        ("<memory>1048576</memory>", GiB),
        ("<memory unit='KiB'>1048576</memory>", GiB),
        ("<memory unit='k'>1048576</memory>", GiB),
        ("<memory unit='MiB'>2048</memory>", 2 * GiB),
        ("<memory unit='M'>2048</memory>", 2 * GiB),
        ("<memory unit='GiB'>16</memory>", 16 * GiB),
        ("<memory unit='g'>16</memory>", 16 * GiB),
        ("<memory unit='bytes'>4294967296</memory>", 4 * GiB),
        ("<memory unit='b'>4294967296</memory>", 4 * GiB),
        ("<memory unit='TiB'>1</memory>", 1 << 40),
        ("<memory unit='GB'>4</memory>", 3815 * MiB),  # 4e9 bytes, rounded up to a MiB
        ("<memory unit='KB'>1048576</memory>", 1000 * MiB),  # 1048576 x 1000 bytes
    ],
)
def test_libvirt_memory_units(memory: str, ram: int) -> None:
    assert domain(memory + "<os><type machine='q35'>hvm</type></os>").ram_bytes == ram


@pytest.mark.parametrize(
    ("memory", "problem"),
    [
        ("<memory unit='parsecs'>4</memory>", "not a libvirt size unit"),
        ("<memory>lots</memory>", "not a whole number"),
        ("<memory>-4</memory>", "not a whole number"),
        ("<memory>0</memory>", "zero RAM"),
    ],
)
def test_libvirt_memory_malformed(memory: str, problem: str) -> None:
    with pytest.raises(InputError) as exc:
        domain(memory)
    assert problem in exc.value.problem and exc.value.field == "<memory>"


def test_libvirt_current_memory_vcpus_and_numa_cells() -> None:
    d = domain(
        "<memory unit='GiB'>8</memory><currentMemory unit='GiB'>4</currentMemory>"
        "<vcpu current='2'>8</vcpu>"
    )
    assert (d.ram_bytes, d.vcpus) == (8 * GiB, 2)
    assert said(d, "balloon", "see 8 GiB")
    assert said(d, "boots with 2 of 8 vCPUs")
    d = domain(
        "<cpu><numa><cell id='0' memory='2' unit='GiB'/><cell memory='2097152'/></numa></cpu>"
    )
    assert d.ram_bytes == 4 * GiB and said(d, "sum of the NUMA cells")
    d = domain("<vcpu>2</vcpu>")
    assert d.ram_bytes is None and said(d, "no <memory>", "--ram")
    assert domain("<memory>1048576</memory>").vcpus == 1
    with pytest.raises(InputError) as exc:
        domain("<vcpu>0</vcpu>")
    assert exc.value.field == "<vcpu>"


def test_libvirt_machine_loader_kernel_and_cmdline() -> None:
    d = domain(
        "<memory unit='GiB'>64</memory><os><type arch='x86_64' machine='pc-i440fx-8.2'>hvm</type>"
        "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
        "<kernel>/boot/vmlinuz</kernel><cmdline>console=ttyS0 accept_memory=eager</cmdline></os>"
    )
    assert d.layout == Layout.LOW_3G
    assert d.firmware_path == "/usr/share/OVMF/OVMF_CODE.fd"
    assert d.firmware_hint == FirmwareHint.OVMF
    assert d.loader == Loader.EFI_STUB
    assert d.accept_memory == AcceptMemory.EAGER
    d = domain("<memory unit='GiB'>64</memory>")
    assert d.layout == Layout.LOW_3G and said(d, "QEMU's default, pc (i440fx)")
    with pytest.raises(InputError) as exc:
        domain("<os><kernel>k</kernel><cmdline>accept_memory=off</cmdline></os>")
    assert exc.value.field == "<cmdline>"


def test_libvirt_launch_security_kinds() -> None:
    assert domain("<launchSecurity type='tdx'/>").platform == Platform.TDX
    assert domain("<launchSecurity type='sev-snp'/>").platform == Platform.SNP
    d = domain("<launchSecurity type='s390-pv'/>")
    assert d.platform is None and said(d, "'s390-pv'", "neither TDX nor SEV-SNP")
    assert said(domain(""), "no <launchSecurity>", "--platform")


def test_libvirt_hugepage_sizes() -> None:
    def backing(pages: str) -> VmDefinition:
        return domain(f"<memoryBacking><hugepages>{pages}</hugepages></memoryBacking>")

    assert backing("<page size='1' unit='G'/>").host_page_size == GiB
    assert backing("<page size='2048'/>").host_page_size == 2 * MiB  # KiB by default
    d = backing("<page size='1' unit='G' nodeset='0'/><page size='2' unit='M' nodeset='1'/>")
    assert d.host_page_size == 2 * MiB and said(d, "several huge page sizes")
    assert domain("<memoryBacking><source type='memfd'/></memoryBacking>").host_page_size is None
    with pytest.raises(InputError) as exc:
        backing("<page size='huge'/>")
    assert exc.value.field == "<hugepages><page size>"


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<domain>&lol;</domain>',
        "<!doctype domain><domain/>",
        '<domain><!ENTITY x "y"></domain>',
    ],
)
def test_libvirt_refuses_dtds_and_entities(text: str) -> None:
    with pytest.raises(InputError, match="document type or entity"):
        parse_vm_definition(text, "evil.xml")


def test_libvirt_malformed_xml_and_wrong_root() -> None:
    with pytest.raises(InputError) as exc:
        parse_vm_definition("<domain>\n<memory>1</memory>\n<vcpu>", "bad.xml")
    assert "not well-formed" in exc.value.problem and exc.value.line == 3
    with pytest.raises(InputError, match="root element is <network>"):
        parse_vm_definition("<network><name>x</name></network>", "net.xml")


# ---------------------------------------------------------------------------
# Kata
# ---------------------------------------------------------------------------


def kata(body: str, runtime: str = "", name: str = "configuration-qemu.toml") -> VmDefinition:
    text = f"[hypervisor.qemu]\n{body}\n"
    if runtime:
        text += f"[runtime]\n{runtime}\n"
    return parse_vm_definition(text, name)


def test_kata_defaults_when_absent() -> None:
    d = kata("confidential_guest = true")
    assert (d.ram_bytes, d.vcpus, d.layout) == (2048 * MiB, 1, Layout.Q35)
    assert said(d, "Kata default_memory absent: 2048 MiB, Kata's default")
    assert said(d, "Kata default_vcpus absent: 1, Kata's default")
    assert said(d, "no machine_type: Kata's default, q35")
    assert said(d, "firmware is empty")
    assert said(d, "no create_container_timeout", "60 s")
    assert d.deadline_s is None
    # No marker: Kata decides from the host at run time.
    assert d.platform is None and said(d, "Kata picks the platform from the host", "--platform")


def test_kata_memory_and_vcpus_rules() -> None:
    d = kata("default_memory = 128\ndefault_vcpus = 0")
    assert d.ram_bytes == 2048 * MiB and said(d, "128 MiB, below Kata's 256 MiB minimum")
    assert d.vcpus == 1 and said(d, "default_vcpus 0: 1")
    d = kata("default_memory = 65536\ndefault_vcpus = 2.5")
    assert d.ram_bytes == 64 * GiB and said(d, "65536 is 64 GiB")
    assert d.vcpus == 3 and said(d, "rounds default_vcpus = 2.5 up to 3")
    d = kata("default_vcpus = -1")
    assert d.vcpus is None and said(d, "host's CPU count", "--vcpus")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('default_memory = "2G"', "[hypervisor.qemu] default_memory"),
        ("default_memory = true", "[hypervisor.qemu] default_memory"),
        ('default_vcpus = "one"', "[hypervisor.qemu] default_vcpus"),
        ('confidential_guest = "yes"', "[hypervisor.qemu] confidential_guest"),
        ("kernel_params = 3", "[hypervisor.qemu] kernel_params"),
        ('kernel_params = "accept_memory=never"', "[hypervisor.qemu] kernel_params"),
    ],
)
def test_kata_wrong_types_name_the_key(body: str, field: str) -> None:
    with pytest.raises(InputError) as exc:
        kata(body)
    assert exc.value.field == field


def test_kata_platform_markers() -> None:
    d = kata("confidential_guest = true\nsev_snp_guest = true")
    assert d.platform == Platform.SNP
    d = kata('confidential_guest = true\nfirmware = "/opt/kata/share/ovmf/OVMF.inteltdx.fd"')
    assert d.platform == Platform.TDX and said(
        d, "firmware '/opt/kata/share/ovmf/OVMF.inteltdx.fd'"
    )
    d = kata("confidential_guest = true", name="/etc/kata/configuration-qemu-tdx.toml")
    assert d.platform == Platform.TDX and said(d, "the file name 'configuration-qemu-tdx.toml'")
    d = kata("confidential_guest = true", name="configuration-qemu-snp.toml")
    assert d.platform is None and said(d, "sev_snp_guest is not true", "plain SEV")
    d = kata(
        "confidential_guest = true\nsev_snp_guest = true\n"
        "tdx_quote_generation_service_socket_port = 0"
    )
    assert d.platform is None and said(d, "point both ways")
    d = kata("confidential_guest = false\nsev_snp_guest = true")
    assert d.platform is None and said(d, "confidential_guest is not true")


def test_kata_hugepages_shared_fs_and_kernel_params() -> None:
    d = kata(
        'enable_hugepages = true\nshared_fs = "virtio-fs"\n'
        'kernel_params = "agent.log=debug accept_memory=eager efi=debug"'
    )
    assert d.host_page_size == 2 * MiB and said(d, "/dev/hugepages", "2 MiB assumed")
    assert said(d, "shared_fs = virtio-fs")
    assert d.accept_memory == AcceptMemory.EAGER and d.efi_debug
    assert d.loader == Loader.EFI_STUB


def test_kata_deadline_sections() -> None:
    assert kata("", "create_container_timeout = 1200").deadline_s == 1200.0
    d = kata("", "create_container_timeout = 0")
    assert d.deadline_s is None and said(d, "= 0: no boot deadline")
    d = parse_vm_definition(
        "[hypervisor.qemu]\n[agent.kata]\ncreate_container_timeout = 300\n", "rs.toml"
    )
    assert d.deadline_s == 300.0 and said(d, "[agent.kata] create_container_timeout = 300 s")
    d = parse_vm_definition(
        "[hypervisor.qemu]\n[agent.kata]\ncreate_container_timeout = 30\n"
        "[runtime]\ncreate_container_timeout = 90\n",
        "both.toml",
    )
    assert d.deadline_s == 90.0 and said(d, "[runtime] is read")
    for bad in ("-5", "true", '"60s"'):
        with pytest.raises(InputError) as exc:
            kata("", f"create_container_timeout = {bad}")
        assert exc.value.field == "[runtime] create_container_timeout"


def test_kata_other_hypervisors_and_malformed_files() -> None:
    d = parse_vm_definition("[hypervisor.clh]\ndefault_memory = 4096\n", "configuration-clh.toml")
    assert d.ram_bytes == 4 * GiB and d.layout is None and said(d, "hypervisor clh is not QEMU")
    d = parse_vm_definition("[hypervisor.qemu]\n[hypervisor.fc]\n", "x.toml")
    assert said(d, "[hypervisor.qemu] is read")
    with pytest.raises(InputError, match="not valid TOML"):
        parse_vm_definition("[hypervisor.qemu]\ndefault_memory = = 3\n", "x.toml")
    with pytest.raises(InputError, match="no \\[hypervisor.NAME\\] table"):
        parse_vm_definition('note = """\n[hypervisor.qemu]\n"""\n', "x.toml")
    with pytest.raises(InputError, match="unrendered Kata template"):
        kata("default_memory = @DEFMEMSZ@")
