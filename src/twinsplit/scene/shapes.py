"""The source's collision shapes at the pose time, as layout, verify and validate see them."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from pxr import Usd

from ..geometry import CYLINDER_SEGMENTS, Shape
from .colliders import shapes_from_stage
from .xforms import (
    stage_of,
    start_time,
)


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
    """Colliders at t = 0 (the stage's start time) as layout sees them (cylinders inscribed, see `inscribed`)."""
    kw.setdefault("time", start_time(stage))
    return [inscribed(s) for s in shapes_from_stage(stage, **kw)]


def scene_shapes(scene) -> list[Shape]:
    """Every collider of the source at t = 0 (cached on the scene)."""
    if "layout:shapes" not in scene.cache:
        scene.cache["layout:shapes"] = read_shapes(stage_of(scene))
    return scene.cache["layout:shapes"]
