"""The bundled sample scenes and the benchmark builder: reproducible, SimReady-valid, physically sane."""

from __future__ import annotations

import importlib.util
import itertools
import logging
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from pxr import Sdf, Usd, UsdGeom, UsdLux, UsdPhysics, UsdSemantics, UsdShade

ROOT = Path(__file__).resolve().parents[1]
SCENES_DIR = ROOT / "sample_scenes"
TOUCH_TOL = 1e-6

# scene name -> region kinds it must contain
SCENES: dict[str, set[str]] = {
    "warehouse": {"aisle", "keepout"},
    "hospital_corridor": {"corridor", "room", "doorway", "infection_control", "route"},
    "cleanroom_fab": {"aisle", "bay", "restricted", "doorway"},
}


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _scene_path(name: str) -> Path:
    return SCENES_DIR / name / f"{name}.usda"


@pytest.fixture(scope="module", params=sorted(SCENES))
def scene(request) -> tuple[str, Usd.Stage]:
    stage = Usd.Stage.Open(str(_scene_path(request.param)))
    assert stage, f"cannot open {request.param}"
    return request.param, stage


@pytest.fixture(scope="module")
def validator():
    logging.getLogger("omni.asset_validator").setLevel(logging.WARNING)
    import omni.asset_validator as av

    return av, av.ValidationEngine(init_rules=True)


# --------------------------------------------------------------------------- geometry helpers
def _obb(prim: Usd.Prim, cache: UsdGeom.XformCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(center, unit axes as rows, half sizes) of the prim's local extent box in world space.

    Exact for Cubes; a conservative box around cylinders and capsules.
    """
    ext = np.array(UsdGeom.Boundable(prim).GetExtentAttr().Get(), dtype=float)
    m = np.array(cache.GetLocalToWorldTransform(prim), dtype=float)  # row-vector convention
    lc, lh = ext.mean(axis=0), (ext[1] - ext[0]) / 2
    center = np.append(lc, 1.0) @ m
    rows = m[:3, :3]
    scale = np.linalg.norm(rows, axis=1)
    axes = rows / scale[:, None]
    assert np.allclose(axes @ axes.T, np.eye(3), atol=1e-5), f"sheared transform on {prim.GetPath()}"
    return center[:3], axes, lh * scale


def _corners(c: np.ndarray, ax: np.ndarray, h: np.ndarray) -> np.ndarray:
    signs = np.array(list(itertools.product((-1, 1), repeat=3)), dtype=float)
    return c + (signs * h) @ ax


def _penetration(a, b) -> float:
    """Smallest overlap depth over the 15 SAT axes; <= 0 means separated (or touching)."""
    (ca, aa, ha), (cb, ab, hb) = a, b
    axes = [*aa, *ab]
    for u, v in itertools.product(aa, ab):
        w = np.cross(u, v)
        n = np.linalg.norm(w)
        if n > 1e-9:
            axes.append(w / n)
    d = cb - ca
    depth = np.inf
    for L in axes:
        ra = np.sum(ha * np.abs(aa @ L))
        rb = np.sum(hb * np.abs(ab @ L))
        depth = min(depth, ra + rb - abs(d @ L))
        if depth <= 0:
            return depth
    return depth


def test_sat_detects_overlap_and_allows_touching():
    eye = np.eye(3)
    unit = (np.zeros(3), eye, np.full(3, 0.5))
    assert _penetration(unit, (np.array([1.0, 0, 0]), eye, np.full(3, 0.5))) <= TOUCH_TOL  # face contact
    assert _penetration(unit, (np.array([0.9, 0, 0]), eye, np.full(3, 0.5))) == pytest.approx(0.1)
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    rot = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])
    # a 45-degree box whose AABB overlaps but which is separated along its own axis
    assert _penetration(unit, (np.array([1.2, 1.2, 0]), rot, np.full(3, 0.5))) <= 0
    assert _penetration(unit, (np.array([0.9, 0.3, 0]), rot, np.full(3, 0.5))) > 0.1


def _colliders(stage: Usd.Stage) -> list[Usd.Prim]:
    return [p for p in stage.Traverse() if p.HasAPI(UsdPhysics.CollisionAPI)]


def _body_of(prim: Usd.Prim) -> Usd.Prim | None:
    while prim and not prim.IsPseudoRoot():
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            return prim
        prim = prim.GetParent()
    return None


def _regions(stage: Usd.Stage) -> dict[str, str]:
    return {
        str(p.GetPath()): p.GetAttribute("twinsplit:region").Get()
        for p in stage.Traverse()
        if p.HasAttribute("twinsplit:region")
    }


def _check_no_interpenetration(stage: Usd.Stage) -> None:
    cache = UsdGeom.XformCache(Usd.TimeCode(0))
    prims = _colliders(stage)
    boxes = [_obb(p, cache) for p in prims]
    lo = np.array([_corners(*b).min(axis=0) for b in boxes])
    hi = np.array([_corners(*b).max(axis=0) for b in boxes])
    # broad phase on world AABBs, exact SAT on the candidates
    cand = np.all((lo[:, None] < hi[None] - TOUCH_TOL) & (lo[None] < hi[:, None] - TOUCH_TOL), axis=2)
    bad = [
        (str(prims[i].GetPath()), str(prims[j].GetPath()), depth)
        for i, j in zip(*np.nonzero(np.triu(cand, 1)), strict=True)
        if (depth := _penetration(boxes[i], boxes[j])) > TOUCH_TOL
    ]
    assert not bad, f"interpenetrating colliders at t=0: {bad[:5]}"


def _check_bodies_rest_on_support(stage: Usd.Stage) -> None:
    """Each body's lowest collider face lies exactly on the top of a collider of another prim below it."""
    cache = UsdGeom.XformCache(Usd.TimeCode(0))
    prims = _colliders(stage)
    corners = {p.GetPath(): _corners(*_obb(p, cache)) for p in prims}
    owner = {p.GetPath(): _body_of(p) for p in prims}
    bodies = {b.GetPath() for b in owner.values() if b}
    assert bodies, "no rigid bodies"
    for body in sorted(bodies):
        parts = [k for k, b in owner.items() if b and b.GetPath() == body]
        bottom = min(corners[k][:, 2].min() for k in parts)
        mine = np.vstack([corners[k] for k in parts])
        blo, bhi = mine[:, :2].min(axis=0), mine[:, :2].max(axis=0)
        supports = [
            k for k, c in corners.items()
            if k not in parts and abs(c[:, 2].max() - bottom) <= TOUCH_TOL
            and np.all(c[:, :2].min(axis=0) < bhi) and np.all(c[:, :2].max(axis=0) > blo)
        ]
        assert supports, f"{body} floats: bottom z={bottom:.6f} touches no support"


# --------------------------------------------------------------------------- the checked-in scenes
@pytest.mark.parametrize("name", sorted(SCENES))
def test_build_script_reproduces_checked_in_usda(name, tmp_path):
    mod = _load(SCENES_DIR / name / "build.py", f"_scene_build_{name}")
    out = tmp_path / f"{name}.usda"
    mod.build(out)
    assert out.read_bytes() == _scene_path(name).read_bytes()
    mod.build(tmp_path / "again.usda")
    assert (tmp_path / "again.usda").read_bytes() == out.read_bytes()


def test_stage_metadata(scene):
    _, stage = scene
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdPhysics.GetStageKilogramsPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == Sdf.Path("/World")
    assert (stage.GetStartTimeCode(), stage.GetEndTimeCode(), stage.GetTimeCodesPerSecond()) == (0, 600, 30)
    scenes = [UsdPhysics.Scene(p) for p in stage.Traverse() if p.IsA(UsdPhysics.Scene)]
    assert scenes
    assert tuple(scenes[0].GetGravityDirectionAttr().Get()) == (0, 0, -1)
    assert scenes[0].GetGravityMagnitudeAttr().Get() == pytest.approx(9.81)
    assert sum(1 for _ in stage.Traverse()) < 300


def test_physics_materials_bound_with_physics_purpose(scene):
    _, stage = scene
    mats = {p.GetPath(): UsdPhysics.MaterialAPI(p) for p in stage.Traverse() if p.HasAPI(UsdPhysics.MaterialAPI)}
    assert len(mats) >= 3
    frictions = {m.GetDynamicFrictionAttr().Get() for m in mats.values()}
    restitutions = {m.GetRestitutionAttr().Get() for m in mats.values()}
    densities = {m.GetDensityAttr().Get() for m in mats.values()}
    assert min(len(frictions), len(restitutions), len(densities)) >= 3
    used = set()
    for prim in _colliders(stage):
        bound, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial("physics")
        assert bound and bound.GetPath() in mats, f"{prim.GetPath()} has no physics material"
        used.add(bound.GetPath())
        look, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
        assert look and look.GetSurfaceOutput().HasConnectedSource(), f"{prim.GetPath()} has no render material"
    assert used == set(mats), f"unused physics materials: {set(mats) - used}"


def test_lights(scene):
    _, stage = scene
    lights = [p for p in stage.Traverse() if p.HasAPI(UsdLux.LightAPI)]
    kinds = {p.GetTypeName() for p in lights}
    assert {"DomeLight", "SphereLight", "RectLight"} <= kinds
    for p in lights:
        api = UsdLux.LightAPI(p)
        for attr in (api.GetIntensityAttr(), api.GetExposureAttr(), api.GetColorAttr()):
            assert attr.HasAuthoredValue(), f"{attr.GetPath()} not authored"
        assert api.GetIntensityAttr().Get() > 0


def test_rigid_bodies_have_mass_and_colliders(scene):
    _, stage = scene
    bodies = [p for p in stage.Traverse() if p.HasAPI(UsdPhysics.RigidBodyAPI)]
    assert len(bodies) >= 5
    for b in bodies:
        assert b.HasAPI(UsdPhysics.MassAPI) and UsdPhysics.MassAPI(b).GetMassAttr().Get() > 0, b.GetPath()
        parts = [p for p in Usd.PrimRange(b) if p.HasAPI(UsdPhysics.CollisionAPI)]
        assert parts, f"{b.GetPath()} has no collider"
    static = [p for p in _colliders(stage) if _body_of(p) is None]
    assert static, "no static colliders"


def test_semantic_labels_on_every_object(scene):
    _, stage = scene
    objects = [p for p in stage.Traverse()
               if p.IsA(UsdGeom.Gprim) and UsdGeom.Imageable(p).ComputePurpose() != UsdGeom.Tokens.guide]
    assert len(objects) >= 10
    for prim in objects:
        labels = UsdSemantics.LabelsAPI(prim, "class").GetLabelsAttr().Get()
        assert labels and all(labels), f"{prim.GetPath()} has no semantic class label"


def test_regions(scene):
    name, stage = scene
    regions = _regions(stage)
    assert SCENES[name] <= set(regions.values())
    for path in regions:
        prim = stage.GetPrimAtPath(path)
        assert prim.IsA(UsdGeom.Cube)
        assert UsdGeom.Imageable(prim).ComputePurpose() == UsdGeom.Tokens.guide
        assert not prim.HasAPI(UsdPhysics.CollisionAPI)


def test_no_interpenetration_at_t0(scene):
    _check_no_interpenetration(scene[1])


def test_bodies_rest_exactly_on_support(scene):
    _check_bodies_rest_on_support(scene[1])


def _region_boxes(stage: Usd.Stage, kind: str) -> dict[str, tuple]:
    cache = UsdGeom.XformCache(Usd.TimeCode(0))
    return {path: _obb(stage.GetPrimAtPath(path), cache) for path, k in _regions(stage).items() if k == kind}


def _open(name: str) -> Usd.Stage:
    return Usd.Stage.Open(str(_scene_path(name)))


@pytest.mark.parametrize("name", sorted(n for n, kinds in SCENES.items() if "doorway" in kinds))
def test_doorways_are_real_gaps_in_walls(name):
    """No collider intrudes into a doorway, and wall colliders flank it (it is a gap in a wall)."""
    stage = _open(name)
    doorways = _region_boxes(stage, "doorway")
    assert doorways
    cache = UsdGeom.XformCache(Usd.TimeCode(0))
    colliders = [(p, _obb(p, cache)) for p in _colliders(stage)]
    for path, door in doorways.items():
        intruders = [str(p.GetPath()) for p, b in colliders if _penetration(door, b) > TOUCH_TOL]
        assert not intruders, f"{path} is blocked by {intruders}"
        walls = [p for p, b in colliders if "wall" in UsdSemantics.LabelsAPI(p, "class").GetLabelsAttr().Get()
                 and _penetration(door, b) > -TOUCH_TOL]
        assert len(walls) >= 2, f"{path} is not a gap between wall segments"


@pytest.mark.parametrize("name", sorted(n for n, kinds in SCENES.items() if "infection_control" in kinds))
def test_infection_control_covers_a_room_and_its_doorway(name):
    stage = _open(name)
    zones = _region_boxes(stage, "infection_control")
    assert zones
    rooms, doors = _region_boxes(stage, "room"), _region_boxes(stage, "doorway")

    def inside(inner, outer) -> bool:
        c, ax, h = outer
        local = (_corners(*inner) - c) @ ax.T
        return bool(np.all(np.abs(local) <= h + TOUCH_TOL))

    for path, zone in zones.items():
        assert any(inside(r, zone) for r in rooms.values()), f"{path} covers no whole room"
        assert any(inside(d, zone) for d in doors.values()), f"{path} covers no whole doorway"


def test_asset_validator_reports_no_failures(scene, validator):
    name, _ = scene
    av, engine = validator
    issues = list(engine.validate(str(_scene_path(name))).issues())
    bad = [(str(i.severity), str(i.at), i.message) for i in issues
           if i.severity in (av.IssueSeverity.FAILURE, av.IssueSeverity.ERROR)]
    assert not bad, bad[:5]


# --------------------------------------------------------------------------- the benchmark builder
def test_bench_builder_small(tmp_path, validator):
    mod = _load(ROOT / "bench" / "build_scene.py", "_bench_build_scene")
    out = tmp_path / "bench.usda"
    mod.build(out, 200)
    stage = Usd.Stage.Open(str(out))
    bodies = [p for p in stage.Traverse() if p.HasAPI(UsdPhysics.RigidBodyAPI)]
    assert len(bodies) == 200
    assert all(UsdPhysics.MassAPI(b).GetMassAttr().Get() > 0 for b in bodies)
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert any(p.IsA(UsdLux.DomeLight) for p in stage.Traverse())
    _check_no_interpenetration(stage)
    _check_bodies_rest_on_support(stage)
    mod.build(tmp_path / "again.usda", 200)
    assert (tmp_path / "again.usda").read_bytes() == out.read_bytes()
    av, engine = validator
    assert not [i for i in engine.validate(str(out)).issues()
                if i.severity in (av.IssueSeverity.FAILURE, av.IssueSeverity.ERROR)]
