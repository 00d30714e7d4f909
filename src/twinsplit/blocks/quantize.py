"""Values exactly as USD stores them: one quantizer, decided by the attribute's own Sdf value type."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

# Sdf value type names, spelled as USD spells them: a scalar base with an optional dimension (half3, int2,
# double4, timecode), or a role with a precision suffix (point3f, color3h, texCoord2h, quatd, matrix4d, frame4d).
_BASE = re.compile(r"(half|float|double|timecode|int|uint|int64|uint64|uchar)([234]?)")
_ROLE = re.compile(r"(?:point|vector|normal|color|texCoord)[234]([hfd])|quat([hfd])|(?:matrix[234]|frame4)(d)")
_FLOATS = {"half": np.float16, "float": np.float32, "double": np.float64, "timecode": np.float64,
           "h": np.float16, "f": np.float32, "d": np.float64}


@lru_cache(maxsize=256)
def storage(type_name: str) -> type | None:
    """What USD stores one component of `type_name` as: np.float16/32/64, int, or None (not numeric: bool,
    token, string, asset). Arrays (`float3[]`) store their elements the same way."""
    t = type_name.removesuffix("[]")
    if m := _BASE.fullmatch(t):
        return _FLOATS.get(m.group(1), int)
    if m := _ROLE.fullmatch(t):
        return _FLOATS[next(g for g in m.groups() if g)]
    return None


def quantize(value: Any, type_name: str) -> Any:
    """`value` (a scalar, vector, quaternion as (real, i, j, k) or row-major matrix) rounded exactly as USD
    stores `type_name`, as plain Python: float or int, a tuple, or a tuple of row tuples. A value of a type
    that is not numeric comes back unchanged."""
    kind = storage(type_name)
    if kind is None:
        return value
    arr = np.asarray(value, dtype=np.float64)
    out = np.rint(arr) if kind is int else arr.astype(kind).astype(np.float64)
    if out.ndim == 0:
        return int(out) if kind is int else float(out)
    cast = int if kind is int else float
    if out.ndim == 2:
        return tuple(tuple(cast(v) for v in row) for row in out)
    return tuple(cast(v) for v in out)
