"""A body's centre of mass where the stage puts it (UsdPhysics.MassAPI), as physics engines read it: layout
keeps that point over what the body rests on, not its colliders' centroid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from twinsplit.geometry.batch import ShapeSet
from twinsplit.geometry.resting import Footings, Tops, footing, supported
from twinsplit.geometry.support import overlap_tolerance
from twinsplit.scene.discover import load
from twinsplit.scene.mass import centres_of_mass
from twinsplit.scene.shapes import scene_shapes

PLANK = "/World/Plank"


def plank_on_pedestal(path: Path, com: tuple | None, mpu: float = 1.0) -> Path:
    """A 2 m plank (a scaled cube, 10 kg) lying centred on a 0.4 m pedestal; `com`: its authored
    physics:centerOfMass in the cube's local (scaled) space."""
    s = 1.0 / mpu
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, "Z")
    UsdGeom.SetStageMetersPerUnit(stage, mpu)
    stage.SetDefaultPrim(UsdGeom.Xform.Define(stage, "/World").GetPrim())
    UsdPhysics.Scene.Define(stage, "/World/Physics")
    for prim_path, size, pos in (("/World/Floor", (10, 10, 0.2), (0, 0, -0.1)),
                                 ("/World/Pedestal", (0.4, 0.4, 0.5), (0, 0, 0.25)),
                                 (PLANK, (2.0, 0.2, 0.1), (0, 0, 0.55))):
        cube = UsdGeom.Cube.Define(stage, prim_path)
        cube.CreateSizeAttr(1.0)
        cube.AddTranslateOp().Set(Gf.Vec3d(*[v * s for v in pos]))
        cube.AddScaleOp().Set(Gf.Vec3f(*[v * s for v in size]))
        UsdPhysics.CollisionAPI.Apply(cube.GetPrim())
    prim = stage.GetPrimAtPath(PLANK)
    UsdPhysics.RigidBodyAPI.Apply(prim)
    mass = UsdPhysics.MassAPI.Apply(prim)
    mass.CreateMassAttr(10.0)
    if com is not None:
        mass.CreateCenterOfMassAttr(Gf.Vec3f(*com))
    stage.GetRootLayer().Save()
    return path


def plank_rests(path: Path) -> bool:
    """twinsplit's verdict: does the plank rest on the pedestal at the start?"""
    _, scene = load(path)
    shapes = scene_shapes(scene)
    own = [s for s in shapes if s.body == PLANK]
    static = ShapeSet.of([s for s in shapes if not s.dynamic])
    up, plane, tol = 2, (0, 1), overlap_tolerance(scene.meters_per_unit)
    feet = Footings.of([footing(own, up, plane, tol, centres_of_mass(scene).get(PLANK))])
    return bool(supported(feet, np.eye(4)[None], Tops.of(static, up, plane), up, plane, tol, np.zeros(1))[0])


@pytest.mark.parametrize("mpu", [1.0, 0.01])
def test_authored_centre_of_mass_in_world_space(tmp_path, mpu):
    """Body-local, scale included (local x 0.15 of a 2 m cube is 0.3 m along it), in stage units."""
    _, scene = load(plank_on_pedestal(tmp_path / "a.usda", (0.15, 0.0, 0.0), mpu))
    assert np.allclose(centres_of_mass(scene)[PLANK] * mpu, [0.3, 0.0, 0.55], atol=1e-6)
    _, plain = load(plank_on_pedestal(tmp_path / "b.usda", None, mpu))
    assert centres_of_mass(plain) == {}  # no centre given: the colliders' centroid stands


def test_collider_masses_weight_the_centre(tmp_path):
    stage = Usd.Stage.CreateNew(str(tmp_path / "two.usda"))
    UsdGeom.SetStageUpAxis(stage, "Y")
    body = UsdGeom.Xform.Define(stage, "/Body")
    body.AddTranslateOp().Set(Gf.Vec3d(5, 0, 0))
    UsdPhysics.RigidBodyAPI.Apply(body.GetPrim())
    for name, x, m in (("A", -1.0, 1.0), ("B", 1.0, 3.0)):
        cube = UsdGeom.Cube.Define(stage, f"/Body/{name}")
        cube.AddTranslateOp().Set(Gf.Vec3d(x, 0, 0))
        UsdPhysics.CollisionAPI.Apply(cube.GetPrim())
        UsdPhysics.MassAPI.Apply(cube.GetPrim()).CreateMassAttr(m)
    stage.GetRootLayer().Save()
    _, scene = load(tmp_path / "two.usda")
    assert np.allclose(centres_of_mass(scene)["/Body"], [5.5, 0.0, 0.0])  # (1 * 4 + 3 * 6) / 4


@pytest.mark.parametrize(("com", "rests"), [((0.07, 0, 0), True), ((0.15, 0, 0), False), (None, True)])
def test_support_verdict_follows_the_centre_of_mass(tmp_path, com, rests):
    """0.07 local is 0.14 m along: over the 0.4 m pedestal; 0.15 is 0.3 m: past its edge, the plank tips."""
    assert plank_rests(plank_on_pedestal(tmp_path / "p.usda", com)) is rests


def test_newton_agrees_on_where_the_plank_tips(tmp_path, run_cli):
    """The independent reviewer: Newton steps both stages; the one twinsplit calls unsupported is the one that
    moves."""
    pytest.importorskip("newton")
    paths = [plank_on_pedestal(tmp_path / f"{k}.usda", com) for k, com in (("rests", (0.07, 0, 0)),
                                                                          ("tips", (0.15, 0, 0)))]
    for path in paths:
        run = run_cli("simcheck", path, expect=None)
        moved = "/World/Plank rested at the start but moved" in run.output
        assert (run.exit_code, moved) == ((0, False) if plank_rests(path) else (1, True)), run.output


def test_layout_keeps_the_centre_of_mass_over_the_pedestal(tmp_path, run_cli):
    """Offsets up to 0.3 m: with the centre 0.14 m along the plank, a centroid over the pedestal is not enough.
    Read back from each written variant with pxr: the plank's world centre of mass stays over the 0.4 m top."""
    src = plank_on_pedestal(tmp_path / "src.usda", (0.07, 0, 0), mpu=0.01)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("randomize:\n  layout:\n"
                   "    offset: {distribution: uniform, low: -0.3, high: 0.3}\n"
                   "    yaw: {distribution: uniform, low: -20, high: 20}\n    max_tries: 50\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 8, "--holdout", 4, "--seed-train", 1,
            "--seed-holdout", 2)
    run_cli("verify", out)
    moved = 0
    for variant in sorted(out.glob("*/*-*.usd*")):
        stage = Usd.Stage.Open(str(variant))
        prim = stage.GetPrimAtPath(PLANK)
        world = UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(Usd.TimeCode.Default())
        com = np.array(world.Transform(Gf.Vec3d(0.07, 0, 0))) * 0.01
        assert max(abs(com[0]), abs(com[1])) <= 0.2 + 1e-4, f"{variant.name}: centre of mass at {com} m"
        moved += not np.allclose(np.array(world.ExtractTranslation()) * 0.01, [0, 0, 0.55], atol=1e-6)
    assert moved >= 6  # the layout did move the plank in most of the 12 variants
