"""Sites for people tests, written with pxr (walls, parked bodies, regions; metres, Z-up or cm Y-up), and a check of
written variants that shares no code with the planner: every collider's world box read back with pxr's BBoxCache at
each person sample's time, as a shapely footprint, against the person's disc and the other people."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

PERSON = "person_enters_corridor"


@dataclass(frozen=True)
class Item:
    """A box in metres: centre (x, y) on the floor plane, size (sx, sy, sz), resting on the floor unless z given.
    kind: "wall" (static collider), "body" (dynamic rigid body), or a region kind (a guide cube, not a collider)."""

    path: str
    x: float
    y: float
    sx: float
    sy: float
    sz: float
    kind: str = "wall"
    z: float | None = None


def site(path: Path, items: list[Item], *, up: str = "Z", mpu: float = 1.0, end_s: float = 30.0) -> Path:
    """A stage of `items` on a 0.1 m floor slab covering them, with a physics scene and a time range."""
    k = 1.0 / mpu
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, up)
    UsdGeom.SetStageMetersPerUnit(stage, mpu)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    stage.SetStartTimeCode(0)
    stage.SetEndTimeCode(end_s * 24)
    stage.SetTimeCodesPerSecond(24)
    stage.SetDefaultPrim(UsdGeom.Xform.Define(stage, "/World").GetPrim())
    UsdPhysics.Scene.Define(stage, "/World/PhysicsScene")
    xs = [i.x - i.sx / 2 for i in items] + [i.x + i.sx / 2 for i in items]
    ys = [i.y - i.sy / 2 for i in items] + [i.y + i.sy / 2 for i in items]
    floor = Item("/World/Floor", (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs) + 1,
                 max(ys) - min(ys) + 1, 0.1, z=-0.05)

    def world(x, y, z):
        return Gf.Vec3d(x * k, z * k, -y * k) if up == "Y" else Gf.Vec3d(x * k, y * k, z * k)

    for it in [floor, *items]:
        cube = UsdGeom.Cube.Define(stage, it.path)
        cube.CreateSizeAttr(1.0)
        x = UsdGeom.Xformable(cube.GetPrim())
        z = it.z if it.z is not None else it.sz / 2 + (0.001 if it.kind == "body" else 0.0)
        x.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(world(it.x, it.y, z))
        size = (it.sx, it.sz, it.sy) if up == "Y" else (it.sx, it.sy, it.sz)
        x.AddScaleOp().Set(Gf.Vec3f(*(s * k for s in size)))
        prim = cube.GetPrim()
        if it.kind in ("wall", "body"):
            UsdPhysics.CollisionAPI.Apply(prim)
            if it.kind == "body":
                UsdPhysics.RigidBodyAPI.Apply(prim)
                UsdPhysics.MassAPI.Apply(prim).CreateMassAttr(30.0)
        else:
            cube.CreatePurposeAttr("guide")
            prim.CreateAttribute("twinsplit:region", Sdf.ValueTypeNames.Token, custom=True).Set(it.kind)
    stage.Save()
    return path


def _plane(stage) -> tuple[int, int, int]:
    up = "XYZ".index(UsdGeom.GetStageUpAxis(stage))
    a, b = (i for i in range(3) if i != up)
    return a, b, up


def footprints(stage, t, prims=None) -> list[tuple[object, str]]:
    """(shapely footprint, path) of every collider (of `prims`, default: the stage's) switched on at time t that
    reaches into a person's height band (from 5 cm to 1.7 m above the floor top at 0)."""
    a, b, up = _plane(stage)
    k = 1.0 / UsdGeom.GetStageMetersPerUnit(stage)
    cache, out = UsdGeom.BBoxCache(t, ["default", "guide"]), []
    for prim in stage.Traverse() if prims is None else prims:
        if not prim.HasAPI(UsdPhysics.CollisionAPI):
            continue
        if prim.GetAttribute("physics:collisionEnabled").Get(t) is False:
            continue
        box = cache.ComputeWorldBound(prim)
        rng = box.ComputeAlignedRange()
        if rng.GetMax()[up] < 0.05 * k or rng.GetMin()[up] > 1.7 * k:
            continue
        m = np.asarray(box.GetMatrix())
        r = box.GetRange()
        lo, hi = np.asarray(r.GetMin()), np.asarray(r.GetMax())
        corners = np.array([[x, y, z, 1] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        out.append((shapely.MultiPoint((corners @ m)[:, [a, b]]).convex_hull, str(prim.GetPath())))
    return out


@dataclass
class Walked:
    """What check_people saw in one variant."""

    samples: int
    people: list[dict]          # the manifest's person events
    last: dict[str, np.ndarray]  # prim -> its last on-site sample (plane coordinates)
    track: dict[str, list[tuple[float, np.ndarray]]]  # prim -> (time code, plane point) of every on-site sample


def check_people(out: Path, variant: dict, no_go=None, no_go_from: float = np.inf) -> Walked:
    """Assert that no person sample of one written variant, nor the point halfway to its next sample (translate
    interpolates linearly), lies inside a collider (the source's, this variant's layout and every event body
    switched on at that time) or nearer another person than their two radii, nor inside `no_go` (a shapely
    polygon) from time code `no_go_from`."""
    stage = Usd.Stage.Open(str(out / variant["path"]))
    a, b, _ = _plane(stage)
    people = [e for e in variant["events"] if e["kind"] == PERSON]
    prims = {e["prim"]: stage.GetPrimAtPath(e["prim"]) for e in people}
    radius = {p: UsdGeom.Capsule(q).GetRadiusAttr().Get() for p, q in prims.items()}
    tol = 1e-3 / UsdGeom.GetStageMetersPerUnit(stage)
    scope = (str(next(iter(prims.values())).GetParent().GetPath()) + "/") if prims else "/-/"
    everything = list(stage.Traverse())
    fixed = footprints(stage, Usd.TimeCode.Default(),
                       [q for q in everything if not str(q.GetPath()).startswith(scope)])
    tree = shapely.STRtree([fp for fp, _ in fixed])
    events = [q for q in everything if str(q.GetPath()).startswith(scope) and str(q.GetPath()) not in prims]
    moving: dict[float, list] = {}
    n, last, track = 0, {}, {}

    def on(prim, t):
        return bool(prim.GetAttribute("physics:collisionEnabled").Get(t))

    def at(prim, t):
        p = np.asarray(prim.GetAttribute("xformOp:translate").Get(t), dtype=float)
        return np.array([p[a], p[b]])

    for path, prim in prims.items():
        authored = prim.GetAttribute("xformOp:translate").GetTimeSamples()
        mids = {(t0 + t1) / 2 for t0, t1 in zip(authored[:-1], authored[1:], strict=True)  # translate interpolates
                if t1 - t0 > 0.01 and on(prim, t0) and on(prim, t1)}  # (not a parked <-> placed jump)
        for t in sorted(set(authored) | mids):
            if not on(prim, t):
                continue
            n += 1
            p = at(prim, t)
            if t in authored:
                track.setdefault(path, []).append((t, p))
                last[path] = p
            disc = shapely.Point(*p).buffer(radius[path] - tol)
            hits = [fixed[i][1] for i in tree.query(disc, predicate="intersects")]
            if t not in moving:  # event bodies (a bed, a blocker, barriers) where they are at t
                moving[t] = footprints(stage, t, events)
            hits += [q for fp, q in moving[t] if fp.intersects(disc)]
            assert not hits, f"{variant['id']}: {path} at time code {t} lies inside {hits}"
            if no_go is not None and t >= no_go_from:
                assert not no_go.intersects(disc), f"{variant['id']}: {path} inside the no-go area at {t}"
            for other, q in prims.items():
                if other != path and on(q, t):
                    d = float(np.linalg.norm(at(q, t) - p))
                    assert d >= radius[path] + radius[other] - tol, f"{path} and {other} {d} apart at {t}"
    return Walked(n, people, last, track)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def region_box(stage_path: Path, region: str):
    """A region prim's footprint (shapely) on the floor plane, read with pxr."""
    stage = Usd.Stage.Open(str(stage_path))
    a, b, _ = _plane(stage)
    box = UsdGeom.BBoxCache(0, ["default", "guide"]).ComputeWorldBound(stage.GetPrimAtPath(region))
    rng = box.ComputeAlignedRange()
    lo, hi = rng.GetMin(), rng.GetMax()
    return shapely.box(lo[a], lo[b], hi[a], hi[b])
