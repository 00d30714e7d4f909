"""UsdGeom xform ops as 4x4 matrices (row-vector convention), with numpy only.

What lets verify re-check a variant from the values its layer authors, without composing the stage: a prim's
local transform is the product of its op matrices, the first op of xformOpOrder applied last (USD:
``p_parent = p_local @ M[n-1] @ ... @ M[0]``). `op_matrix` covers every op type UsdGeom defines; tests hold
it equal to `UsdGeom.XformOp.GetOpTransform`.
"""

from __future__ import annotations

import math

import numpy as np

OP_TYPES = ("Translate", "Scale", "RotateX", "RotateY", "RotateZ", "RotateXYZ", "RotateXZY", "RotateYXZ",
            "RotateYZX", "RotateZXY", "RotateZYX", "Orient", "Transform")


def _rot(axis: int, deg: float) -> np.ndarray:
    """Row-convention 4x4 rotation by `deg` degrees about a coordinate axis (right-handed)."""
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    a, b = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(4)
    m[a, a], m[a, b], m[b, a], m[b, b] = c, s, -s, c
    return m


def op_matrix(op_type: str, value, inverse: bool = False) -> np.ndarray:
    """The 4x4 (row convention) of one op with the given value; raises ValueError for an unknown op type."""
    if op_type == "Translate":
        m = np.eye(4)
        m[3, :3] = np.asarray(value, dtype=float)
    elif op_type == "Scale":
        m = np.diag([*np.asarray(value, dtype=float), 1.0])
    elif op_type in ("RotateX", "RotateY", "RotateZ"):
        m = _rot("XYZ".index(op_type[-1]), float(value))
    elif op_type.startswith("Rotate") and len(op_type) == 9:
        angles = np.asarray(value, dtype=float)
        m = np.eye(4)
        for letter in op_type[6:]:  # the first letter is applied first: leftmost in row convention
            i = "XYZ".index(letter)
            m = m @ _rot(i, angles[i])
    elif op_type == "Orient":
        w, x, y, z = (float(v) for v in value)
        n = math.sqrt(w * w + x * x + y * y + z * z) or 1.0
        w, x, y, z = w / n, x / n, y / n, z / n
        r = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                      [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                      [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
        m = np.eye(4)
        m[:3, :3] = r.T  # column-convention rotation -> row convention
    elif op_type == "Transform":
        m = np.asarray(value, dtype=float).reshape(4, 4)
    else:
        raise ValueError(f"unknown xform op type {op_type!r}")
    return np.linalg.inv(m) if inverse else m


def local_matrix(ops: list[tuple[str, object, bool]]) -> np.ndarray:
    """A prim's local transform from its ops in xformOpOrder: [(op type, value, inverse), ...]."""
    m = np.eye(4)
    for op_type, value, inverse in reversed(ops):
        m = m @ op_matrix(op_type, value, inverse)
    return m


def op_type_of(attr: str) -> str | None:
    """The op type an attribute name declares (`xformOp:rotateXYZ:pivot` -> RotateXYZ), None if not an op."""
    parts = attr.split(":")
    if len(parts) < 2 or parts[0] != "xformOp":
        return None
    name = parts[1][:1].upper() + parts[1][1:]
    return name if name in OP_TYPES else None


def _rots(axis: int, deg: np.ndarray) -> np.ndarray:
    t = np.radians(np.asarray(deg, dtype=float))
    c, s = np.cos(t), np.sin(t)
    a, b = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.tile(np.eye(4), (len(t), 1, 1))
    m[:, a, a], m[:, a, b], m[:, b, a], m[:, b, b] = c, s, -s, c
    return m


def op_matrices(op_type: str, values, inverse: bool = False) -> np.ndarray:
    """`op_matrix` for n values of one op type at once: (n, 4, 4)."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    if op_type == "Translate":
        m = np.tile(np.eye(4), (n, 1, 1))
        m[:, 3, :3] = v
    elif op_type == "Scale":
        m = np.tile(np.eye(4), (n, 1, 1))
        m[:, [0, 1, 2], [0, 1, 2]] = v
    elif op_type in ("RotateX", "RotateY", "RotateZ"):
        m = _rots("XYZ".index(op_type[-1]), v.reshape(n))
    elif op_type.startswith("Rotate") and len(op_type) == 9:
        m = np.tile(np.eye(4), (n, 1, 1))
        for letter in op_type[6:]:
            i = "XYZ".index(letter)
            m = m @ _rots(i, v[:, i])
    elif op_type == "Orient":
        q = v / np.where(np.linalg.norm(v, axis=1, keepdims=True) > 0, np.linalg.norm(v, axis=1, keepdims=True), 1)
        w, x, y, z = q.T
        r = np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
                      np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
                      np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], 1)
        m = np.tile(np.eye(4), (n, 1, 1))
        m[:, :3, :3] = np.swapaxes(r, 1, 2)
    elif op_type == "Transform":
        m = v.reshape(n, 4, 4).copy()
    else:
        raise ValueError(f"unknown xform op type {op_type!r}")
    return np.linalg.inv(m) if inverse else m
