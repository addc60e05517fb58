"""JSON Schemas of every JSON document uefi-accept writes, and of profile files.

Generated from the records that produce the documents (`inputs.documents`) and
read the profiles (`model.profiles`), and shipped beside the code as
`uefi_accept/schemas/*.json`, which `uefi-accept schema KIND` prints; a test
keeps the shipped files equal to what this module generates. After changing a
document or profile record, rewrite them:

    python -m uefi_accept.inputs.schemas

Descriptions come from the records: `Meta(description=...)` on document
fields, class docstrings, and for the model's records (profiles, cost model),
which carry none, the source comment above a field (or after an enum member).
Profile schemas are inlined whole (no `$ref`), so editors that only know older
drafts (Taplo, Even Better TOML) read them as well.
"""

from __future__ import annotations

import enum
import os
import re
from functools import cache
from typing import Any

from uefi_accept.inputs.documents import DOCUMENTS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://uefi-accept.invalid/schema/"
SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")
PROFILE_KINDS = ("firmware-profile", "kernel-profile")
KINDS: tuple[str, ...] = (*DOCUMENTS, *PROFILE_KINDS)
# What `uefi-accept schema` lists.
SUMMARY = {
    "run": "`run --format json`: one firmware x kernel combination",
    "matrix": "`matrix --format json`: the verdict matrix; golden files",
    "check": "`check --format json`: golden files recomputed, compared",
    "upgrades": "`upgrades --format json`: upgrades that make a boot worse",
    "sweep": "`sweep --format json`: every combination over a range",
    "grid": "`sweep --format json` over two ranges: VM shapes",
    "compare": "`compare --format json`: two firmware or kernels across RAM",
    "validation": "`validate --format json`: the model against measurements",
    "inspect": "`inspect --format json`: what a boot log says",
    "profiles": "`profiles --format json`: the built-in profiles",
    "firmware-profile": "a firmware profile file (TOML or JSON): --fw FILE",
    "kernel-profile": "a kernel profile file (TOML or JSON): --kernel FILE",
}
# Fields of the model's records that have no comment of their own.
FIELD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "FirmwareProfile": {
        "name": "The profile's name, what --fw takes: letters, digits, . _ + : - (up to 64).",
        "description": "What this firmware is, and the release or source it stands for.",
        "platforms": "The platforms this firmware runs on: snp, tdx.",
        "handover": "What happens to memory the firmware did not accept (see the values).",
        "accept_page_size": "Page size the firmware accepts memory with: 2M or 4K.",
        "accept_vcpus": "Who accepts: the boot processor alone (bsp) or every vCPU (all).",
    },
    "KernelProfile": {
        "name": "The profile's name, what --kernel takes: letters, digits, . _ + : - (up to 64).",
        "description": "What this kernel is, and the release or source it stands for.",
        "accept_memory": "accept_memory= on the kernel command line: lazy or eager.",
        "efi_stub": "Booted through the EFI stub, which builds e820 from the EFI memory map.",
        "version": "The kernel's version (e.g. 6.8.0), where behaviour depends on it.",
    },
    "CostModel": {
        "platform": "The platform: snp or tdx.",
        "accept_s_per_gib_4k": "Seconds to accept 1 GiB on one vCPU with 4 KiB accepts.",
        "max_parallel_vcpus": "Linux's acceptance does not speed up past this many vCPUs.",
        "firmware_max_parallel_vcpus": "The firmware's acceptance does not speed up past this.",
        "firmware_s_per_gib": "Firmware seconds per GiB of RAM, acceptance aside.",
        "kernel_base_s": "Kernel seconds from entry to a shell that RAM does not change.",
        "kernel_s_per_gib": "Kernel seconds per GiB of RAM (struct page init), acceptance aside.",
        "shared_convert_s_per_page_per_vcpu": "Seconds more per page converted to shared, "
        "per vCPU inside the TD.",
    },
}


def file_name(kind: str) -> str:
    """The shipped file: KIND-VERSION.json for a document, KIND.json for a profile."""
    if kind in DOCUMENTS:
        return f"{kind}-{DOCUMENTS[kind][1]}.json"
    return f"{kind}.json"


def schema_text(kind: str) -> str:
    """The shipped schema of `kind`, as printed by `uefi-accept schema KIND`; generated
    when the file is missing (a source tree whose schemas were not written)."""
    try:
        with open(os.path.join(SCHEMA_DIR, file_name(kind)), encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return dump_schema(schemas()[kind])


def dump_schema(schema: dict[str, Any]) -> str:
    from uefi_accept.inputs.documents import dump_json

    return dump_json(schema)


def schemas() -> dict[str, dict[str, Any]]:
    """Every kind's JSON Schema (draft 2020-12), generated now from the records."""
    from uefi_accept.model.profiles import FirmwareProfile, KernelProfile

    out = {}
    for kind, (cls, version) in DOCUMENTS.items():
        title = f"uefi-accept {kind} document, schema version {version}"
        out[kind] = _schema(kind, cls, title, inline=False)
    out["firmware-profile"] = _schema(
        "firmware-profile", FirmwareProfile, "uefi-accept firmware profile", inline=True
    )
    out["kernel-profile"] = _schema(
        "kernel-profile", KernelProfile, "uefi-accept kernel profile", inline=True
    )
    return out


def write_schemas(directory: str = SCHEMA_DIR) -> list[str]:
    """Write every schema into `directory`, removing schemas no kind has any more
    (an old version's file). Returns the files written."""
    os.makedirs(directory, exist_ok=True)
    wanted = {file_name(kind): dump_schema(s) for kind, s in schemas().items()}
    for name in os.listdir(directory):
        if name.endswith(".json") and name not in wanted:
            os.remove(os.path.join(directory, name))
    for name, text in wanted.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return sorted(wanted)


# -- generation ---------------------------------------------------------------------------


def _schema(kind: str, cls: type, title: str, inline: bool) -> dict[str, Any]:
    import msgspec

    from uefi_accept.model.profiles import FirmwareProfile, KernelProfile

    # The profiles always come along: a matrix's profile entries refer to them.
    (root_ref, *_), defs = msgspec.json.schema_components(
        [cls, FirmwareProfile, KernelProfile], ref_template="#/$defs/{name}"
    )
    classes = _classes([cls, FirmwareProfile, KernelProfile])
    for name, node in defs.items():
        _describe(node, classes.get(name))
    root_name = root_ref["$ref"].rsplit("/", 1)[1]
    root = defs[root_name]
    head = {"$schema": DRAFT, "$id": BASE_ID + file_name(kind), "title": title}
    if inline:
        return {**head, **_inline({k: v for k, v in root.items() if k != "title"}, defs)}
    used = _reachable(root, defs)
    used.discard(root_name)
    body = {k: v for k, v in root.items() if k != "title"}
    return {**head, **body, "$defs": {name: defs[name] for name in sorted(used)}}


def _classes(types: list[Any]) -> dict[str, type]:
    """The Struct and Enum classes the schemas name, by name."""
    import msgspec

    found: dict[str, type] = {}

    def walk(t: Any) -> None:
        if isinstance(t, msgspec.inspect.StructType):
            if t.cls.__name__ in found:
                return
            found[t.cls.__name__] = t.cls
            for f in t.fields:
                walk(f.type)
        elif isinstance(t, msgspec.inspect.EnumType):
            found[t.cls.__name__] = t.cls
        elif isinstance(t, msgspec.inspect.Metadata):
            walk(t.type)
        elif isinstance(t, msgspec.inspect.UnionType):
            for u in t.types:
                walk(u)
        elif isinstance(t, msgspec.inspect.DictType):
            walk(t.key_type)
            walk(t.value_type)
        elif isinstance(t, msgspec.inspect.CollectionType):
            walk(t.item_type)

    for t in msgspec.inspect.multi_type_info(types):
        walk(t)
    return found


def _describe(node: dict[str, Any], cls: type | None) -> None:
    """Clean docstring indentation; give each undescribed field its source comment;
    list an enum's values with theirs."""
    import inspect

    if "description" in node:
        # Docstring lines joined; paragraphs kept.
        paragraphs = inspect.cleandoc(node["description"]).split("\n\n")
        node["description"] = "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)
    if cls is None:
        return
    comments = _comments(cls)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        values = [f"{m.value}: {comments[m.name].rstrip('.')}" for m in cls if m.name in comments]
        if values:
            parts = [node["description"]] if "description" in node else []
            node["description"] = " ".join([*parts, "; ".join(values) + "."])
        return
    extra = FIELD_DESCRIPTIONS.get(cls.__name__, {})
    for name, prop in node.get("properties", {}).items():
        text = comments.get(name) or extra.get(name)
        if text and "description" not in prop:
            prop["description"] = text


_ATTR = re.compile(r"^(\s+)([A-Za-z_]\w*)\s*[:=]")


@cache  # inspect.getsource parses the class's whole module each time
def _comments(cls: type) -> dict[str, str]:
    """Each attribute of a class body with the comment lines right above it, or the
    comment after it on its line."""
    import inspect
    import io
    import tokenize

    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    trailing: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and tok.line.strip() != tok.string.strip():
            trailing[tok.start[0]] = tok.string
    out: dict[str, str] = {}
    block: list[str] = []
    body_indent: str | None = None
    for number, line in enumerate(source.splitlines()[1:], start=2):
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#").strip())
            continue
        m = _ATTR.match(line)
        if body_indent is None and stripped and not stripped.startswith(('"""', "'''")):
            body_indent = line[: len(line) - len(line.lstrip())]
        if m and m.group(1) == body_indent:
            text = block or ([trailing[number].lstrip("#").strip()] if number in trailing else [])
            if text:
                out[m.group(2)] = " ".join(text)
        block = []
    return out


def _reachable(node: Any, defs: dict[str, Any]) -> set[str]:
    seen: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            ref = n.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    walk(defs[name])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return seen


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `$ref` replaced by its definition (the records here are not
    recursive); keywords beside a `$ref` win over the definition's."""
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline(v, defs) for k, v in node.items() if k != "$ref"}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _inline(defs[ref.rsplit("/", 1)[1]], defs)
        target.pop("title", None)
        if "description" in out and "description" in target:
            # The field's own words first, then what the values mean.
            out["description"] = out["description"] + " " + target.pop("description")
        out = {**target, **out}
    return out


if __name__ == "__main__":
    for written in write_schemas():
        print(os.path.join(SCHEMA_DIR, written))
