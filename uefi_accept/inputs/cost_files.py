"""Cost-model files (`--cost-model FILE`): a host's own constants.

A TOML file names any of the cost model's constants, for the scenario's
platform at the top level or in a `[snp]` / `[tdx]` table; the built-in model
supplies the rest. `uefi-accept validate --format json` prints every constant
with its current value; the README's model section says where each comes from.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from uefi_accept.errors import InputError
from uefi_accept.inputs.files import read_toml
from uefi_accept.model.cost import COST_MODELS, CostModel
from uefi_accept.model.scenario import Platform

MAX_COST_FILE_BYTES = 1 << 20
_FIELDS = tuple(f for f in CostModel.__struct_fields__ if f != "platform")


def _check(key: str, value: Any, source: str) -> Any:
    if key == "host_4k_splits_accepts":
        if not isinstance(value, bool):
            raise InputError("must be true or false", source=source, field=key)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a number, got {value!r}"[:120], source=source, field=key)
    if not math.isfinite(value) or value < 0:
        raise InputError("must be a finite number, at least 0", source=source, field=key)
    if key.endswith("max_parallel_vcpus"):
        if not isinstance(value, int) or value < 1:
            raise InputError(
                "must be a whole number of vCPUs, at least 1", source=source, field=key
            )
    elif key.endswith("serial_fraction") and value > 1:
        raise InputError("a fraction from 0 to 1", source=source, field=key)
    return float(value) if not key.endswith("max_parallel_vcpus") else value


def cost_model_from_data(data: Any, platform: Platform, source: str) -> CostModel:
    if not isinstance(data, dict):
        raise InputError("a cost model file is a table of constants", source=source)
    values = {k: v for k, v in data.items() if k not in ("snp", "tdx")}
    section = data.get(str(platform), {})
    if not isinstance(section, dict):
        raise InputError("must be a table of constants", source=source, field=str(platform))
    values |= section
    if not values:
        others = [p for p in ("snp", "tdx") if p != str(platform) and p in data]
        where = f": it only has [{others[0]}] (--platform {others[0]}?)" if others else ""
        raise InputError(f"no constant for {platform.upper()}{where}", source=source)
    changes = {}
    for key, value in values.items():
        if key not in _FIELDS:
            import difflib

            near = difflib.get_close_matches(key, _FIELDS, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise InputError(f"not a cost model constant{hint}", source=source, field=key)
        changes[key] = _check(key, value, source)
    return msgspec.structs.replace(COST_MODELS[platform], **changes)


def load_cost_model(path: str, platform: Platform) -> CostModel:
    data, source = read_toml(path, MAX_COST_FILE_BYTES)
    return cost_model_from_data(data, platform, source)
