"""A moved body's new world pose as values of the xform ops it already has (or one matrix op)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from pxr import Gf

from ...blocks.quantize import quantize
from ...scene.xforms import (
    Op,
    Xf,
)

_ROTATE3 = {"RotateXYZ": "xyz", "RotateXZY": "xzy", "RotateYXZ": "yxz", "RotateYZX": "yzx",
            "RotateZXY": "zxy", "RotateZYX": "zyx"}


_ROTATE1 = {"RotateX": 0, "RotateY": 1, "RotateZ": 2}


def _rigid(m: np.ndarray) -> bool:
    r = m[:3, :3]
    return bool(np.allclose(r @ r.T, np.eye(3), atol=1e-9) and np.linalg.det(r) > 0)


def _rotation_values(op: Op, rot_row: np.ndarray):
    """Values of a rotation op that give `rot_row` (row convention 3x3), or None if it cannot."""
    rc = rot_row.T
    if op.op_type == "Orient":
        q = Gf.Matrix4d(Gf.Matrix3d(*rot_row.ravel().tolist()), Gf.Vec3d(0, 0, 0)).ExtractRotationQuat()
        w, (x, y, z) = q.GetReal(), q.GetImaginary()
        v = np.array([w, x, y, z]) * (1.0 if w >= 0 else -1.0)
        return v / np.linalg.norm(v)
    if op.op_type in _ROTATE3:
        from scipy.spatial.transform import Rotation

        order = _ROTATE3[op.op_type]
        with warnings.catch_warnings():  # gimbal lock (a Z-up asset stood up: X = -90) is fine, see `back`
            warnings.simplefilter("ignore", UserWarning)
            ang = Rotation.from_matrix(rc).as_euler(order, degrees=True)
        out = np.zeros(3)
        for letter, a in zip(order, ang, strict=True):
            out["xyz".index(letter)] = a
        back = Rotation.from_euler(order, [out["xyz".index(c)] for c in order], degrees=True).as_matrix()
        return out if np.allclose(back, rc, atol=1e-9) else None
    if op.op_type in _ROTATE1:
        i = _ROTATE1[op.op_type]
        if abs(rc[i, i] - 1.0) > 1e-9:
            return None  # the new rotation is not about this op's axis
        a, b = [(1, 2), (2, 0), (0, 1)][i]
        return np.degrees(math.atan2(rc[b, a], rc[a, a]))
    return None


def local_values(xf: Xf, d: np.ndarray) -> list[tuple[str, str, Any]]:
    """(attribute, Sdf type, value) to author so the prim's world transform becomes ``xf.world @ d``.

    Keeps the prim's own ops when they can express it (leading translate ops + one rotation op, any ops
    after that untouched): new translate = old translate rotated and shifted, new rotation = old rotation
    turned by the yaw.  Otherwise one ``xformOp:transform`` matrix and a new xformOpOrder."""
    pinv = np.linalg.inv(xf.parent)
    e = xf.parent @ d @ pinv
    ops = xf.ops
    rot_idx = [k for k, op in enumerate(ops) if op.op_type == "Orient" or op.op_type.startswith("Rotate")]
    if not xf.animated and _rigid(e) and len(rot_idx) == 1 and rot_idx[0] > 0:
        r = rot_idx[0]
        pre = ops[:r]
        # half-precision ops (half3, quath: ~3 digits) would round the accepted pose into an overlap
        if all(op.op_type == "Translate" and not op.inverse for op in pre) and not ops[r].inverse and not any(
                op.type_name.startswith(("half", "quath")) for op in ops[:r + 1]):
            tau = sum(op.matrix[3, :3] for op in pre)
            new_rot = ops[r].matrix[:3, :3] @ e[:3, :3]
            values = _rotation_values(ops[r], new_rot)
            if values is not None:
                w = next((op for op in pre if op.attr == "xformOp:translate"), pre[0])
                t_new = tau @ e[:3, :3] + e[3, :3] - (tau - w.matrix[3, :3])
                return [(w.attr, w.type_name, quantize(t_new, w.type_name)),
                        (ops[r].attr, ops[r].type_name, quantize(values, ops[r].type_name))]
    local = xf.world @ d @ pinv
    mat = quantize(local, "matrix4d")
    if len(ops) == 1 and ops[0].op_type == "Transform" and not ops[0].inverse and not xf.animated:
        return [(ops[0].attr, ops[0].type_name, mat)]
    order = (("!resetXformStack!",) if xf.reset else ()) + ("xformOp:transform",)
    return [("xformOp:transform", "matrix4d", mat), ("xformOpOrder", "token[]", order)]
