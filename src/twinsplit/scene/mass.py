"""Where a body's centre of mass is when the stage says so (UsdPhysics.MassAPI), at the pose time.

The support rule (geometry.resting) asks whether a body's centre of mass projects inside its contact regions.
Without mass properties, a body's centre of mass is its colliders' volume-weighted centroid (uniform density, as
a physics engine assumes). A stage may say otherwise, and engines follow it: the body's authored
`physics:centerOfMass` (body-local), else its colliders' authored `physics:mass` (every collider of the body
has one), else their authored `physics:density` (every collider has one). Partial information (some colliders
with a mass, others without) is not mixed with the default: the centroid stays. Densities of physics materials
are not read.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from ..geometry.resting import volume
from .shapes import scene_shapes
from .time import pose_time
from .xforms import stage_of

_MASS_API = "PhysicsMassAPI"


def centres_of_mass(scene) -> dict[str, np.ndarray]:
    """body path -> its world centre of mass (3,) at the pose time, for bodies whose mass properties move it off
    the colliders' centroid; cached on the scene."""
    if "com" not in scene.cache:
        scene.cache["com"] = _read(scene)
    return scene.cache["com"]


def _has_mass_api(scene, path: str) -> bool:
    info = scene.prims.get(path)
    return info is not None and _MASS_API in info.schemas


def _read(scene) -> dict[str, np.ndarray]:
    shapes = [s for s in scene_shapes(scene) if s.body]
    own: dict[str, list] = defaultdict(list)
    for s in shapes:
        own[s.body].append(s)
    # Most stages author no MassAPI: the scan's schema lists say so without a USD call per prim.
    bodies = [b for b, ss in own.items() if _has_mass_api(scene, b) or any(_has_mass_api(scene, s.path) for s in ss)]
    if not bodies:
        return {}
    stage = stage_of(scene)
    time = pose_time(stage)
    cache = UsdGeom.XformCache(time)
    out: dict[str, np.ndarray] = {}
    for body in bodies:
        com = _authored_com(stage.GetPrimAtPath(body), cache, time)
        if com is None:
            com = _weighted(stage, own[body], time)
        if com is not None:
            out[body] = com
    return out


def _authored_com(prim: Usd.Prim, cache: UsdGeom.XformCache, time: Usd.TimeCode) -> np.ndarray | None:
    if not prim.HasAPI(UsdPhysics.MassAPI):
        return None
    c = UsdPhysics.MassAPI(prim).GetCenterOfMassAttr().Get(time)
    if c is None or not all(math.isfinite(v) for v in c):  # the schema's default (-inf, -inf, -inf): not given
        return None
    world = cache.GetLocalToWorldTransform(prim).Transform(Gf.Vec3d(*c))
    return np.array(world, dtype=np.float64)


def _weighted(stage: Usd.Stage, shapes: list, time: Usd.TimeCode) -> np.ndarray | None:
    if len(shapes) < 2:  # one collider: its centroid, whatever it weighs
        return None
    masses, densities = [], []
    for s in shapes:
        prim = stage.GetPrimAtPath(s.path)
        api = UsdPhysics.MassAPI(prim) if prim and prim.HasAPI(UsdPhysics.MassAPI) else None
        masses.append(_positive(api.GetMassAttr().Get(time)) if api else None)
        densities.append(_positive(api.GetDensityAttr().Get(time)) if api else None)
    if all(m is not None for m in masses):
        w = np.array(masses)
    elif all(d is not None for d in densities):
        w = np.array(densities) * np.array([volume(s) for s in shapes])
    else:
        return None
    if w.sum() <= 0:
        return None
    return (w @ np.array([s.center for s in shapes])) / w.sum()


def _positive(v) -> float | None:
    return float(v) if v is not None and math.isfinite(v) and v > 0 else None
