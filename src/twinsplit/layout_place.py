"""Layout geometry and placement: what moves together, what it rests on, where it may go, and how a new
world pose becomes xform op values.  Used by `randomizers/layout.py` (sampling, edits) and
`checks/overlap.py` (verify).

Conventions follow `twinsplit.geometry`: 4x4 matrices are USD's row-vector convention
(``world = p @ M[:3, :3] + M[3, :3]``), everything is in stage units.

- A *unit* is a set of dynamic bodies that move rigidly together: a matched body plus everything resting
  on it (cartons on a pallet ride with the pallet).  Riders are found from contact at t = 0: a body rests
  on a shape whose top (along the up axis) is within SUPPORT_TOL_M of its bottom and whose footprint
  overlaps its own.
- A unit moves only in the plane and turns only about the up axis through its own centre, so it keeps
  its height and stays on the support it started on; a move is accepted only if each base body's centre
  still lies over one of its supports.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from .errors import TwinsplitError
from .geometry import CYLINDER_SEGMENTS, OverlapIndex, Shape, box, penetration_depth, shapes_from_stage
from .geometry.narrow import interval

TOL_M = 1e-4  # penetration beyond this many metres is an overlap; resting contact is fine
PLACE_TOL_FACTOR = 0.5  # placement is stricter than verify, so float32 rounding of written values never flips a verdict
SUPPORT_TOL_M = 2e-3  # a body rests on a shape whose top is within this many metres of its bottom

_ROTATE3 = {"RotateXYZ": "xyz", "RotateXZY": "xzy", "RotateYXZ": "yxz", "RotateYZX": "yzx",
            "RotateZXY": "zxy", "RotateZYX": "zyx"}
_ROTATE1 = {"RotateX": 0, "RotateY": 1, "RotateZ": 2}


# --------------------------------------------------------------------------------------------------
# reading the stage (once per scene; cached on SceneInfo.cache)


@dataclass(frozen=True)
class Op:
    """One xform op as authored: name as in xformOpOrder (``!invert!`` prefix for inverse ops)."""

    name: str
    attr: str
    op_type: str  # "Translate", "Orient", "RotateXYZ", "Scale", "Transform", ...
    type_name: str  # Sdf value type, e.g. double3, quatf, float3, matrix4d
    inverse: bool
    value: Any
    matrix: np.ndarray  # this op's 4x4 (row convention), inverse applied


@dataclass(frozen=True)
class Xf:
    """A body prim's transform data at t = 0."""

    path: str
    world: np.ndarray
    parent: np.ndarray  # parent's world (identity when the prim resets the xform stack)
    reset: bool
    ops: tuple[Op, ...]
    animated: bool


def _np(m) -> np.ndarray:
    return np.array(m, dtype=float).reshape(4, 4)


def start_time(stage: Usd.Stage) -> Usd.TimeCode:
    """t = 0 of the simulation: the stage's start time code (0 when not authored).  Not Default: a prim
    whose transform is only time-sampled (animation in the source) has no default value, and would be
    read at the origin."""
    return Usd.TimeCode(stage.GetStartTimeCode())


def _read_xf(prim: Usd.Prim, cache: UsdGeom.XformCache, time: Usd.TimeCode) -> Xf:
    xf = UsdGeom.Xformable(prim)
    ops, animated = [], False
    for op in xf.GetOrderedXformOps():
        attr = op.GetAttr()
        animated |= attr.GetNumTimeSamples() > 0
        name = op.GetOpName()
        ops.append(Op(name=str(name), attr=str(op.GetName()),
                      op_type=str(op.GetOpType()).split(".")[-1].removeprefix("Type"),
                      type_name=str(op.GetTypeName()), inverse=op.IsInverseOp(), value=op.Get(time),
                      matrix=_np(op.GetOpTransform(time))))
    reset = xf.GetResetXformStack()
    parent = np.eye(4) if reset else _np(cache.GetParentToWorldTransform(prim))
    return Xf(str(prim.GetPath()), _np(cache.GetLocalToWorldTransform(prim)), parent, reset, tuple(ops), animated)


def stage_of(scene) -> Usd.Stage:
    """Re-open the scene's stage from its file (cheap: the layers are still in the registry)."""
    root = str(scene.root)
    stage = Usd.Stage.Open(root, Usd.Stage.LoadAll) if root and not root.startswith("anon:") else None
    if stage is None:
        raise TwinsplitError(f"randomize.layout needs the stage on disk, cannot open {root!r}")
    return stage


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


def scene_xforms(scene, paths: list[str]) -> dict[str, Xf]:
    """Xform data of the given prims (cached on the scene)."""
    known: dict[str, Xf] = scene.cache.setdefault("layout:xf", {})
    missing = [p for p in paths if p not in known]
    if missing:
        stage = stage_of(scene)
        time = start_time(stage)
        cache = UsdGeom.XformCache(time)
        for p in missing:
            known[p] = _read_xf(stage.GetPrimAtPath(p), cache, time)
    return {p: known[p] for p in paths}


# --------------------------------------------------------------------------------------------------
# units and supports


@dataclass
class Unit:
    """Bodies that move rigidly together; `leader` is the matched body that names the unit's columns."""

    leader: str
    members: tuple[str, ...]  # every body of the unit, stage order
    shapes: list[Shape]
    base: dict[str, list[Shape]]  # member -> the non-moving shapes it rests on (only members resting on those)
    centre: np.ndarray  # world AABB centre of the unit's shapes
    bottom: float  # lowest point along up
    lift: np.ndarray = field(default_factory=lambda: np.eye(4))  # source -> `shapes`: up out of a support it sinks into

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


def _inherits(stage: Usd.Stage, body: str, ancestor: str) -> bool:
    """True if `body` follows `ancestor`'s transform (no `!resetXformStack!` on the way down)."""
    prim = stage.GetPrimAtPath(body)
    while prim and str(prim.GetPath()) != ancestor:
        xf = UsdGeom.Xformable(prim)
        if xf and xf.GetResetXformStack():
            return False
        prim = prim.GetParent()
    return True


def nested_in(scene, bodies: set[str]) -> dict[str, str]:
    """body -> the closest ancestor body whose transform it inherits (a wheel body under a cart body
    moves whenever the cart does, so the two are placed and written as one)."""
    out: dict[str, str] = {}
    stage = None
    for b in sorted(bodies):
        a = b.rpartition("/")[0]
        while a and a not in bodies:
            a = a.rpartition("/")[0]
        if a:
            stage = stage_of(scene) if stage is None else stage
            if _inherits(stage, b, a):
                out[b] = a
    return out


def _joint_body(stage: Usd.Stage, rel: Usd.Relationship | None) -> tuple[str | None, bool]:
    """(body, dynamic) a joint side attaches to: the closest rigid body at or above the target; (None, False)
    for the world, a static prim, or a kinematic or disabled body."""
    targets = rel.GetTargets() if rel else []
    prim = stage.GetPrimAtPath(targets[0].GetPrimPath()) if targets else None
    while prim and not prim.IsPseudoRoot():
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            rb = UsdPhysics.RigidBodyAPI(prim)
            enabled, kinematic = rb.GetRigidBodyEnabledAttr().Get(), rb.GetKinematicEnabledAttr().Get()
            return str(prim.GetPath()), (enabled is None or bool(enabled)) and not bool(kinematic)
        prim = prim.GetParent()
    return None, False


def joints(scene) -> tuple[dict[str, set[str]], set[str]]:
    """(body -> dynamic bodies jointed to it, dynamic bodies anchored: jointed, directly or through other
    jointed bodies, to the world, a static prim or a kinematic body).  Every enabled joint counts,
    articulated or not, typed or of a schema usd-core does not know (any prim with physics:body0/body1)."""
    if "layout:joints" not in scene.cache:
        stage = stage_of(scene)
        partners: dict[str, set[str]] = defaultdict(set)
        fixed: set[str] = set()
        for prim in stage.Traverse():
            rel0, rel1 = prim.GetRelationship("physics:body0"), prim.GetRelationship("physics:body1")
            if not (prim.IsA(UsdPhysics.Joint) or rel0 or rel1):
                continue
            enabled = prim.GetAttribute("physics:jointEnabled")
            if enabled and enabled.Get() is False:
                continue
            (a, da), (b, db) = _joint_body(stage, rel0), _joint_body(stage, rel1)
            if da and db and a != b:
                partners[a].add(b)
                partners[b].add(a)
            elif da != db:
                fixed.add(a if da else b)
        anchored, todo = set(fixed), list(fixed)
        while todo:
            for o in partners.get(todo.pop(), ()):
                if o not in anchored:
                    anchored.add(o)
                    todo.append(o)
        scene.cache["layout:joints"] = (dict(partners), anchored)
    return scene.cache["layout:joints"]


def _refuse_instance_proxies(scene, units: list[Unit], where: str) -> None:
    """An `over` on a prim inside an instance is ignored by USD: such a unit member cannot be moved."""
    stage = None
    for u in units:
        for m in u.top_members():
            if m in scene.prims:  # scan lists every prim that is not an instance proxy
                continue
            stage = stage_of(scene) if stage is None else stage
            prim = stage.GetPrimAtPath(m)
            if not prim.IsInstanceProxy():
                continue
            root = prim.GetParent()
            while root.IsInstanceProxy():
                root = root.GetParent()
            raise TwinsplitError(
                f"{where}: {m} would move with {u.leader} (it rests on it or is nested in it) but lies inside "
                f"instance {root.GetPath()}, and USD ignores overs on instance proxies; exclude {u.leader} from "
                f"match, put the rigid body on {root.GetPath()} itself, or make it not instanceable")


def build_geometry(scene, matched: list[str], where: str = "randomize.layout") -> Geometry:
    """Units (matched bodies + riders + bodies nested in them), their supports, and the obstacles, from the
    source at t = 0."""
    shapes = scene_shapes(scene)
    up = scene.up_index
    plane = tuple(i for i in range(3) if i != up)
    mpu = scene.meters_per_unit
    tol = TOL_M / mpu
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
        base = {m: [s for s in support.get(m, ()) if s.body not in moving] for m in members}
        base = {m: v for m, v in base.items() if v}
        # a unit sunk into what it rests on (by at most SUPPORT_TOL_M: "slightly", as authoring tools and
        # settled simulations leave it) is placed lifted onto it; PhysX would push it out at the first step
        sink = max((max(s.aabb()[1][up] for s in sup) - min(s.aabb()[0][up] for s in by_body[m])
                    for m, sup in base.items()), default=0.0)
        lift = np.eye(4)
        if sink > tol * PLACE_TOL_FACTOR:
            lift[3, up] = sink
            ushapes = [s.transformed(lift) for s in ushapes]
        lo, hi = _aabb(ushapes)
        units.append(Unit(leader, tuple(members), ushapes, base, (lo + hi) / 2, float(lo[up]), lift))
    units.sort(key=lambda u: order.get(u.leader, len(order)))
    _refuse_instance_proxies(scene, units, where)
    obstacles = [s for s in shapes if s.body not in moving]
    return Geometry(up, plane, mpu, tol, units, obstacles, skipped)


# --------------------------------------------------------------------------------------------------
# regions: planar prisms (a region constrains the plane; it extends without limit along up)


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
    """Keep-out prisms as shapes (tall along up) so the exact narrow phase decides penetration."""

    def __init__(self, prisms: list[Prism], extent: float, tol: float) -> None:
        self.prisms = prisms
        self.shapes = [p.as_shape(extent) for p in prisms]
        self.boxes = [s.aabb() for s in self.shapes]
        self.tol = tol

    def hit(self, shape: Shape) -> str | None:
        lo, hi = shape.aabb()
        for p, s, (blo, bhi) in zip(self.prisms, self.shapes, self.boxes, strict=False):
            if np.all(np.minimum(hi, bhi) - np.maximum(lo, blo) > self.tol) and penetration_depth(shape, s) > self.tol:
                return p.path
        return None


# --------------------------------------------------------------------------------------------------
# moves


def yaw_matrix(deg: float, up: int) -> np.ndarray:
    """Row-convention 3x3 rotation by `deg` about the up axis (counter-clockwise seen from above)."""
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    a, b = [(1, 2), (2, 0), (0, 1)][up]  # right-handed pair (a, b) with a x b = up
    r = np.eye(3)  # column convention: a -> c a + s b ; b -> -s a + c b
    r[a, a], r[b, a], r[a, b], r[b, b] = c, s, -s, c
    return r.T


def delta(centre: np.ndarray, yaw_deg: float, shift: np.ndarray, up: int) -> np.ndarray:
    """World delta: turn about the up axis through `centre`, then translate by `shift` (row convention)."""
    r = yaw_matrix(yaw_deg, up)
    d = np.eye(4)
    d[:3, :3] = r
    d[3, :3] = centre - centre @ r + shift
    return d


def centre_xy(shapes: list[Shape], plane: tuple[int, int]) -> np.ndarray:
    lo, hi = _aabb(shapes)
    return ((lo + hi) / 2)[list(plane)]


def over_support(point: np.ndarray, supports: list[Shape], plane: tuple[int, int], up: int) -> bool:
    """True if the planar point lies over the footprint of one of the support shapes."""
    p = list(plane)
    for s in supports:
        if s.kind == "box" and max(abs(s.rotation[up, i]) for i in range(3)) > 0.999:
            for i in range(3):
                if abs(s.rotation[up, i]) > 0.999:
                    continue
                u = s.rotation[p, i]
                n = np.linalg.norm(u)
                if abs(float((point - s.center[p]) @ (u / n))) > s.half_extents[i] * n + 1e-9:
                    break
            else:
                return True
        else:
            lo, hi = s.aabb()
            if np.all(point >= lo[p] - 1e-9) and np.all(point <= hi[p] + 1e-9):
                return True
    return False


class Pending:
    """Original poses of units not placed yet (a grid over their AABBs); removable, unlike OverlapIndex."""

    def __init__(self, units: list[Unit], tol: float) -> None:
        self.tol = tol
        self.units = units
        sizes = [float(np.max(_aabb(u.shapes)[1] - _aabb(u.shapes)[0])) for u in units]
        self.cell = max(float(np.median(sizes)) if sizes else 1.0, 1e-9)
        self.grid: dict[tuple, set[int]] = defaultdict(set)
        self.live: set[int] = set(range(len(units)))
        boxes = [_aabb(u.shapes) for u in units]
        self.lo = np.array([b[0] for b in boxes]).reshape(-1, 3)
        self.hi = np.array([b[1] for b in boxes]).reshape(-1, 3)
        for k, b in enumerate(boxes):
            for c in self._cells(*b):
                self.grid[c].add(k)

    def _cells(self, lo, hi):
        a = np.floor(lo / self.cell).astype(int)
        b = np.floor(hi / self.cell).astype(int)
        if np.prod(b - a + 1) > 4096:
            return [("big",)]
        return [(x, y, z) for x in range(a[0], b[0] + 1) for y in range(a[1], b[1] + 1) for z in range(a[2], b[2] + 1)]

    def remove(self, k: int) -> None:
        self.live.discard(k)

    def hit(self, shapes: list[Shape], skip: set[int]) -> int | None:
        lo, hi = _aabb(shapes)
        ids = set(self.grid.get(("big",), ()))
        for c in self._cells(lo, hi):
            ids |= self.grid.get(c, set())
        ids = ids & self.live - skip
        if not ids:
            return None
        cand = np.array(sorted(ids))
        cand = cand[np.all(np.minimum(hi, self.hi[cand]) - np.maximum(lo, self.lo[cand]) > self.tol, axis=1)]
        for k in cand.tolist():
            for a in shapes:
                alo, ahi = a.aabb()
                for b in self.units[k].shapes:
                    olo, ohi = b.aabb()
                    if (np.all(np.minimum(ahi, ohi) - np.maximum(alo, olo) > self.tol)
                            and penetration_depth(a, b) > self.tol):
                        return k
        return None


@dataclass
class Failure:
    leader: str
    tries: int
    reasons: Counter = field(default_factory=Counter)
    fallback: str = ""

    def describe(self) -> str:
        top = ", ".join(f"{r} ×{n}" for r, n in self.reasons.most_common(3))
        return (f"{self.leader} (tried {self.tries} times: {top}; its original pose is not valid either: "
                f"{self.fallback})")


@dataclass
class Placer:
    """Sequential rejection sampling of unit poses against a grid index of everything already fixed."""

    geo: Geometry
    bounds: Prism | None
    keep_out: KeepOut | None
    swap_of: dict[int, set[int]]  # unit -> the other units of its swap group (never block each other's slots)
    index: OverlapIndex = field(init=False)
    pending: Pending = field(init=False)

    def __post_init__(self) -> None:
        tol = self.geo.tol * PLACE_TOL_FACTOR
        self.pending = Pending(self.geo.units, tol)
        # cells sized by what moves (the default, sized by the obstacles, is huge for walls and shelving)
        self.index = OverlapIndex(self.geo.obstacles, tolerance=tol, cell_size=self.pending.cell)

    def moved_shapes(self, k: int, d: np.ndarray) -> list[Shape]:
        return [s.transformed(d) for s in self.geo.units[k].shapes]

    def reject(self, k: int, shapes: list[Shape], supports: dict[str, list[Shape]] | None) -> str | None:
        """Why a candidate pose of unit k is not acceptable, or None."""
        tol = self.geo.tol * PLACE_TOL_FACTOR
        if self.bounds is not None and not all(self.bounds.contains(s, tol) for s in shapes):
            return "outside bounds"
        if self.keep_out is not None:
            for s in shapes:
                if (r := self.keep_out.hit(s)) is not None:
                    return f"in keep-out {r}"
        if supports:
            for member, sup in supports.items():
                mine = [s for s in shapes if s.body == member]
                if mine and not over_support(centre_xy(mine, self.geo.plane), sup, self.geo.plane, self.geo.up):
                    return "off its support"
        if (j := self.pending.hit(shapes, {k} | self.swap_of.get(k, set()))) is not None:
            return f"overlaps {self.geo.units[j].leader}"
        for s in shapes:
            if (b := self.index.collides(s)) is not None:
                return f"overlaps {b}"
        return None

    def fix(self, k: int, shapes: list[Shape]) -> None:
        for s in shapes:
            self.index.add(s)
        self.pending.remove(k)


# --------------------------------------------------------------------------------------------------
# writing a moved body: new values for the ops it already has, or one matrix op when they cannot say it


def quantize_as(value, type_name: str):
    """A value rounded exactly as USD stores `type_name` (float32 for f types, float16 for h types)."""
    kind = type_name.rstrip("0123456789[]")
    dtype = np.float16 if kind.endswith("h") or kind == "half" else np.float64 if kind.endswith("d") or kind in (
        "double", "matrix") else np.float32
    arr = np.asarray(value, dtype=np.float64).astype(dtype).astype(np.float64)
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim == 2:
        return tuple(tuple(float(v) for v in row) for row in arr)
    return tuple(float(v) for v in arr)


def _rigid(m: np.ndarray) -> bool:
    r = m[:3, :3]
    return bool(np.allclose(r @ r.T, np.eye(3), atol=1e-9) and np.linalg.det(r) > 0)


def _rotation_values(op: Op, rot_row: np.ndarray):
    """Values of a rotation op that give `rot_row` (row convention 3x3), or None if it cannot."""
    rc = rot_row.T
    if op.op_type == "Orient":
        q = Gf.Matrix4d(Gf.Matrix3d(*rot_row.ravel().tolist()), Gf.Vec3d(0, 0, 0)).ExtractRotationQuat()
        w, (x, y, z) = q.GetReal(), q.GetImaginary()
        v = np.array([w, x, y, z]) * (1.0 if w >= 0 else -1.0)
        return v / np.linalg.norm(v)
    if op.op_type in _ROTATE3:
        from scipy.spatial.transform import Rotation

        order = _ROTATE3[op.op_type]
        with warnings.catch_warnings():  # gimbal lock (a Z-up asset stood up: X = -90) is fine, see `back`
            warnings.simplefilter("ignore", UserWarning)
            ang = Rotation.from_matrix(rc).as_euler(order, degrees=True)
        out = np.zeros(3)
        for letter, a in zip(order, ang, strict=True):
            out["xyz".index(letter)] = a
        back = Rotation.from_euler(order, [out["xyz".index(c)] for c in order], degrees=True).as_matrix()
        return out if np.allclose(back, rc, atol=1e-9) else None
    if op.op_type in _ROTATE1:
        i = _ROTATE1[op.op_type]
        if abs(rc[i, i] - 1.0) > 1e-9:
            return None  # the new rotation is not about this op's axis
        a, b = [(1, 2), (2, 0), (0, 1)][i]
        return np.degrees(math.atan2(rc[b, a], rc[a, a]))
    return None


def local_values(xf: Xf, d: np.ndarray) -> list[tuple[str, str, Any]]:
    """(attribute, Sdf type, value) to author so the prim's world transform becomes ``xf.world @ d``.

    Keeps the prim's own ops when they can express it (leading translate ops + one rotation op, any ops
    after that untouched): new translate = old translate rotated and shifted, new rotation = old rotation
    turned by the yaw.  Otherwise one ``xformOp:transform`` matrix and a new xformOpOrder."""
    pinv = np.linalg.inv(xf.parent)
    e = xf.parent @ d @ pinv
    ops = xf.ops
    rot_idx = [k for k, op in enumerate(ops) if op.op_type == "Orient" or op.op_type.startswith("Rotate")]
    if not xf.animated and _rigid(e) and len(rot_idx) == 1 and rot_idx[0] > 0:
        r = rot_idx[0]
        pre = ops[:r]
        # half-precision ops (half3, quath: ~3 digits) would round the accepted pose into an overlap
        if all(op.op_type == "Translate" and not op.inverse for op in pre) and not ops[r].inverse and not any(
                op.type_name.startswith(("half", "quath")) for op in ops[:r + 1]):
            tau = sum(op.matrix[3, :3] for op in pre)
            new_rot = ops[r].matrix[:3, :3] @ e[:3, :3]
            values = _rotation_values(ops[r], new_rot)
            if values is not None:
                w = next((op for op in pre if op.attr == "xformOp:translate"), pre[0])
                t_new = tau @ e[:3, :3] + e[3, :3] - (tau - w.matrix[3, :3])
                return [(w.attr, w.type_name, quantize_as(t_new, w.type_name)),
                        (ops[r].attr, ops[r].type_name, quantize_as(values, ops[r].type_name))]
    local = xf.world @ d @ pinv
    mat = quantize_as(local, "matrix4d")
    if len(ops) == 1 and ops[0].op_type == "Transform" and not ops[0].inverse and not xf.animated:
        return [(ops[0].attr, ops[0].type_name, mat)]
    order = (("!resetXformStack!",) if xf.reset else ()) + ("xformOp:transform",)
    return [("xformOp:transform", "matrix4d", mat), ("xformOpOrder", "token[]", order)]
