"""Moved bodies' new poses as values of the xform ops they already have, for thousands of bodies at once.

Bodies are grouped by the shape of their op stack (op types, value types, order); each group is solved with
array arithmetic: one batched rotation conversion per group, no per-body scipy or Gf calls. A body keeps its
own ops when they can express the move (leading translate ops + one rotation op, later ops untouched: new
translate = old translate rotated and shifted, new rotation = old rotation turned by the yaw); otherwise it
gets one `xformOp:transform` matrix (and a new xformOpOrder unless that is already its only op).
"""

from __future__ import annotations

import warnings

import numpy as np

from ...blocks.data import Columns, Edit
from ...geometry.xform_ops import op_matrices

_ATOL = 1e-9
_ROTATE3 = {"RotateXYZ": "xyz", "RotateXZY": "xzy", "RotateYXZ": "yxz", "RotateYZX": "yzx",
            "RotateZXY": "zxy", "RotateZYX": "zyx"}
_ROTATE1 = {"RotateX": 0, "RotateY": 1, "RotateZ": 2}


def _signature(xf) -> tuple:
    return (tuple((op.op_type, op.type_name, op.inverse, op.attr) for op in xf.ops), xf.animated, xf.reset)


def _keeps_ops(sig: tuple) -> int | None:
    """Index of the rotation op when a body with this op stack can keep its ops, else None."""
    ops, animated, _ = sig
    rot = [k for k, op in enumerate(ops) if op[0] == "Orient" or op[0].startswith("Rotate")]
    if animated or len(rot) != 1 or rot[0] == 0:
        return None
    r = rot[0]
    if not all(op[0] == "Translate" and not op[2] for op in ops[:r]) or ops[r][2]:
        return None
    # half-precision ops (half3, quath: ~3 digits) would round the accepted pose into an overlap
    if any(op[1].startswith(("half", "quath")) for op in ops[: r + 1]):
        return None
    if ops[r][0] not in ("Orient", *_ROTATE3, *_ROTATE1):
        return None
    return r


def _rotation_values(op_type: str, rot_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values (n, k), ok (n,)): the rotation op values giving each row-convention 3x3, and which can."""
    from scipy.spatial.transform import Rotation  # here: scipy.spatial costs ~0.3 s to import; layout only

    rc = np.swapaxes(rot_row, 1, 2)  # column convention
    n = len(rc)
    if op_type == "Orient":
        q = Rotation.from_matrix(rc).as_quat()  # x, y, z, w
        v = np.concatenate([q[:, 3:], q[:, :3]], axis=1)
        v *= np.where(v[:, :1] >= 0, 1.0, -1.0)
        return v / np.linalg.norm(v, axis=1, keepdims=True), np.ones(n, dtype=bool)
    if op_type in _ROTATE3:
        order = _ROTATE3[op_type]
        with warnings.catch_warnings():  # gimbal lock (a Z-up asset stood up: X = -90) is fine, see `back`
            warnings.simplefilter("ignore", UserWarning)
            ang = Rotation.from_matrix(rc).as_euler(order, degrees=True)
        out = np.zeros((n, 3))
        for col, letter in enumerate(order):
            out[:, "xyz".index(letter)] = ang[:, col]
        back = Rotation.from_euler(order, np.stack([out[:, "xyz".index(c)] for c in order], 1), degrees=True)
        ok = np.all(np.abs(back.as_matrix() - rc) <= _ATOL + 1e-5 * np.abs(rc), axis=(1, 2))
        return out, ok
    i = _ROTATE1[op_type]
    a, b = [(1, 2), (2, 0), (0, 1)][i]
    ok = np.abs(rc[:, i, i] - 1.0) <= _ATOL  # the new rotation is about this op's axis
    return np.degrees(np.arctan2(rc[:, b, a], rc[:, a, a]))[:, None], ok


def _rounded(arr: np.ndarray, type_name: str) -> np.ndarray:
    """`arr` rounded as USD stores `type_name`, held as float64."""
    return np.asarray(arr, dtype=np.float64).astype(_DTYPES[_dtype_name(type_name)]).astype(np.float64)


_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


def _dtype_name(type_name: str) -> str:
    kind = type_name.rstrip("0123456789[]")
    if kind.endswith("h") or kind == "half":
        return "float16"
    if kind.endswith("d") or kind in ("double", "matrix"):
        return "float64"
    return "float32"


class PoseSolver:
    """The op stacks of a fixed list of bodies, grouped and stacked once; `solve(deltas)` per variant."""

    def __init__(self, xfs: list, reach: np.ndarray | None = None, pos_tol: float = 0.0) -> None:
        """`reach[k]`: how far body k's colliders extend from its origin (stage units); a rotation op whose value,
        rounded to the op's precision and read as USD reads it, turns those points more than `pos_tol` away from
        the intended pose is not used (the body gets a double-precision matrix instead)."""
        self.n = len(xfs)
        self.reach = np.zeros(self.n) if reach is None else np.asarray(reach, dtype=float)
        self.pos_tol = pos_tol
        by_sig: dict[tuple, list[int]] = {}
        for k, xf in enumerate(xfs):
            by_sig.setdefault(_signature(xf), []).append(k)
        self.groups = []
        for sig, idx in by_sig.items():
            idx = np.array(idx)
            ref = xfs[idx[0]]
            g = {"idx": idx, "ref": ref, "r": _keeps_ops(sig),
                 "parent": np.array([xfs[k].parent for k in idx]), "world": np.array([xfs[k].world for k in idx])}
            g["pinv"] = np.linalg.inv(g["parent"])
            r = g["r"]
            if r is not None:
                pre = ref.ops[:r]
                g["wi"] = next((i for i, op in enumerate(pre) if op.attr == "xformOp:translate"), 0)
                g["rot"] = np.array([xfs[k].ops[r].matrix[:3, :3] for k in idx])
                g["tau"] = np.array([np.sum([xfs[k].ops[i].matrix[3, :3] for i in range(r)], axis=0) for k in idx])
                g["w_t"] = np.array([xfs[k].ops[g["wi"]].matrix[3, :3] for k in idx])
            self.groups.append(g)

    def solve(self, deltas: np.ndarray, which: np.ndarray, paths: list[str]) -> list[Edit | Columns]:
        """What to author so body k's world transform becomes ``world[k] @ deltas[k]`` for every k in `which`
        (sorted; deltas: (n, 4, 4) world deltas, row convention; paths: every body's prim path), in body order:
        bodies that keep their ops as Columns of (translate, rotation) values, one per run of bodies with the
        same op stack; the others as Edits of a double-precision matrix."""
        deltas = np.asarray(deltas, dtype=float)
        want = np.zeros(self.n, dtype=bool)
        want[which] = True
        label = np.full(self.n, -1)  # body -> index into `cols` (-1: a matrix Edit in `mats`)
        row = np.zeros(self.n, dtype=int)
        cols: list[tuple] = []
        mats: dict[int, list[Edit]] = {}
        for g in self.groups:
            sel = want[g["idx"]]
            if not sel.any():
                continue
            idx, ref, r = g["idx"][sel], g["ref"], g["r"]
            d = deltas[idx]
            todo = np.ones(len(idx), dtype=bool)
            if r is not None:
                e = g["parent"][sel] @ d @ g["pinv"][sel]
                er = e[:, :3, :3]
                rigid = np.all(np.abs(er @ np.swapaxes(er, 1, 2) - np.eye(3)) <= _ATOL, axis=(1, 2)) & (
                    np.linalg.det(er) > 0)
                target = g["rot"][sel] @ er
                values, ok = _rotation_values(ref.ops[r].op_type, target)
                ok &= rigid
                # what USD will make of the rounded value (a float quaternion's small turn can round away)
                rounded = np.asarray(values, dtype=np.float64).astype(_DTYPES[_dtype_name(ref.ops[r].type_name)])
                real = op_matrices(ref.ops[r].op_type, rounded.astype(np.float64))[:, :3, :3]
                off = np.abs(real - target).max(axis=(1, 2)) * self.reach[idx]
                ok &= off <= self.pos_tol
                tau = g["tau"][sel]
                t_new = np.einsum("ni,nij->nj", tau, er) + e[:, 3, :3] - (tau - g["w_t"][sel])
                wop, rop = ref.ops[g["wi"]], ref.ops[r]
                rv = _rounded(values[ok], rop.type_name)
                label[idx[ok]] = len(cols)
                row[idx[ok]] = np.arange(int(ok.sum()))
                cols.append(((wop.attr, rop.attr), (wop.type_name, rop.type_name),
                             (_rounded(t_new[ok], wop.type_name), rv[:, 0] if rv.shape[1] == 1 else rv)))
                todo = ~ok
            if todo.any():
                local = g["world"][sel][todo] @ d[todo] @ g["pinv"][sel][todo]
                ops = ref.ops
                single = len(ops) == 1 and ops[0].op_type == "Transform" and not ops[0].inverse and not ref.animated
                order = (("!resetXformStack!",) if ref.reset else ()) + ("xformOp:transform",)
                for k, m in zip(idx[todo].tolist(), local.tolist(), strict=True):
                    m = tuple(tuple(r_) for r_ in m)  # matrix4d: doubles as they are
                    mats[k] = ([Edit(path=paths[k], attr=ops[0].attr, type_name=ops[0].type_name, value=m)] if single
                               else [Edit(path=paths[k], attr="xformOp:transform", type_name="matrix4d", value=m),
                                     Edit(path=paths[k], attr="xformOpOrder", type_name="token[]", value=order,
                                          variability_uniform=True)])
        out: list[Edit | Columns] = []
        which = np.asarray(which, dtype=int)
        lab = label[which]
        cuts = np.flatnonzero(np.diff(lab)) + 1
        for run in np.split(which, cuts):
            c = label[run[0]]
            if c < 0:
                for k in run.tolist():
                    out += mats[k]
                continue
            attrs, types, vals = cols[c]
            rows = row[run]
            out.append(Columns(tuple(paths[k] for k in run.tolist()), attrs, types, tuple(v[rows] for v in vals)))
        return out
