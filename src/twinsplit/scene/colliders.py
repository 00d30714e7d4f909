"""Read collider prims from a USD stage into world-space Shapes (stage units, no conversion).

Mesh policy (mirrors PhysX): a mesh with ``physics:approximation`` none/meshSimplification (or no
MeshCollisionAPI) that is *not* part of a dynamic body is a triangle mesh — one flat shape per
triangle, hollow like PhysX's.  Every other mesh (any approximation on a dynamic body, or
convexHull/convexDecomposition/boundingCube/boundingSphere/sdf anywhere) is convex-hulled; a
planar/degenerate hull becomes a zero-thickness box.  Plane prims are half-spaces approximated by a
2*PLANE_HALF_SIZE cube whose top face is the plane (normal = +axis).  Non-uniform scale or shear on spheres/capsules/cylinders, and shear on cubes,
fall back to circumscribing hulls.  Colliders with ``physics:collisionEnabled = false`` are skipped;
invisible and guide-purpose colliders are kept (purpose only affects rendering: the Isaac Sim importers
put every collision mesh under a guide-purpose scope, and the Isaac ground plane is a guide Plane).
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from ..geometry.shape import Shape, box, convex, local_points, triangles

PLANE_HALF_SIZE = 1e6
_AXIS = {"X": 0, "Y": 1, "Z": 2}
_TRIANGLE_APPROX = {"none", "meshSimplification"}


def _owning_body(prim: Usd.Prim) -> tuple[str | None, bool]:
    """(body path, dynamic) of the closest ancestor-or-self with RigidBodyAPI, else (None, False)."""
    p = prim
    while p and not p.IsPseudoRoot():
        if p.HasAPI(UsdPhysics.RigidBodyAPI):
            rb = UsdPhysics.RigidBodyAPI(p)
            enabled = rb.GetRigidBodyEnabledAttr().Get()
            kinematic = rb.GetKinematicEnabledAttr().Get()
            return str(p.GetPath()), (enabled is None or bool(enabled)) and not bool(kinematic)
        p = p.GetParent()
    return None, False


class _Frames:
    """World frames of n colliders, decomposed all at once: world = A @ local + t, A's columns the scaled local
    axes, s their lengths, ortho (no shear, no zero axis) and rot (A with unit columns, one flipped if mirrored).
    Each figure is the same numpy operation per matrix as for one alone (the same bits; rot only where ortho)."""

    def __init__(self, xforms) -> None:
        m = np.array(xforms, dtype=float).reshape(-1, 4, 4)
        self.a, self.t = m[:, :3, :3].transpose(0, 2, 1), m[:, 3, :3]
        self.s = np.linalg.norm(self.a, axis=1)
        off = np.abs(m[:, :3, :3] @ self.a)  # the Gram matrix A.T @ A, off its diagonal
        off[:, [0, 1, 2], [0, 1, 2]] = 0.0
        self.ortho = (self.s > 0).all(1) & (off <= 1e-6 * (self.s[:, :, None] * self.s[:, None, :])).all((1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):  # rot is read only where ortho (no zero axis)
            self.rot = self.a / self.s[:, None, :]
            flip = np.linalg.det(np.where(self.ortho[:, None, None], self.rot, np.eye(3))) < 0
        self.rot[flip] *= np.array([1.0, 1.0, -1.0])  # mirrored: boxes/cylinders are symmetric under it

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray]:
        return self.a[i], self.t[i], self.s[i], bool(self.ortho[i]), self.rot[i]


def frame(xform: Gf.Matrix4d | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray]:
    """(A, t, s, ortho, rot) of one world transform, as `_Frames` decomposes a collider's."""
    return _Frames([xform])[0]


def _get(attr, time, default):
    v = attr.Get(time) if attr else None
    return default if v is None else v


def shape_from_prim(prim: Usd.Prim, xform: Gf.Matrix4d | np.ndarray, *,
                    time: Usd.TimeCode = Usd.TimeCode.Default(), body: str | None = None,
                    dynamic: bool | None = None) -> Shape | None:
    """One Shape for a collider prim under the world transform ``xform`` (USD row-vector convention).
    Returns None for prims without supported geometry.  Meshes always become one convex hull here
    (the triangle-mesh policy is applied by ``shapes_from_stage``)."""
    shapes = _shapes_from_prim(prim, frame(xform), time, body, dynamic, triangle_meshes=False)
    return shapes[0] if shapes else None


def _shapes_from_prim(prim, frame, time, body, dynamic, *, triangle_meshes: bool) -> list[Shape]:
    if body is None or dynamic is None:
        b, d = _owning_body(prim)
        body = body if body is not None else (b or str(prim.GetPath()))
        dynamic = dynamic if dynamic is not None else d
    path = str(prim.GetPath())
    kw = {"body": body, "dynamic": dynamic}
    a, t, s, ortho, rot = frame

    def hull(local: np.ndarray, **extra) -> Shape:
        return convex(path, local @ a.T + t, **extra, **kw)

    if prim.IsA(UsdGeom.Cube):
        half = 0.5 * float(_get(UsdGeom.Cube(prim).GetSizeAttr(), time, 2.0))
        if ortho:
            return [box(path, t, half * s, rot, **kw)]
        return [hull(half * np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]))]
    if prim.IsA(UsdGeom.Sphere):
        r = float(_get(UsdGeom.Sphere(prim).GetRadiusAttr(), time, 1.0))
        if ortho and np.ptp(s) <= 1e-6 * s.max():
            return [Shape(path, "sphere", t, rot, radius=r * s[0], **kw)]
        return [hull(local_points("sphere", r, 0.0, 2))]
    for schema, kind in ((UsdGeom.Capsule, "capsule"), (UsdGeom.Cylinder, "cylinder"), (UsdGeom.Cone, "cone")):
        if prim.IsA(schema):
            g = schema(prim)
            r = float(_get(g.GetRadiusAttr(), time, 0.5 if kind == "capsule" else 1.0))
            hh = 0.5 * float(_get(g.GetHeightAttr(), time, 1.0 if kind == "capsule" else 2.0))
            ax = _AXIS[str(_get(g.GetAxisAttr(), time, "Z"))]
            radial = [s[i] for i in range(3) if i != ax]
            exact = ortho and abs(radial[0] - radial[1]) <= 1e-6 * max(radial)
            local = local_points(kind, r, hh, ax)
            if kind == "cone" or not exact:
                return [hull(local)]
            geo = {"radius": r * radial[0], "half_height": hh * s[ax], "axis": a[:, ax] / s[ax]}
            if kind == "capsule":
                return [Shape(path, "capsule", t, rot, **geo, **kw)]
            return [hull(local, kind="cylinder", **geo)]
    if prim.IsA(UsdGeom.Plane):
        g = UsdGeom.Plane(prim)
        ax = _AXIS[str(_get(g.GetAxisAttr(), time, "Z"))]
        # PhysX treats a plane as a half-space: a slab PLANE_HALF_SIZE deep below the +axis side, so
        # something resting on it touches and something sunk through it is deep inside.
        half = np.full(3, PLANE_HALF_SIZE)
        normal = a[:, ax] / s[ax]
        rot = rot if ortho else np.eye(3)
        return [box(path, t - PLANE_HALF_SIZE * normal, half, rot, **kw)]
    if prim.IsA(UsdGeom.Mesh):
        mesh = UsdGeom.Mesh(prim)
        pts = np.asarray(_get(mesh.GetPointsAttr(), time, []), dtype=float).reshape(-1, 3)
        if len(pts) == 0:
            return []
        world = pts @ a.T + t
        if triangle_meshes and not dynamic and _approximation(prim) in _TRIANGLE_APPROX:
            tris = _fan(_get(mesh.GetFaceVertexCountsAttr(), time, []),
                        _get(mesh.GetFaceVertexIndicesAttr(), time, []))
            tris = tris[np.all(tris < len(pts), axis=1)]
            if len(tris):
                return triangles(path, world, tris, **kw)
        return [convex(path, world, rotation=rot if ortho else None, **kw)]
    return []


def _approximation(prim: Usd.Prim) -> str:
    attr = prim.GetAttribute("physics:approximation")
    v = attr.Get() if attr else None
    return str(v) if v else "none"


def _fan(counts, indices) -> np.ndarray:
    """Fan-triangulate USD faces: (t,3) vertex indices."""
    counts = np.asarray(counts, dtype=int)
    idx = np.asarray(indices, dtype=int)
    if counts.size == 0 or counts.sum() > len(idx):
        return np.zeros((0, 3), dtype=int)
    starts = np.cumsum(counts) - counts
    ntri = np.maximum(counts - 2, 0)
    face = np.repeat(np.arange(len(counts)), ntri)
    k = np.arange(int(ntri.sum())) - np.repeat(np.cumsum(ntri) - ntri, ntri)
    st = starts[face]
    return np.stack([idx[st], idx[st + k + 1], idx[st + k + 2]], 1)


def shapes_from_stage(stage: Usd.Stage, *, time: Usd.TimeCode = Usd.TimeCode.Default(),
                      include: Callable[[Usd.Prim], bool] | Iterable[str] | None = None,
                      triangle_meshes: bool = True) -> list[Shape]:
    """Every active prim with UsdPhysics.CollisionAPI (instance proxies included), as
    world-space Shapes in stage units.  ``include`` is a prim predicate, or paths whose subtrees to
    keep.  ``triangle_meshes=False`` convex-hulls every mesh (see the module doc for the policy)."""
    if include is not None and not callable(include):
        roots = tuple(str(p).rstrip("/") for p in include)
        include = lambda prim, roots=roots: any(  # noqa: E731
            (path := str(prim.GetPath())) == r or path.startswith(r + "/") for r in roots)
    cache = UsdGeom.XformCache(time)
    found, xforms = [], []
    for prim in Usd.PrimRange.Stage(stage, Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)):
        if not prim.HasAPI(UsdPhysics.CollisionAPI):
            continue
        if include is not None and not include(prim):
            continue
        enabled = UsdPhysics.CollisionAPI(prim).GetCollisionEnabledAttr().Get(time)
        if enabled is not None and not enabled:
            continue
        body, dynamic = _owning_body(prim)
        found.append((prim, body or str(prim.GetPath()), dynamic))
        xforms.append(cache.GetLocalToWorldTransform(prim))
    frames = _Frames(xforms)
    out: list[Shape] = []
    for i, (prim, body, dynamic) in enumerate(found):
        out += _shapes_from_prim(prim, frames[i], time, body, dynamic, triangle_meshes=triangle_meshes)
    return out
