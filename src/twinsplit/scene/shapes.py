"""Collision shapes at the pose time, as layout, events, verify and validate all see them (one convention)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from pxr import Usd

from ..geometry import CYLINDER_SEGMENTS, Shape
from .colliders import shapes_from_stage
from .time import pose_time
from .xforms import stage_of


def inscribed(shape: Shape) -> Shape:
    """A cylinder's polygonal hull shrunk from circumscribing to inscribed (vertices on the true surface).

    geometry circumscribes cylinders, so a wheel resting on a floor reads as ~0.5 % of its radius deep;
    the inscribed prism lies inside the true cylinder, so resting contact is not an overlap (a real
    overlap shallower than that 0.5 % of the radius can go unseen)."""
    if shape.kind != "cylinder" or shape.vertices is None or shape.axis is None:
        return shape
    k = math.cos(math.pi / CYLINDER_SEGMENTS)
    w = shape.vertices - shape.center
    along = np.outer(w @ shape.axis, shape.axis)
    return replace(shape, vertices=shape.center + along + (w - along) * k, radius=shape.radius * k)


def read_shapes(stage: Usd.Stage, **kw) -> list[Shape]:
    """Colliders at the pose time (scene.time), cylinders inscribed (see `inscribed`); `kw` go to
    shapes_from_stage (e.g. `include`)."""
    kw.setdefault("time", pose_time(stage))
    return [inscribed(s) for s in shapes_from_stage(stage, **kw)]


def scene_shapes(scene) -> list[Shape]:
    """Every collider of the source at the pose time: read once per scene and cached on it (plain data, so
    workers get it with the scene). Layout's units and obstacles and the events' collision index use it."""
    if "shapes" not in scene.cache:
        scene.cache["shapes"] = read_shapes(stage_of(scene))
    return scene.cache["shapes"]
