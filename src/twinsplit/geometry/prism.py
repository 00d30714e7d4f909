"""Planar regions (a region constrains the plane; it extends without limit along up) and keep-out tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import Shape, box
from .batch import ShapeSet, candidate_pairs, pair_depths
from .narrow import interval


@dataclass(frozen=True)
class Prism:
    """An oriented box region, unbounded along whichever of its axes is (nearly) the stage up axis."""

    path: str
    center: np.ndarray
    rotation: np.ndarray  # columns are the box axes in world
    half: np.ndarray
    up: int

    @property
    def planar_axes(self) -> list[int]:
        return [i for i in range(3) if abs(self.rotation[self.up, i]) < 0.99]

    def contains(self, shape: Shape, tol: float) -> bool:
        """The whole shape lies within the prism's planar extent (sticking out <= tol)."""
        axes = self.planar_axes
        u = self.rotation[:, axes].T
        lo, hi = interval(shape, u)
        c, h = u @ self.center, self.half[axes]
        return bool(np.all(lo >= c - h - tol) and np.all(hi <= c + h + tol))

    def as_shape(self, extent: float) -> Shape:
        half = self.half.copy()
        for i in range(3):
            if i not in self.planar_axes:
                half[i] = extent
        return box(self.path, self.center, half, self.rotation)


def prism_from_region(region, up: int) -> Prism:
    return Prism(region.path, np.asarray(region.center, dtype=float), np.asarray(region.rotation, dtype=float),
                 np.asarray(region.half_extents, dtype=float), up)


def prism_from_box(name: str, lo, hi, up: int) -> Prism:
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    return Prism(name, (lo + hi) / 2, np.eye(3), (hi - lo) / 2, up)


class KeepOut:
    """Keep-out prisms as boxes tall along up (`batch.ShapeSet`), so the exact narrow phase decides penetration."""

    def __init__(self, prisms: list[Prism], extent: float) -> None:
        self.prisms = prisms
        self.shapes = ShapeSet.of([p.as_shape(extent) for p in prisms])

    def hits(self, shapes: ShapeSet, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """(shape index, prism index) of every pair where a shape penetrates a keep-out prism deeper than tol."""
        ia, ik = candidate_pairs(shapes, self.shapes, tol)
        if len(ia) == 0:
            return ia, ik
        hit = pair_depths(shapes, ia, self.shapes, ik) > tol
        return ia[hit], ik[hit]


def outside(prism: Prism, shapes, tol: float) -> np.ndarray:
    """Per shape of a `batch.ShapeSet`: sticks out of the prism's planar extent by more than tol (`contains`,
    for thousands of shapes at once: box projections as arrays, other kinds one by one)."""
    axes = prism.planar_axes
    u = prism.rotation[:, axes].T  # (k, 3)
    c, h = u @ prism.center, prism.half[axes]
    out = np.zeros(len(shapes), dtype=bool)
    b = shapes.is_box
    if b.any():
        p = shapes.center[b] @ u.T
        e = np.einsum("nki,ni->nk", np.abs(np.einsum("kj,nji->nki", u, shapes.rotation[b])), shapes.half[b])
        out[b] = np.any((p - e < c - h - tol) | (p + e > c + h + tol), axis=1)
    for k in np.flatnonzero(~b):
        out[k] = not prism.contains(shapes.shape(int(k)), tol)
    return out
