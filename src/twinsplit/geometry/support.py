"""Overlap and contact from shapes alone: the tolerance, the overlap test and what rests on what (pure numpy;
layout, events, verify and validate share them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from . import Overlap, Shape, find_overlaps

TOL_M = 1e-4  # penetration beyond this many metres is an overlap; resting contact is fine


def overlap_tolerance(meters_per_unit: float) -> float:
    """TOL_M in stage units: the one overlap tolerance of layout, events, verify and validate."""
    return TOL_M / meters_per_unit


def interpenetrations(shapes: list[Shape], tol: float, involves: Callable[[str], bool] | None = None) -> list[Overlap]:
    """The one overlap test verify's layout check and validate's no-interpenetration rule share: body pairs whose
    colliders interpenetrate deeper than `tol` (stage units), optionally only pairs where `involves` holds for a
    body or collider path on either side. `shapes` come from scene.shapes.read_shapes (pose time, inscribed
    cylinders), so resting contact, a wheel on a floor included, is not an overlap."""
    found = find_overlaps(shapes, tolerance=tol)
    if involves is None:
        return found
    return [o for o in found if any(involves(p) for p in (o.a, o.b, o.collider_a, o.collider_b) if p)]


SUPPORT_TOL_M = 2e-3  # a body rests on a shape whose top is within this many metres of its bottom


def _aabb(shapes: list[Shape]) -> tuple[np.ndarray, np.ndarray]:
    if len(shapes) == 1:
        return shapes[0].aabb()
    return (np.min([s.aabb()[0] for s in shapes], axis=0), np.max([s.aabb()[1] for s in shapes], axis=0))


def rests_on(shapes: list[Shape], up: int, plane: tuple[int, int], tol: float) -> dict[str, list[Shape]]:
    """body -> shapes of *other* bodies (or static colliders) it rests on, for every dynamic body."""
    by_body: dict[str, list[Shape]] = defaultdict(list)
    for s in shapes:
        if s.dynamic:
            by_body[s.body].append(s)
    if not shapes:
        return {}
    lo = np.array([s.aabb()[0] for s in shapes])
    hi = np.array([s.aabb()[1] for s in shapes])
    order = np.argsort(hi[:, up], kind="stable")
    tops = hi[order, up]
    p = list(plane)
    out: dict[str, list[Shape]] = {}
    for body, own in by_body.items():
        blo, bhi = _aabb(own)
        a, b = np.searchsorted(tops, blo[up] - tol, "left"), np.searchsorted(tops, blo[up] + tol, "right")
        cand = order[a:b]
        if len(cand):
            ov = np.minimum(hi[cand][:, p], bhi[p]) - np.maximum(lo[cand][:, p], blo[p])
            cand = cand[np.all(ov > 0, axis=1)]
        out[body] = [shapes[k] for k in cand if shapes[k].body != body]
    return out
