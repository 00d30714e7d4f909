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
        m = quat_matrices(np.asarray(value, dtype=float)[None])[0]
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
        m = quat_matrices(v)
    elif op_type == "Transform":
        m = v.reshape(n, 4, 4).copy()
    else:
        raise ValueError(f"unknown xform op type {op_type!r}")
    return np.linalg.inv(m) if inverse else m


def quat_matrices(q: np.ndarray) -> np.ndarray:
    """(n, 4, 4) row-convention rotations of quaternions (w, x, y, z) exactly as USD reads an orient op:
    GfRotation(quat) takes the angle from 2 acos(w) and the axis from the imaginary part, so a float quaternion
    whose w rounded to 1 is no turn at all, whatever its imaginary part says."""
    q = np.asarray(q, dtype=float).reshape(-1, 4)
    w = np.clip(q[:, 0], -1.0, 1.0)
    imag = q[:, 1:]
    norm = np.linalg.norm(imag, axis=1)
    angle = 2.0 * np.arccos(w)
    axis = np.where(norm[:, None] > 0, imag / np.where(norm > 0, norm, 1.0)[:, None], [[1.0, 0.0, 0.0]])
    c, s, t = np.cos(angle), np.sin(angle), 1.0 - np.cos(angle)
    x, y, z = axis.T
    r = np.stack([np.stack([t * x * x + c, t * x * y - s * z, t * x * z + s * y], -1),
                  np.stack([t * x * y + s * z, t * y * y + c, t * y * z - s * x], -1),
                  np.stack([t * x * z - s * y, t * y * z + s * x, t * z * z + c], -1)], 1)  # column convention
    m = np.tile(np.eye(4), (len(q), 1, 1))
    m[:, :3, :3] = np.swapaxes(r, 1, 2)
    return m
