"""Values exactly as USD stores them: one quantizer, decided by the attribute's value type."""

from __future__ import annotations

import numpy as np

# Sdf value types whose values are stored as float32: quantize before recording so values round-trip exactly.
FLOAT32_TYPES = {"float", "float2", "float3", "float4", "color3f", "color4f", "vector3f", "point3f",
                 "normal3f", "quatf", "half", "half3", "color3h", "texCoord2f"}


DOUBLE_TYPES = {"double", "double2", "double3", "double4", "vector3d", "point3d", "color3d", "quatd", "timecode"}


INT_TYPES = {"int", "uint", "int64", "uint64", "uchar"}


def quantize(v: float, type_name: str) -> float | int:
    """Round a value exactly as USD will store it (float32 for float-typed attributes)."""
    if type_name in INT_TYPES:
        return int(round(v))
    if type_name in DOUBLE_TYPES:
        return float(v)
    return float(np.float32(v))
