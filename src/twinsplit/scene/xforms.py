"""Body transforms at the pose time (the stage's start time code), read once per scene and cached on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pxr import Sdf, Usd, UsdGeom

from ..errors import TwinsplitError
from .time import pose_time


@dataclass(frozen=True)
class Op:
    """One xform op as authored: name as in xformOpOrder (``!invert!`` prefix for inverse ops)."""

    name: str
    attr: str
    op_type: str  # "Translate", "Orient", "RotateXYZ", "Scale", "Transform", ...
    type_name: str  # Sdf value type, e.g. double3, quatf, float3, matrix4d
    inverse: bool
    value: Any
    matrix: np.ndarray  # this op's 4x4 (row convention), inverse applied


@dataclass(frozen=True)
class Xf:
    """A body prim's transform data at the pose time (see scene.time)."""

    path: str
    world: np.ndarray
    parent: np.ndarray  # parent's world (identity when the prim resets the xform stack)
    reset: bool
    ops: tuple[Op, ...]
    animated: bool


def _np(m) -> np.ndarray:
    return np.array(m, dtype=float).reshape(4, 4)


_OP_TYPES: dict = {}  # UsdGeom.XformOp.Type -> "Translate", ...: the enum's name is formatted once per type


def _op_type(op: UsdGeom.XformOp) -> str:
    t = op.GetOpType()
    if t not in _OP_TYPES:
        _OP_TYPES[t] = str(t).split(".")[-1].removeprefix("Type")
    return _OP_TYPES[t]


def _read_xf(prim: Usd.Prim, cache: UsdGeom.XformCache, time: Usd.TimeCode) -> Xf:
    xf = UsdGeom.Xformable(prim)
    ops, animated = [], False
    for op in xf.GetOrderedXformOps():
        attr = op.GetAttr()
        animated |= attr.GetNumTimeSamples() > 0
        name = op.GetOpName()
        ops.append(Op(name=str(name), attr=str(op.GetName()), op_type=_op_type(op),
                      type_name=str(op.GetTypeName()), inverse=op.IsInverseOp(), value=op.Get(time),
                      matrix=_np(op.GetOpTransform(time))))
    reset = xf.GetResetXformStack()
    parent = np.eye(4) if reset else _np(cache.GetParentToWorldTransform(prim))
    return Xf(str(prim.GetPath()), _np(cache.GetLocalToWorldTransform(prim)), parent, reset, tuple(ops), animated)


def stage_of(scene) -> Usd.Stage:
    """Re-open the scene's stage (cheap: its layers are still in the registry; an anonymous root works while
    it is alive), for the shapes and xforms read lazily from it."""
    root = str(scene.root)
    layer = Sdf.Layer.Find(root) if root else None
    if layer is None and root and not root.startswith("anon:"):
        layer = Sdf.Layer.FindOrOpen(root)
    if layer is None:
        raise TwinsplitError(f"cannot reopen the stage {root!r} to read its collision shapes and transforms")
    return Usd.Stage.Open(layer, Usd.Stage.LoadAll)


def scene_xforms(scene, paths: list[str]) -> dict[str, Xf]:
    """Xform data of the given prims (cached on the scene)."""
    known: dict[str, Xf] = scene.cache.setdefault("layout:xf", {})
    missing = [p for p in paths if p not in known]
    if missing:
        stage = stage_of(scene)
        time = pose_time(stage)
        cache = UsdGeom.XformCache(time)
        for p in missing:
            known[p] = _read_xf(stage.GetPrimAtPath(p), cache, time)
    return {p: known[p] for p in paths}


def _inherits(stage: Usd.Stage, body: str, ancestor: str) -> bool:
    """True if `body` follows `ancestor`'s transform (no `!resetXformStack!` on the way down)."""
    prim = stage.GetPrimAtPath(body)
    while prim and str(prim.GetPath()) != ancestor:
        xf = UsdGeom.Xformable(prim)
        if xf and xf.GetResetXformStack():
            return False
        prim = prim.GetParent()
    return True


def nested_in(scene, bodies: set[str]) -> dict[str, str]:
    """body -> the closest ancestor body whose transform it inherits (a wheel body under a cart body
    moves whenever the cart does, so the two are placed and written as one)."""
    out: dict[str, str] = {}
    stage = None
    for b in sorted(bodies):
        a = b.rpartition("/")[0]
        while a and a not in bodies:
            a = a.rpartition("/")[0]
        if a:
            stage = stage_of(scene) if stage is None else stage
            if _inherits(stage, b, a):
                out[b] = a
    return out


def _refuse_instance_proxies(scene, units: list, where: str) -> None:
    """An `over` on a prim inside an instance is ignored by USD: such a unit member cannot be moved."""
    stage = None
    for u in units:
        for m in u.top_members():
            if m in scene.prims:  # scan lists every prim that is not an instance proxy
                continue
            stage = stage_of(scene) if stage is None else stage
            prim = stage.GetPrimAtPath(m)
            if not prim.IsInstanceProxy():
                continue
            root = prim.GetParent()
            while root.IsInstanceProxy():
                root = root.GetParent()
            raise TwinsplitError(
                f"{where}: {m} would move with {u.leader} (it rests on it or is nested in it) but lies inside "
                f"instance {root.GetPath()}, and USD ignores overs on instance proxies; exclude {u.leader} from "
                f"match, put the rigid body on {root.GetPath()} itself, or make it not instanceable")
