"""Body transforms at the pose time (the stage's start time code), read once per scene and cached on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pxr import Gf, Sdf, Usd, UsdGeom

from ..errors import TwinsplitError
from ..geometry.xform_ops import op_type_of
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


_INVERT = "!invert!"
_OP_TYPES: dict[str, str] = {}  # attribute name -> op type ("xformOp:rotateXYZ:pivot" -> "RotateXYZ"), once per name


def _op_type(attr: str, op: UsdGeom.XformOp) -> str:
    if attr not in _OP_TYPES:
        _OP_TYPES[attr] = op_type_of(attr) or str(op.GetOpType()).split(".")[-1].removeprefix("Type")
    return _OP_TYPES[attr]


_VALUE_KINDS = {Gf.Vec3d: "vec3", Gf.Vec3f: "vec3", Gf.Vec3h: "vec3", Gf.Matrix4d: "matrix", Gf.Matrix4f: "matrix",
                Gf.Quatd: "quat", Gf.Quatf: "quat", Gf.Quath: "quat"}
_NO_TURN = {Gf.Quatd: Gf.Vec3d(0), Gf.Quatf: Gf.Vec3f(0), Gf.Quath: Gf.Vec3h(0)}  # imaginary parts of no rotation


def _op_matrix(op: UsdGeom.XformOp, op_type: str, value: Any, inverse: bool, time: Usd.TimeCode) -> np.ndarray:
    """The op's 4x4 as UsdGeom.XformOp.GetOpTransform gives it. Where USD's arithmetic is exact (a translate or
    scale, with its inverse -v or 1/v; a matrix; an orient with no imaginary part, which USD reads as no turn) it
    is built from the value already read; rotations keep USD's own call (GfRotation's trigonometry)."""
    if value is None:  # no value: USD gives the identity
        return np.eye(4)
    kind = _VALUE_KINDS.get(type(value))
    if op_type == "Translate" and kind == "vec3":
        m = np.eye(4)
        m[3, :3] = value
        if inverse:
            m[3, :3] = -m[3, :3]
        return m
    if op_type == "Scale" and kind == "vec3":
        v = np.asarray(value, dtype=float)
        if inverse:
            with np.errstate(divide="ignore"):  # 1/0 is inf, as in USD
                v = 1.0 / v
        m = np.eye(4)
        m[[0, 1, 2], [0, 1, 2]] = v
        return m
    if op_type == "Transform" and kind == "matrix" and not inverse:
        return _np(value)
    if op_type == "Orient" and kind == "quat" and value.GetImaginary() == _NO_TURN[type(value)]:
        return np.eye(4)
    return _np(op.GetOpTransform(time))


def _read_xf(prim: Usd.Prim, cache: UsdGeom.XformCache, time: Usd.TimeCode, types: dict | None = None) -> Xf:
    """`types`: the prim's attribute table from the scan (scene.info.AttrInfo by name), for the ops' value types."""
    xf = UsdGeom.Xformable(prim)
    ops, animated = [], False
    for op in xf.GetOrderedXformOps():
        name = op.GetOpName()  # as in xformOpOrder: "!invert!" + the attribute name for an inverse op
        inverse = name.startswith(_INVERT)
        attr = name[len(_INVERT):] if inverse else name
        op_type = _op_type(attr, op)
        animated |= op.GetNumTimeSamples() > 0
        info = types.get(attr) if types else None
        value = op.Get(time)
        ops.append(Op(name=name, attr=attr, op_type=op_type,
                      type_name=info.type_name if info is not None else str(op.GetTypeName()), inverse=inverse,
                      value=value, matrix=_op_matrix(op, op_type, value, inverse, time)))
    reset = xf.GetResetXformStack()
    parent = np.eye(4) if reset else _np(cache.GetParentToWorldTransform(prim))
    return Xf(str(prim.GetPath()), _np(cache.GetLocalToWorldTransform(prim)), parent, reset, tuple(ops), animated)


def stage_of(scene) -> Usd.Stage:
    """The scene's stage, for the shapes and xforms read lazily from it: the one `scene.discover.load` opened, else
    (a scene from `scan` alone, or unpickled in a worker) reopened once from its root layer (cheap while its layers
    are in the registry; an anonymous root works while it is alive)."""
    if scene.stage is None:
        scene.stage = _reopen(scene)
    return scene.stage


def _reopen(scene) -> Usd.Stage:
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
            info = scene.prims.get(p)
            known[p] = _read_xf(stage.GetPrimAtPath(p), cache, time, info.attrs if info is not None else None)
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
