"""Units of layout: bodies that move rigidly together, what they rest on, and the obstacles around them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ...geometry import Shape
from ...geometry.batch import ShapeSet, overlapping
from ...geometry.support import SUPPORT_TOL_M, _aabb, overlap_tolerance, rests_on
from ...scene.joints import joints
from ...scene.mass import centres_of_mass
from ...scene.shapes import scene_shapes
from ...scene.xforms import (
    _refuse_instance_proxies,
    nested_in,
)

PLACE_TOL_FACTOR = 0.5  # placement is stricter than verify, so float32 rounding of written values never flips a verdict


@dataclass
class Unit:
    """Bodies that move rigidly together; `leader` is the matched body that names the unit's columns."""

    leader: str
    members: tuple[str, ...]  # every body of the unit, stage order
    shapes: list[Shape]
    centre: np.ndarray  # world AABB centre of the unit's shapes
    bottom: float  # lowest point along up

    def top_members(self) -> list[str]:
        """Members whose transform must be written (a member under another member moves with it)."""
        return [m for m in self.members if not any(m.startswith(o + "/") for o in self.members if o != m)]


@dataclass
class Geometry:
    up: int
    plane: tuple[int, int]
    mpu: float
    tol: float  # stage units
    units: list[Unit]
    obstacles: list[Shape]  # static colliders and bodies the layout does not move
    skipped: list[str]  # matched bodies without collider shapes or jointed to the world (not moved)
    coms: dict[str, np.ndarray]  # bodies whose centre of mass the stage gives (scene.mass), world, source pose


def build_geometry(scene, matched: list[str], where: str = "randomize.layout") -> Geometry:
    """Units (matched bodies + riders + bodies nested in them, jointed to them or already interpenetrating them)
    and the obstacles, from the source at the pose time. A unit keeps its source overlaps (a base sunk into the
    ground stays sunk: physics treats the source the same way)."""
    shapes = scene_shapes(scene)
    up = scene.up_index
    plane = tuple(i for i in range(3) if i != up)
    mpu = scene.meters_per_unit
    tol = overlap_tolerance(mpu)
    dyn_bodies = {s.body for s in shapes if s.dynamic}
    partners, anchored = joints(scene)
    skipped = [m for m in matched if m not in dyn_bodies or m in anchored]
    movable = [m for m in matched if m in dyn_bodies and m not in anchored]
    support = rests_on(shapes, up, plane, SUPPORT_TOL_M / mpu)
    riders: dict[str, set[str]] = defaultdict(set)  # body -> bodies that move when it moves
    for body, sup in support.items():
        for s in sup:
            if s.dynamic:
                riders[s.body].add(body)
    nested = nested_in(scene, {s.body for s in shapes})
    for body, ancestor in nested.items():
        riders[ancestor].add(body)
    partners = {b: set(o) for b, o in partners.items()}
    dyn = ShapeSet.of([s for s in shapes if s.dynamic])
    for i, j, _ in zip(*overlapping(dyn, dyn, tol), strict=True):  # bodies already interpenetrating move as one
        a, b = dyn.body[i], dyn.body[j]
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    for body, others in partners.items():  # jointed bodies (an articulation) move as one
        riders[body] |= others
    moving, todo = set(movable), list(movable)
    while todo:
        for r in riders.get(todo.pop(), ()):
            if r not in moving and r not in anchored:
                moving.add(r)
                todo.append(r)
    parent = {b: b for b in moving}

    def find(b: str) -> str:
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    for body in moving:
        for other in [s.body for s in support.get(body, ())] + [nested.get(body, "")] + [*partners.get(body, ())]:
            if other in moving:
                ra, rb = find(body), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    order = {p: k for k, p in enumerate(scene.prims)}
    comps: dict[str, list[str]] = defaultdict(list)
    for b in moving:
        comps[find(b)].append(b)
    matched_set = set(movable)
    by_body: dict[str, list[Shape]] = defaultdict(list)
    for s in shapes:
        by_body[s.body].append(s)
    units = []
    for members in comps.values():
        members.sort(key=lambda p: order.get(p, len(order)))
        leader = next(m for m in members if m in matched_set)
        ushapes = [s for m in members for s in by_body[m]]
        lo, hi = _aabb(ushapes)
        units.append(Unit(leader, tuple(members), ushapes, (lo + hi) / 2, float(lo[up])))
    units.sort(key=lambda u: order.get(u.leader, len(order)))
    _refuse_instance_proxies(scene, units, where)
    obstacles = [s for s in shapes if s.body not in moving]
    return Geometry(up, plane, mpu, tol, units, obstacles, skipped, centres_of_mass(scene))
