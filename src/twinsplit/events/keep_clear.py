"""The ways people mean to walk, for layout to keep clear (a person block's `keep_clear`): each person's route
from its entry to its drawn goal on the *static* site, i.e. the source's colliders without any non-kinematic rigid
body (what layout may move) and without the other events. A pure function of the person block's own draws, so
layout, drawn after it in the same variant, can avoid it; the walk itself is still planned after layout, on the
site as layout left it."""

from __future__ import annotations

import numpy as np

from ..blocks.variant import Placed, Way
from ..scene.info import SceneInfo
from ..scene.shapes import scene_shapes
from .site import Site
from .walkers import Person

MARGIN_M = 0.05   # kept beyond the person's radius on each side of its way (m)
ROUND = 6         # way points are rounded (stage units): the manifest's notes hold exactly what layout used


def movable(scene: SceneInfo) -> frozenset[str]:
    """Collider paths of the non-kinematic rigid bodies: what a layout block may move away."""
    return frozenset(s.path for s in scene_shapes(scene) if s.dynamic)


def ways(site: Site, people: list[Person]) -> list[Way]:
    """One Way per person: its route to its first goal (a straight line where the static site has none)."""
    state: frozenset[int] = frozenset()
    out = []
    for p in people:
        entry = site.grid.point(np.array([site.snap(state, p.entry)]), site.h)[0]
        _, point, _ = p.goals[0]
        poly = site.route(state, entry, site.snap(state, point))
        if poly is None:
            poly = np.vstack([p.entry, point])
        poly = np.vstack([p.entry, poly]) if np.linalg.norm(poly[0] - p.entry) > 1e-9 else poly
        out.append(Way(p.prim, np.round(poly, ROUND), round(p.radius + site.m(MARGIN_M), ROUND)))
    return out


def static_placed(scene: SceneInfo) -> Placed:
    return Placed((), movable(scene))
