"""World-space collision shapes: a frozen value per collider prim, numpy only after construction.

Conventions (same as the rest of twinsplit):
- 4x4 matrices are USD's row-vector convention (``np.array(Gf.Matrix4d)``): ``world = p @ M[:3, :3] + M[3, :3]``.
- ``Shape.rotation`` is column-convention: ``rotation[:, i]`` is the world direction of local axis ``i``.
- Everything is in stage units; nothing is converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

import numpy as np

Kind = Literal["box", "sphere", "capsule", "cylinder", "convex"]
POLYTOPES = frozenset({"box", "convex", "cylinder"})
ROUND = frozenset({"sphere", "capsule"})

# Cylinders (and cones / non-uniformly scaled round shapes) become hulls of points on polygons that
# *circumscribe* the true surface: never misses a real overlap, may over-report by < 0.5 % of the radius.
CYLINDER_SEGMENTS = 32

_BOX_SIGNS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
_BOX_EDGES = np.array(
    [(i, j) for i in range(8) for j in range(i + 1, 8) if np.sum(_BOX_SIGNS[i] != _BOX_SIGNS[j]) == 1]
)


@dataclass(frozen=True, eq=False)
class Shape:
    """One convex collider in world space.

    box: ``center``, ``rotation``, ``half_extents``.  sphere: ``center``, ``radius``.
    capsule: segment ``center ± half_height * axis`` swept by ``radius`` (``half_height`` excludes caps).
    cylinder: ``center``, ``axis``, ``radius``, ``half_height`` *and* ``vertices`` (its polygonal hull,
    which is what the narrow phase uses).  convex: ``vertices`` plus hull ``normals``/``edges``.
    ``axis`` is a world unit vector.  ``body`` is the owning rigid body path (the collider itself if
    static); ``dynamic`` is True for an enabled, non-kinematic rigid body.
    """

    path: str
    kind: Kind
    center: np.ndarray
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    half_extents: np.ndarray | None = None
    radius: float = 0.0
    half_height: float = 0.0
    axis: np.ndarray | None = None
    vertices: np.ndarray | None = None
    dynamic: bool = False
    body: str = ""
    normals: np.ndarray | None = field(default=None, repr=False)  # unique hull face normals (m,3)
    edges: np.ndarray | None = field(default=None, repr=False)  # hull edges as vertex index pairs (e,2)
    edge_dirs: np.ndarray | None = field(default=None, repr=False)  # unique edge directions (d,3)
    _aabb: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.body:
            object.__setattr__(self, "body", self.path)
        object.__setattr__(self, "_aabb", _compute_aabb(self))

    def aabb(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact world AABB (min3, max3) — computed from the support function, not a bound."""
        return self._aabb

    def transformed(self, delta: np.ndarray) -> Shape:
        """The same shape moved by a world-space *rigid* 4x4 transform (USD row-vector convention)."""
        d = np.asarray(delta, dtype=float)
        rt, t = d[:3, :3], d[3, :3]  # row convention: p' = p @ rt + t; column rotation is rt.T
        rot = rt.T
        kw: dict = {"center": self.center @ rt + t, "rotation": rot @ self.rotation}
        if self.axis is not None:
            kw["axis"] = self.axis @ rt
        if self.vertices is not None:
            kw["vertices"] = self.vertices @ rt + t
            kw["normals"] = self.normals @ rt
            kw["edge_dirs"] = self.edge_dirs @ rt
        return replace(self, **kw)

    # -- polytope view used by the narrow phase -------------------------------------------------
    def poly(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(vertices, face normals, edge index pairs, unique edge directions) of a polytope shape."""
        if self.kind == "box":
            v = self.center + (_BOX_SIGNS * self.half_extents) @ self.rotation.T
            axes = self.rotation.T
            return v, axes, _BOX_EDGES, axes
        return self.vertices, self.normals, self.edges, self.edge_dirs

    def segment(self) -> tuple[np.ndarray, np.ndarray]:
        """Core segment endpoints of a round shape (equal for a sphere)."""
        if self.kind == "sphere":
            return self.center, self.center
        off = self.half_height * self.axis
        return self.center - off, self.center + off


def _compute_aabb(s: Shape) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(s.center, dtype=float)
    if s.kind == "box":
        half = np.abs(s.rotation) @ s.half_extents
    elif s.kind in ROUND:
        half = s.radius + (s.half_height * np.abs(s.axis) if s.kind == "capsule" else 0.0)
        half = np.broadcast_to(half, (3,)).astype(float)
    else:
        return s.vertices.min(0), s.vertices.max(0)
    return c - half, c + half


# ---------------------------------------------------------------------------------------------------
# constructors (numpy in, Shape out)


def box(path: str, center, half_extents, rotation=None, **kw) -> Shape:
    """An oriented box; ``rotation`` columns are its axes in world space (identity by default)."""
    rot = np.eye(3) if rotation is None else np.asarray(rotation, dtype=float)
    return Shape(path, "box", np.asarray(center, dtype=float), rot,
                 half_extents=np.abs(np.asarray(half_extents, dtype=float)), **kw)


def convex(path: str, points: np.ndarray, **kw) -> Shape:
    """Convex hull of world points; a planar/degenerate set becomes a zero-thickness box."""
    pts = np.asarray(points, dtype=float)
    hull = _hull(pts)
    if hull is None:
        return _flat_box(path, pts, **kw)
    v, n, e, d = hull
    kind = kw.pop("kind", "convex")
    return Shape(path, kind, v.mean(0), vertices=v, normals=n, edges=e, edge_dirs=d, **kw)


_TRI_EDGES = np.array([[0, 1], [1, 2], [0, 2]])


def triangles(path: str, points: np.ndarray, tris: np.ndarray, **kw) -> list[Shape]:
    """One zero-thickness 'convex' shape per non-degenerate triangle (a PhysX-style triangle mesh:
    a surface, so something wholly inside a closed mesh does not touch it)."""
    p = np.asarray(points, dtype=float)[np.asarray(tris)]  # (t,3,3)
    e = np.stack([p[:, 1] - p[:, 0], p[:, 2] - p[:, 1], p[:, 2] - p[:, 0]], 1)
    n = np.cross(e[:, 0], e[:, 2])
    area2 = np.linalg.norm(n, axis=1)
    lens = np.linalg.norm(e, axis=2)
    ok = area2 > 1e-12 * np.maximum(lens.max(1), 1e-300) ** 2
    out = []
    for tri, nn, a, ee, ll in zip(p[ok], n[ok], area2[ok], e[ok], lens[ok], strict=True):
        out.append(Shape(path, "convex", tri.mean(0), vertices=tri, normals=(nn / a)[None],
                         edges=_TRI_EDGES, edge_dirs=ee / ll[:, None], **kw))
    return out


def _unique_dirs(dirs: np.ndarray) -> np.ndarray:
    """Unit directions with parallel/antiparallel duplicates removed."""
    n = np.linalg.norm(dirs, axis=1)
    dirs = dirs[n > 1e-12] / n[n > 1e-12, None]
    # canonical sign: first clearly non-zero component positive
    idx = np.argmax(np.abs(dirs) > 1e-9, axis=1)
    sign = np.sign(dirs[np.arange(len(dirs)), idx])
    dirs = dirs * sign[:, None]
    _, keep = np.unique(np.round(dirs, 9), axis=0, return_index=True)
    return dirs[np.sort(keep)]


def _hull(pts: np.ndarray):
    if len(pts) < 4:
        return None
    from scipy.spatial import ConvexHull, QhullError  # here: scipy.spatial costs ~0.3 s to import; only meshes need it

    scale = float(np.ptp(pts, axis=0).max()) or 1.0
    try:
        h = ConvexHull(pts)
    except QhullError:
        return None
    if h.volume <= 1e-12 * scale**3:
        return None
    verts_idx = h.vertices
    remap = -np.ones(len(pts), dtype=int)
    remap[verts_idx] = np.arange(len(verts_idx))
    simp = remap[h.simplices]
    e = np.concatenate([simp[:, [0, 1]], simp[:, [1, 2]], simp[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    v = pts[verts_idx]
    # SAT tests both signs of every axis, so face normals fold like edge directions
    return v, _unique_dirs(h.equations[:, :3]), e, _unique_dirs(v[e[:, 1]] - v[e[:, 0]])


def _flat_box(path: str, pts: np.ndarray, rotation=None, **kw) -> Shape:
    """Zero-thickness (or degenerate) box around points, in the frame ``rotation`` if given."""
    kw.pop("kind", None)
    frames = [np.eye(3) if rotation is None else rotation]
    if len(pts) >= 3:  # principal axes catch a tilted plane the given frame does not align with
        u = np.linalg.svd(pts - pts.mean(0), full_matrices=False)[2].T
        frames.append(u if np.linalg.det(u) > 0 else u * [1, 1, -1])
    best = None
    for rot in frames:
        local = pts @ rot
        lo, hi = local.min(0), local.max(0)
        ext = hi - lo
        size = float(np.prod(ext + 1e-6 * ext.max()))  # padded volume: flatness first, then area
        if best is None or size < best[0] - 1e-12 * max(size, 1.0):
            best = (size, rot, lo, hi)
    _, rot, lo, hi = best
    return box(path, rot @ ((lo + hi) / 2), (hi - lo) / 2, rot, **kw)


@lru_cache(maxsize=None)
def _unit_sphere_points() -> np.ndarray:
    """Icosphere (162 points) scaled so its hull circumscribes the unit sphere."""
    import trimesh

    ico = trimesh.creation.icosphere(subdivisions=2)
    inner = np.min(np.abs(np.einsum("ij,ij->i", ico.face_normals, ico.triangles_center)))
    return np.asarray(ico.vertices) / inner


@lru_cache(maxsize=None)
def _unit_ring() -> np.ndarray:
    """Circumscribing polygon of the unit circle in the local XY plane, (CYLINDER_SEGMENTS, 2)."""
    a = 2 * np.pi * np.arange(CYLINDER_SEGMENTS) / CYLINDER_SEGMENTS
    return np.stack([np.cos(a), np.sin(a)], 1) / np.cos(np.pi / CYLINDER_SEGMENTS)


def local_points(kind: str, radius: float, half_height: float, axis: int) -> np.ndarray:
    """Points whose hull circumscribes a local round/cylindrical primitive (axis 0/1/2)."""
    others = [i for i in range(3) if i != axis]
    if kind == "sphere":
        return _unit_sphere_points() * radius
    if kind == "capsule":
        s = _unit_sphere_points() * radius
        up = s.copy()
        up[:, axis] += half_height
        dn = s.copy()
        dn[:, axis] -= half_height
        return np.concatenate([up, dn])
    ring = _unit_ring() * radius
    pts = np.zeros((2 * len(ring) + (1 if kind == "cone" else 0), 3))
    pts[: len(ring), others] = ring
    pts[: len(ring), axis] = -half_height
    if kind == "cone":
        pts[len(ring), axis] = half_height  # apex
        return pts[: len(ring) + 1]
    pts[len(ring):, others] = ring
    pts[len(ring):, axis] = half_height
    return pts
