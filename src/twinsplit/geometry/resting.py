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

from .aabb_index import AabbIndex
from .batch import ShapeSet
from .shape import ROUND, Shape


def _points(s: Shape) -> np.ndarray:
    if s.kind == "box":
        return s.poly()[0]
    if s.kind in ROUND:
        return np.array(s.segment())
    return s.vertices


def volume(s: Shape) -> float:
    """A shape's volume (a convex or mesh shape: its bounding box's, an upper bound)."""
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


def footing(shapes: Sequence[Shape], up: int, plane: tuple[int, int], tol: float,
            com: np.ndarray | None = None) -> Footing:
    """The footing of one body from its collider shapes. `com`: its world centre of mass when the stage gives one
    (scene.mass); else the colliders' volume-weighted centroid."""
    p = list(plane)
    if com is None:
        w = np.array([volume(s) for s in shapes])
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
        import shapely  # here: most footings are boxes lying on a face, and shapely costs ~0.1 s to import

        inside = bool(_hull(face_pts).buffer(1e-12).covers(shapely.Point(*com[p])))
    return Footing(com[p], bottom, face_pts, inside)


def _hull(points: np.ndarray):
    import shapely

    return shapely.MultiPoint([tuple(q) for q in points]).convex_hull


def _top_face(s: Shape, up: int, plane: tuple[int, int], tol: float):
    pts = _points(s)
    top = float(s.aabb()[1][up])
    hi = pts[pts[:, up] >= top - tol - (s.radius if s.kind in ROUND else 0.0)]
    return _hull(hi[:, list(plane)])


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
        shapes = ShapeSet.join([a.shapes, b.shapes])
        return cls(shapes, np.concatenate([a.top, b.top]), np.concatenate([a.flat, b.flat]),
                   np.concatenate([a.centre, b.centre]), np.concatenate([a.axes, b.axes]),
                   np.concatenate([a.half, b.half]))

    def slabs(self, up: int) -> AabbIndex:
        """The broad-phase index of the top faces (each shape's AABB flattened to its top), built once."""
        cached = self.__dict__.get("_slabs")
        if cached is None or cached[0] != up:
            lo, hi = self.shapes.lo.copy(), self.shapes.hi.copy()
            lo[:, up] = hi[:, up] = self.top  # a support is its top face
            cached = (up, AabbIndex(lo, hi))
            object.__setattr__(self, "_slabs", cached)
        return cached[1]

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
    r2 = d[:, p][:, :, p]  # planar part of each rotation (row convention)
    t2 = d[:, 3, p]
    com = np.einsum("ni,nij->nj", feet.com, r2) + t2
    bottom = feet.bottom + d[:, 3, up]
    # the faces moved: the two-term products written out (what einsum computes, at a third of its cost here)
    faces = feet.face[:, :, 0, None] * r2[:, None, 0, :] + feet.face[:, :, 1, None] * r2[:, None, 1, :] + t2[:, None]
    # probes: the face's planar box, spanning the heights a support's top may have
    flo, fhi = faces[:, 0].copy(), faces[:, 0].copy()
    for k in range(1, faces.shape[1]):
        np.minimum(flo, faces[:, k], out=flo)
        np.maximum(fhi, faces[:, k], out=fhi)
    lo3, hi3 = np.zeros((n, 3)), np.zeros((n, 3))
    lo3[:, p], hi3[:, p] = flo - tol, fhi + tol
    lo3[:, up], hi3[:, up] = bottom - 2 * tol, bottom + np.maximum(sink, 0) + 2 * tol
    ib, it = tops.slabs(up).pairs(lo3, hi3, 0.0)
    if len(ib) == 0:
        return out
    # fast path: a flat box top holding the whole face; then the body's own `inside` decides
    fast = np.flatnonzero(tops.flat[it])
    holds = np.zeros(len(ib), dtype=bool)
    if len(fast):
        b, j = ib[fast], it[fast]
        rel = np.take(faces, b, axis=0) - np.take(tops.centre, j, axis=0)[:, None, :]  # (f, K, 2)
        axes, limit = np.take(tops.axes, j, axis=0), np.take(tops.half, j, axis=0) + tol
        ok = np.ones(len(fast), dtype=bool)
        for i in range(2):  # the face's coordinates along each top axis stay within its half extent
            along = np.abs(rel[:, :, 0] * axes[:, None, i, 0] + rel[:, :, 1] * axes[:, None, i, 1])
            for k in range(along.shape[1]):
                ok &= along[:, k] <= limit[:, i]
        holds[fast] = ok
    done = np.zeros(n, dtype=bool)
    done[ib[holds]] = True
    out[ib[holds]] = feet.inside[ib[holds]]
    for b in np.unique(ib[~done[ib]]):  # the slow path: contact regions with every support
        face = _hull(faces[b, : feet.count[b]])
        face = face.buffer(tol) if face.area == 0 else face
        regions = []
        for j in np.sort(it[ib == b]):  # in support order, whatever order the index found them
            top_face = _top_face(tops.shapes.shape(int(j)), up, plane, tol)
            top_face = top_face.buffer(tol) if top_face.area == 0 else top_face
            region = face.intersection(top_face)
            if not region.is_empty:
                regions.append(region)
        if regions:
            import shapely

            hull = shapely.union_all(regions).convex_hull
            out[b] = bool(hull.covers(shapely.Point(*com[b])))  # no tolerance: past the edge, it tips
    return out
