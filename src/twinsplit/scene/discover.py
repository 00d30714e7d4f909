"""Scene discovery: read a stage once into plain data (SceneInfo) that the rest of the pipeline uses.

Nothing after the scene package touches USD until the writer, so sampling is testable with numpy alone.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from pxr import Gf, Sdf, Tf, Usd, UsdGeom, UsdLux, UsdPhysics, Vt

from ..errors import InputError
from .info import AttrInfo, PrimInfo, Region, SceneInfo
from .time import pose_time

REGION_ATTR = "twinsplit:region"


LABEL_ATTR_PREFIX = "semantics:labels:"


LEGACY_LABEL_ATTR = "semantic:Semantics:params:semanticData"


def open_stage(path: str | Path) -> Usd.Stage:
    """Open a stage or raise InputError naming the file and what USD said."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"cannot open stage {p}: no such file")
    try:
        stage = Usd.Stage.Open(str(p), Usd.Stage.LoadAll)
    except Tf.ErrorException as exc:
        raise InputError(f"cannot open stage {p}: {usd_error_text(exc)}") from None
    if stage is None:
        raise InputError(f"cannot open stage {p}: USD returned no stage")
    return stage


def usd_error_text(exc: Exception, limit: int = 400) -> str:
    """The human part of a Tf error ("file.usda:3:12: Expected ..."), without C++ function names."""
    text = " ".join(str(exc).split())
    parts = re.findall(r"in file \S+ : '(.*?)'(?= Error in |$)", text)
    return ("; ".join(p.strip() for p in parts) if parts else text)[:limit]


def _vector(value: Any) -> tuple[float, ...]:
    return tuple(map(float, value[:]))  # one slice call: iterating a Gf vector costs ~10 us (IndexError at its end)


def vt_items(value: Any) -> tuple[Any, ...]:
    """A Vt array's items as a tuple: by index, ~4x faster than iterating it (which ends on an IndexError)."""
    return tuple(map(value.__getitem__, range(len(value))))


def _quat(value: Any) -> tuple[float, ...]:
    return (value.GetReal(), *value.GetImaginary()[:])


_ARRAYS = (Vt.TokenArray, Vt.StringArray)

# Exact types of the values a scan meets most (every body's xform ops): one dict look-up instead of the checks
# below, with the same result.
_PLAIN = {
    **dict.fromkeys((bool, int, str, float, type(None)), lambda v: v),
    **dict.fromkeys((getattr(Gf, f"Vec{n}{t}") for n in (2, 3, 4) for t in "dfhi"), _vector),
    **dict.fromkeys((Gf.Quatf, Gf.Quatd, Gf.Quath), _quat),
    **dict.fromkeys(_ARRAYS, vt_items),
}


def plain(value: Any) -> Any:
    """Gf/Vt values as plain Python (tuples of floats, lists, str)."""
    fast = _PLAIN.get(type(value))
    if fast is not None:
        return fast(value)
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, (Gf.Quatf, Gf.Quatd, Gf.Quath)):
        return _quat(value)
    if isinstance(value, Sdf.AssetPath):
        return value.path
    if isinstance(getattr(value, "dimension", None), int):  # Gf vectors
        return _vector(value)
    if hasattr(value, "__len__") and not isinstance(value, (bytes, dict)):
        try:
            return tuple(plain(v) for v in value)
        except TypeError:
            return str(value)
    if hasattr(value, "GetArray"):
        return np.asarray(value.GetArray()).tolist()
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def applied_schemas(prim: Usd.Prim) -> tuple[str, ...]:
    """Known and unknown applied API schemas (usd-core drops PhysX/Newton/MuJoCo names it has no plugin for)."""
    names = list(prim.GetAppliedSchemas())
    listop = prim.GetMetadata("apiSchemas")
    if listop is not None:
        for item in listop.ApplyOperations([]):
            if item not in names:
                names.append(item)
    return tuple(names)


def labels_of(prim: Usd.Prim, names: list[str] | None = None) -> tuple[str, ...]:
    """Semantic labels (`semantics:labels:*`, then the legacy attribute); `names`: the prim's authored property
    names when the caller has them already."""
    names = prim.GetAuthoredPropertyNames() if names is None else names
    labels: list[str] = []
    attrs = [prim.GetAttribute(n) for n in names if n.startswith(LABEL_ATTR_PREFIX)]
    legacy = prim.GetAttribute(LEGACY_LABEL_ATTR)
    if legacy:
        attrs.append(legacy)
    for attr in attrs:
        if attr:  # a relationship's name gives no attribute
            value = attr.Get()
            if value is None:
                continue
            seq = [value] if isinstance(value, str) else vt_items(value) if type(value) in _ARRAYS else list(value)
            labels.extend(str(v) for v in seq)
    return tuple(dict.fromkeys(labels))


# Bodies can be many: keep only their authored transform ops (what layout acts on), never big arrays.
BODY_ATTR_PREFIXES = ("xformOp",)


def _attr_info(attr: Usd.Attribute) -> AttrInfo | None:
    try:
        value = plain(attr.Get())
    except Exception:  # an attribute with a value USD cannot convert is not a randomization target
        return None
    return AttrInfo(str(attr.GetTypeName()), value, attr.HasAuthoredValue())


def _attr_table(prim: Usd.Prim, prefixes: tuple[str, ...] = (), names: list[str] | None = None) -> dict[str, AttrInfo]:
    """Every attribute of the prim, or with `prefixes` only its authored ones whose names start so (`names`: its
    authored property names, when the caller has them)."""
    if prefixes:
        names = prim.GetAuthoredPropertyNames() if names is None else names
        pairs = [(n, prim.GetAttribute(n)) for n in names if n.startswith(prefixes)]
    else:
        pairs = [(a.GetName(), a) for a in prim.GetAttributes()]
    out = {}
    for name, attr in pairs:
        if attr and (info := _attr_info(attr)) is not None:
            out[name] = info
    return out


def _matrix(m: Gf.Matrix4d) -> tuple[tuple[float, ...], ...]:
    return tuple(map(tuple, np.array(m, dtype=np.float64).tolist()))


def _region(prim: Usd.Prim, kind: str, cache: UsdGeom.XformCache) -> Region:
    world = np.asarray(cache.GetLocalToWorldTransform(prim), dtype=np.float64)  # row-vector convention
    size = 2.0
    if prim.IsA(UsdGeom.Cube):
        size = float(UsdGeom.Cube(prim).GetSizeAttr().Get(cache.GetTime()) or 2.0)
    elif prim.IsA(UsdGeom.Boundable):
        extent = UsdGeom.Boundable(prim).GetExtentAttr().Get(cache.GetTime())
        if extent is not None:
            lo, hi = np.asarray(extent[0]), np.asarray(extent[1])
            world = np.vstack([world[:3], np.append((lo + hi) / 2, 1.0) @ world])
            half_local = (hi - lo) / 2
            return _box_region(prim, kind, world, half_local)
    return _box_region(prim, kind, world, np.full(3, size / 2))


def _box_region(prim: Usd.Prim, kind: str, world: np.ndarray, half_local: np.ndarray) -> Region:
    axes = world[:3, :3]  # rows are the local axes in world space
    scale = np.linalg.norm(axes, axis=1)
    rot = (axes / np.where(scale == 0, 1, scale)[:, None]).T
    return Region(
        path=str(prim.GetPath()),
        kind=kind,
        center=tuple(float(v) for v in world[3, :3]),
        rotation=tuple(tuple(float(v) for v in row) for row in rot),
        half_extents=tuple(float(v) for v in half_local * scale),
    )


def scan(stage: Usd.Stage, root: str | Path = "") -> SceneInfo:
    """Discover materials, lights, bodies, colliders, regions, bounds and metadata from any stage. World
    matrices, regions and bounds are read at the pose time (scene.time), like every other pose."""
    cache = UsdGeom.XformCache(pose_time(stage))
    prims: dict[str, PrimInfo] = {}
    regions: dict[str, Region] = {}
    for prim in stage.Traverse():
        if not prim.IsDefined() or prim.IsAbstract():
            continue
        path = str(prim.GetPath())
        schemas = applied_schemas(prim)
        names = prim.GetAuthoredPropertyNames()
        info = PrimInfo(path=path, type_name=str(prim.GetTypeName()), schemas=schemas, labels=labels_of(prim, names))
        info.is_material = prim.HasAPI(UsdPhysics.MaterialAPI) or "PhysicsMaterialAPI" in schemas
        info.is_light = prim.HasAPI(UsdLux.LightAPI)
        info.is_body = prim.HasAPI(UsdPhysics.RigidBodyAPI)
        info.is_collider = prim.HasAPI(UsdPhysics.CollisionAPI)
        if info.is_body:
            enabled = UsdPhysics.RigidBodyAPI(prim).GetKinematicEnabledAttr().Get()
            info.is_kinematic = bool(enabled)
        if info.is_material or info.is_light:
            info.attrs = _attr_table(prim)
        elif info.is_body:
            info.attrs = _attr_table(prim, BODY_ATTR_PREFIXES, names)
        if prim.IsA(UsdGeom.Xformable) and (info.is_body or info.is_collider or info.is_light):
            info.world = _matrix(cache.GetLocalToWorldTransform(prim))
        region_attr = prim.GetAttribute(REGION_ATTR)
        if region_attr and region_attr.HasValue() and prim.IsA(UsdGeom.Xformable):
            regions[path] = _region(prim, str(region_attr.Get()), cache)
        prims[path] = info
    authored = lambda *keys: any(stage.HasAuthoredMetadata(k) for k in keys)  # noqa: E731 - startFrame: legacy
    start = stage.GetStartTimeCode() if authored("startTimeCode", "startFrame") else None
    end = stage.GetEndTimeCode() if authored("endTimeCode", "endFrame") else None
    default_prim = stage.GetDefaultPrim()
    bounds, floor = _bounds_and_floor(stage, prims, UsdGeom.GetStageUpAxis(stage))
    return SceneInfo(
        root=str(root or stage.GetRootLayer().realPath or stage.GetRootLayer().identifier),
        meters_per_unit=float(UsdGeom.GetStageMetersPerUnit(stage)),
        kilograms_per_unit=float(UsdPhysics.GetStageKilogramsPerUnit(stage)),
        up_axis=str(UsdGeom.GetStageUpAxis(stage)),
        default_prim=str(default_prim.GetPath()) if default_prim else None,
        start_time=start,
        end_time=end,
        time_codes_per_second=float(stage.GetTimeCodesPerSecond()),
        prims=prims,
        regions=regions,
        bounds=bounds,
        floor_height=floor,
    )


def _bounds_and_floor(stage: Usd.Stage, prims: dict[str, PrimInfo], up_axis: str):
    """World bounds of renderable geometry, and the top of the widest static collider (the floor)."""
    purposes = [UsdGeom.Tokens.default_, UsdGeom.Tokens.render, UsdGeom.Tokens.proxy]
    bbox_cache = UsdGeom.BBoxCache(pose_time(stage), purposes, useExtentsHint=True)
    up = 1 if up_axis == "Y" else 2
    plane = [i for i in range(3) if i != up]
    box = bbox_cache.ComputeWorldBound(stage.GetPseudoRoot()).ComputeAlignedRange()
    bounds = None
    if not box.IsEmpty():
        lo, hi = box.GetMin(), box.GetMax()
        if all(math.isfinite(v) for v in (*lo, *hi)):
            bounds = (tuple(float(v) for v in lo), tuple(float(v) for v in hi))
    floor, best_area = None, 0.0
    for path, info in prims.items():
        if not info.is_collider or info.is_body:
            continue
        rng = bbox_cache.ComputeWorldBound(stage.GetPrimAtPath(path)).ComputeAlignedRange()
        if rng.IsEmpty():
            continue
        lo, hi = rng.GetMin(), rng.GetMax()
        area = (hi[plane[0]] - lo[plane[0]]) * (hi[plane[1]] - lo[plane[1]])
        thin = (hi[up] - lo[up]) < 0.25 * max(hi[plane[0]] - lo[plane[0]], hi[plane[1]] - lo[plane[1]])
        if thin and area > best_area and math.isfinite(area):
            floor, best_area = float(hi[up]), area
    return bounds, floor


def load(path: str | Path) -> tuple[Usd.Stage, SceneInfo]:
    stage = open_stage(path)
    scene = scan(stage, Path(path))
    scene.stage = stage  # what is read lazily later (shapes, xform ops, joints) reads this stage, not a reopened one
    return stage, scene
