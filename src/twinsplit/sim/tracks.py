"""What the stage itself says a simulation should show, read with USD and scene/ facts (no engine): the bodies an
engine must load, each dynamic body's size and support at the start time, and the time samples that drive the
kinematic bodies (pose and collisionEnabled at any time)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..geometry.support import SUPPORT_TOL_M, _aabb, rests_on
from ..scene.discover import scan
from ..scene.shapes import read_shapes
from ..scene.time import pose_time


@dataclass
class StageFacts:
    """Per stage: units and axes, the active rigid bodies, and for each dynamic body its size (box diagonal, stage
    units), its lowest and highest point along up, and the top of what it rests on (None: it rests on nothing);
    the stage's lowest point. All at the start time."""

    mpu: float
    up: int
    start: float  # time code the simulation starts at (the pose time)
    tcps: float
    bodies: list[str]
    kinematic: set[str]
    size: dict[str, float] = field(default_factory=dict)
    support_top: dict[str, float | None] = field(default_factory=dict)
    span: dict[str, tuple[float, float]] = field(default_factory=dict)  # (bottom, top) along up
    lowest: float | None = None


def stage_facts(stage) -> StageFacts:
    scene = scan(stage)
    up = scene.up_index
    shapes = read_shapes(stage)
    facts = StageFacts(scene.meters_per_unit, up, pose_time(stage).GetValue(), scene.time_codes_per_second,
                       scene.bodies, {p for p in scene.bodies if scene.prims[p].is_kinematic})
    plane = tuple(k for k in range(3) if k != up)
    by_body: dict[str, list] = {}
    for s in shapes:
        if s.dynamic:
            by_body.setdefault(s.body, []).append(s)
    for body, on in rests_on(shapes, up, plane, SUPPORT_TOL_M / scene.meters_per_unit).items():
        lo, hi = _aabb(by_body[body])
        facts.size[body] = float(np.linalg.norm(hi - lo))
        facts.span[body] = (float(lo[up]), float(hi[up]))
        facts.support_top[body] = max((float(s.aabb()[1][up]) for s in on), default=None)
    if scene.bounds is not None:
        facts.lowest = float(scene.bounds[0][up])
    return facts


class Track:
    """A kinematic body's world pose (position, quaternion x y z w: Warp's order) and collisionEnabled at any time
    code, from its USD time samples."""

    def __init__(self, stage, path: str) -> None:
        from pxr import UsdGeom

        self.prim = stage.GetPrimAtPath(path)
        self.cache = UsdGeom.XformCache()
        self.enabled = self.prim.GetAttribute("physics:collisionEnabled")

    def pose(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        from pxr import Gf

        self.cache.SetTime(t)
        m = Gf.Matrix4d(self.cache.GetLocalToWorldTransform(self.prim))
        q = m.RemoveScaleShear().ExtractRotationQuat()
        return np.array(m.ExtractTranslation()), np.array([*q.GetImaginary(), q.GetReal()])

    def collides(self, t: float) -> bool:
        return not self.enabled or self.enabled.Get(t) is not False

    def animated(self) -> bool:
        """True when anything about its pose or collision changes over time."""
        from pxr import UsdGeom

        p = self.prim
        while p and not p.IsPseudoRoot():
            if p.IsA(UsdGeom.Xformable) and UsdGeom.Xformable(p).TransformMightBeTimeVarying():
                return True
            p = p.GetParent()
        return bool(self.enabled and self.enabled.GetNumTimeSamples())
