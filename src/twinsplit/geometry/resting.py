"""Is a body supported? Its centre of mass projects inside the convex hull of its contact regions.

The one definition of "rests on" that layout, verify and validate share, and the one a physics engine
agrees with: a lintel on two uprights is supported although nothing is directly under its centre; a box
half over an edge is not. A body's *footing* is its planar centre of mass and its contact face (the
planar hull of the collider points within `tol` of its lowest point). A *support* is any other shape whose
top lies between `tol` below that face and `sink` above it (a base sunk into the ground still stands on
it), and whose top face meets the footprint; the contact region of the pair is footprint ∩ top face.

The common case is vectorised: a footprint lying wholly on one horizontal box top (a crate on the floor,
a carton on a shelf board) is supported exactly when the centre of mass lies inside its own footprint,
which a rigid move does not change. The rest (bridges, overhangs, bodies on several supports or on
meshes) goes through shapely's polygons one body at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from .batch import ShapeSet, candidate_pairs
from .shape import ROUND, Shape


def _points(s: Shape) -> np.ndarray:
    if s.kind == "box":
        return s.poly()[0]
    if s.kind in ROUND:
        return np.array(s.segment())
    return s.vertices


def _volume(s: Shape) -> float:
    if s.kind == "box":
        return float(8 * np.prod(s.half_extents))
    if s.kind == "sphere":
        return 4 / 3 * np.pi * s.radius**3
    if s.kind == "capsule":
        return np.pi * s.radius**2 * (2 * s.half_height + 4 / 3 * s.radius)
    lo, hi = s.aabb()
    return float(np.prod(hi - lo))


@dataclass(frozen=True)
class Footing:
    """A body's planar centre of mass, lowest point along up, and contact face (planar points)."""

    com: np.ndarray  # (2,)
    bottom: float
    face: np.ndarray  # (k, 2) points whose hull is the contact face (k = 1: a point, 2: a segment)
    inside: bool  # the centre of mass lies inside its own face (+tol): what standing on one flat top needs


def footing(shapes: Sequence[Shape], up: int, plane: tuple[int, int], tol: float) -> Footing:
    """The footing of one body from its collider shapes (volume-weighted centroid as centre of mass)."""
    p = list(plane)
    w = np.array([_volume(s) for s in shapes])
    c = np.array([s.center for s in shapes])
    com = (w @ c) / w.sum() if w.sum() > 0 else c.mean(0)
    bottom = min(float(s.aabb()[0][up]) for s in shapes)
    face = []
    for s in shapes:
        pts = _points(s)
        low = pts[pts[:, up] <= bottom + tol + (s.radius if s.kind in ROUND else 0.0)]
        face.append(low[:, p])
    face_pts = np.concatenate(face)  # duplicates are harmless: only the hull and containment are used
    if len(shapes) == 1 and shapes[0].kind == "box" and np.abs(shapes[0].rotation[up]).max() > 1 - 1e-9:
        inside = True  # a box lying on a face: its centre is over that face (and shapely is slow)
    else:
        inside = bool(_hull(face_pts).buffer(1e-12).covers(shapely.Point(*com[p])))
    return Footing(com[p], bottom, face_pts, inside)


def _hull(points: np.ndarray):
    return shapely.MultiPoint([tuple(q) for q in points]).convex_hull


def _top_face(s: Shape, up: int, plane: tuple[int, int], tol: float):
    pts = _points(s)
    top = float(s.aabb()[1][up])
    hi = pts[pts[:, up] >= top - tol - (s.radius if s.kind in ROUND else 0.0)]
    return _hull(hi[:, list(plane)])


def _deltas(s: ShapeSet) -> np.ndarray:
    return np.tile(np.eye(4), (len(s), 1, 1)) if s.delta is None else s.delta


@dataclass(frozen=True)
class Tops:
    """Candidate supports as arrays: each shape's top height and, for boxes lying flat, its top rectangle."""

    shapes: ShapeSet
    top: np.ndarray  # (n,)
    flat: np.ndarray  # (n,) a box with one axis along up: its top face is the rectangle below
    centre: np.ndarray  # (n, 2)
    axes: np.ndarray  # (n, 2, 2) rows: the two planar box axes (unit vectors in the plane)
    half: np.ndarray  # (n, 2)

    @classmethod
    def of(cls, shapes: ShapeSet, up: int, plane: tuple[int, int]) -> Tops:
        p = list(plane)
        n = len(shapes)
        top = shapes.hi[:, up].copy()
        rot = shapes.rotation  # columns: box axes in world
        along = np.abs(rot[:, up, :])  # (n, 3): |up component| of each box axis
        flat = shapes.is_box & (along.max(1) > 1 - 1e-9)
        upax = np.argmax(along, axis=1)  # the box axis along up; the other two span its top face
        others = np.array([[1, 2], [0, 2], [0, 1]])[upax]  # (n, 2)
        rows = np.arange(n)[:, None]
        axes = rot[rows, :, others][:, :, p]  # (n, 2, 2): rows = planar parts of those two axes
        half = shapes.half[rows, others]
        axes = np.where(flat[:, None, None], axes, 0.0)
        half = np.where(flat[:, None], half, 0.0)
        return cls(shapes, top, flat, shapes.center[:, p].copy(), axes, half)

    @classmethod
    def join(cls, a: Tops, b: Tops) -> Tops:
        s, t = a.shapes, b.shapes
        shapes = ShapeSet(s.shapes, np.concatenate([s.center, t.center]), np.concatenate([s.rotation, t.rotation]),
                          np.concatenate([s.half, t.half]), np.concatenate([s.is_box, t.is_box]),
                          np.concatenate([s.lo, t.lo]), np.concatenate([s.hi, t.hi]),
                          np.concatenate([s.body, t.body]), np.concatenate([s.dynamic, t.dynamic]),
                          np.concatenate([_deltas(s), _deltas(t)]), np.concatenate([s._index(), t._index()]))
        if s.shapes is not t.shapes:
            raise ValueError("Tops.join needs two views of one ShapeSet's shapes")
        return cls(shapes, np.concatenate([a.top, b.top]), np.concatenate([a.flat, b.flat]),
                   np.concatenate([a.centre, b.centre]), np.concatenate([a.axes, b.axes]),
                   np.concatenate([a.half, b.half]))

    def take(self, idx: np.ndarray) -> Tops:
        return Tops(self.shapes.subset(idx), self.top[idx], self.flat[idx], self.centre[idx], self.axes[idx],
                    self.half[idx])


@dataclass(frozen=True)
class Footings:
    """Many footings as arrays (faces padded to one length by repeating their last point)."""

    com: np.ndarray  # (n, 2)
    bottom: np.ndarray  # (n,)
    face: np.ndarray  # (n, K, 2)
    inside: np.ndarray  # (n,)
    count: np.ndarray  # (n,) real points per face

    @classmethod
    def of(cls, footings: Sequence[Footing]) -> Footings:
        n = len(footings)
        k = max((len(f.face) for f in footings), default=1)
        face = np.zeros((n, k, 2))
        for i, f in enumerate(footings):
            face[i, : len(f.face)] = f.face
            face[i, len(f.face):] = f.face[-1]
        return cls(np.array([f.com for f in footings]).reshape(n, 2), np.array([f.bottom for f in footings]),
                   face, np.array([f.inside for f in footings], dtype=bool),
                   np.array([len(f.face) for f in footings], dtype=int))

    def take(self, idx: np.ndarray) -> Footings:
        return Footings(self.com[idx], self.bottom[idx], self.face[idx], self.inside[idx], self.count[idx])


def supported(feet: Footings, deltas: np.ndarray, tops: Tops, up: int, plane: tuple[int, int], tol: float,
              sink: np.ndarray | None = None) -> np.ndarray:
    """Whether each body, moved by its rigid world delta (n, 4, 4; row convention), is supported by `tops`.

    `sink[k]`: how far body k may sit below a support's top (the overlap its source pose already has)."""
    n = len(feet.com)
    out = np.zeros(n, dtype=bool)
    if n == 0 or len(tops.shapes) == 0:
        return out
    p = list(plane)
    sink = np.zeros(n) if sink is None else np.asarray(sink, dtype=float)
    d = np.asarray(deltas, dtype=float)
    r2 = d[:, :3, :3][:, p][:, :, p]  # planar part of each rotation (row convention)
    t2 = d[:, 3, p]
    com = np.einsum("ni,nij->nj", feet.com, r2) + t2
    bottom = feet.bottom + d[:, 3, up]
    faces = np.einsum("nki,nij->nkj", feet.face, r2) + t2[:, None, :]
    # probes: the face's planar box, spanning the heights a support's top may have
    lo3, hi3 = np.zeros((n, 3)), np.zeros((n, 3))
    lo3[:, p], hi3[:, p] = faces.min(1) - tol, faces.max(1) + tol
    lo3[:, up], hi3[:, up] = bottom - 2 * tol, bottom + np.maximum(sink, 0) + 2 * tol
    probe = ShapeSet((), np.zeros((n, 3)), np.zeros((n, 3, 3)), np.zeros((n, 3)), np.zeros(n, bool), lo3, hi3,
                     np.array([""] * n, dtype=object), np.zeros(n, bool))
    tlo, thi = tops.shapes.lo.copy(), tops.shapes.hi.copy()
    tlo[:, up] = thi[:, up] = tops.top  # a support is its top face
    slab = ShapeSet(tops.shapes.shapes, tops.shapes.center, tops.shapes.rotation, tops.shapes.half,
                    tops.shapes.is_box, tlo, thi, tops.shapes.body, tops.shapes.dynamic, tops.shapes.delta,
                    tops.shapes.index)
    ib, it = candidate_pairs(probe, slab, 0.0)
    if len(ib) == 0:
        return out
    # fast path: a flat box top holding the whole face; then the body's own `inside` decides
    fast = np.flatnonzero(tops.flat[it])
    holds = np.zeros(len(ib), dtype=bool)
    if len(fast):
        b, j = ib[fast], it[fast]
        local = np.einsum("pkj,pij->pki", faces[b] - tops.centre[j][:, None, :], tops.axes[j])
        holds[fast] = np.all(np.abs(local) <= tops.half[j][:, None, :] + tol, axis=(1, 2))
    done = np.zeros(n, dtype=bool)
    done[ib[holds]] = True
    out[ib[holds]] = feet.inside[ib[holds]]
    for b in np.unique(ib[~done[ib]]):  # the slow path: contact regions with every support
        face = _hull(faces[b, : feet.count[b]])
        face = face.buffer(tol) if face.area == 0 else face
        regions = []
        for j in it[ib == b]:
            top_face = _top_face(tops.shapes.shape(int(j)), up, plane, tol)
            top_face = top_face.buffer(tol) if top_face.area == 0 else top_face
            region = face.intersection(top_face)
            if not region.is_empty:
                regions.append(region)
        if regions:
            hull = shapely.union_all(regions).convex_hull
            out[b] = bool(hull.covers(shapely.Point(*com[b])))  # no tolerance: past the edge, it tips
    return out
