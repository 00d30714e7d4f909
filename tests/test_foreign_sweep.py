"""Shapes found by the sweep of real public stages (docs/foreign_stages.md), each reduced to a stage built here:
a robot whose jointed links overlap (Newton's ant, cartpole), a light outside the default prim that is all a
variant touches (the ant), UsdPhysics' "not given" zeros (Kamino's box_on_plane), a stage with no defaultPrim
and no units (Newton's ant_multi, MuJoCo's recorded playback), and a visual prim with animated visibility.
Each goes through the user path (init, generate with the starter config, verify) and then `validate`."""

from __future__ import annotations

import json
from pathlib import Path

from pxr import Gf, Sdf, Usd, UsdGeom, UsdLux, UsdPhysics, UsdShade

from test_foreign_stages import user_path


def _validate(run_cli, *paths, expect=None) -> dict:
    res = run_cli("validate", *paths, "--format", "json", expect=expect)
    return json.loads(res.output[res.output.index("{"):res.output.rindex("}") + 1])


def _issues(report: dict, rule: str) -> list[tuple[str, str]]:
    """(file name, message) of every finding of `rule`."""
    return [(Path(f["file"]).name, i["message"]) for f in report["files"] for i in f["issues"] if i["rule"] == rule]


def _stage(path: Path, *, units: bool = True, default: str | None = "robot") -> Usd.Stage:
    stage = Usd.Stage.CreateNew(str(path))
    if units:
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
        UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    if default:
        stage.SetDefaultPrim(UsdGeom.Xform.Define(stage, f"/{default}").GetPrim())
    return stage


def _capsule(stage, path: str, translate, half: float = 0.2) -> None:
    body = UsdGeom.Xform.Define(stage, path)
    body.AddTranslateOp().Set(Gf.Vec3d(*translate))
    UsdPhysics.RigidBodyAPI.Apply(body.GetPrim())
    cap = UsdGeom.Capsule.Define(stage, f"{path}/geom")
    cap.CreateRadiusAttr(0.08)
    cap.CreateHeightAttr(2 * half)
    cap.CreateAxisAttr("X")
    UsdPhysics.CollisionAPI.Apply(cap.GetPrim())


def _robot(tmp_path: Path, *, collide: bool = False, filtered: bool = False) -> Path:
    """The ant's shape: a light outside the default prim, a robot whose torso and leg overlap where the hinge
    joins them, the base welded to the world (so layout has nothing to move and only the light varies)."""
    path = tmp_path / "robot.usda"
    stage = _stage(path)
    UsdPhysics.Scene.Define(stage, "/physicsScene")
    UsdLux.DistantLight.Define(stage, "/DistantLight").CreateIntensityAttr(500)
    UsdPhysics.ArticulationRootAPI.Apply(stage.GetPrimAtPath("/robot"))
    _capsule(stage, "/robot/torso", (0, 0, 0.5))
    _capsule(stage, "/robot/leg", (0.3, 0, 0.5))  # 0.1 into the torso's capsule, as MJCF limbs are
    weld = UsdPhysics.FixedJoint.Define(stage, "/robot/joints/root")
    weld.CreateBody1Rel().SetTargets(["/robot/torso"])
    hinge = UsdPhysics.RevoluteJoint.Define(stage, "/robot/joints/hip")
    hinge.CreateBody0Rel().SetTargets(["/robot/torso"])
    hinge.CreateBody1Rel().SetTargets(["/robot/leg"])
    hinge.CreateAxisAttr("Z")
    if collide:
        hinge.CreateCollisionEnabledAttr(True)
    if filtered:
        hinge.CreateJointEnabledAttr(False)  # the joint no longer filters; the filtered pair does
        UsdPhysics.FilteredPairsAPI.Apply(stage.GetPrimAtPath("/robot/torso")).CreateFilteredPairsRel().SetTargets(
            ["/robot/leg"])
    stage.Save()
    return path


def test_jointed_links_that_overlap_are_not_interpenetrating(tmp_path, run_cli):
    src = _robot(tmp_path)
    out = user_path(run_cli, src, tmp_path)
    report = _validate(run_cli, out, expect=0)
    assert not _issues(report, "no-interpenetration")


def test_jointed_links_still_overlap_when_their_joint_lets_them_collide_or_filters_nothing(tmp_path, run_cli):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    colliding = _robot(tmp_path / "a", collide=True)  # physics:collisionEnabled = 1: the engine collides them
    report = _validate(run_cli, colliding, expect=1)
    assert [m for _, m in _issues(report, "no-interpenetration")] == [
        "/robot/leg and /robot/torso (colliders /robot/leg/geom and /robot/torso/geom) interpenetrate by 0.16 "
        "stage units at time 0"]
    filtered = _robot(tmp_path / "b", filtered=True)  # a disabled joint filters nothing; the FilteredPairsAPI does
    assert not _issues(_validate(run_cli, filtered), "no-interpenetration")
    stage = Usd.Stage.Open(str(filtered))
    stage.GetPrimAtPath("/robot/torso").RemoveAPI(UsdPhysics.FilteredPairsAPI)
    stage.GetPrimAtPath("/robot/torso").RemoveProperty("physics:filteredPairs")
    stage.Save()
    assert len(_issues(_validate(run_cli, filtered, expect=1), "no-interpenetration")) == 1


def test_a_variant_touching_only_a_light_outside_the_default_prim_names_an_existing_default_prim(tmp_path, run_cli):
    out = user_path(run_cli, _robot(tmp_path), tmp_path)
    layer = Sdf.Layer.FindOrOpen(str(out / "train" / "train-00000.usdc"))
    assert layer.defaultPrim == "robot" and not layer.GetPrimAtPath("/robot")  # the delta has no spec for it
    report = _validate(run_cli, out, expect=0)
    assert not _issues(report, "default-prim")


def _boxes(tmp_path: Path) -> Path:
    """Kamino's box_on_plane: a default physics material with density 0 and mass 0 ("not given") bound to a
    box resting on a ground box, and a light; no defaultPrim and no units when asked."""
    path = tmp_path / "boxes.usda"
    stage = _stage(path, default="world")
    UsdPhysics.Scene.Define(stage, "/world/scene")
    mat = UsdShade.Material.Define(stage, "/world/Materials/Default")
    api = UsdPhysics.MaterialAPI.Apply(mat.GetPrim())
    api.CreateStaticFrictionAttr(0.7)
    api.CreateDynamicFrictionAttr(0.6)
    api.CreateDensityAttr(0.0)
    ground = UsdGeom.Cube.Define(stage, "/world/ground")
    ground.CreateSizeAttr(1.0)
    ground.AddTranslateOp().Set(Gf.Vec3d(0, 0, -0.05))
    ground.AddScaleOp().Set(Gf.Vec3f(10, 10, 0.1))
    box = UsdGeom.Cube.Define(stage, "/world/box")
    box.CreateSizeAttr(0.2)
    box.AddTranslateOp().Set(Gf.Vec3d(0, 0, 0.1))
    UsdPhysics.RigidBodyAPI.Apply(box.GetPrim())
    mass = UsdPhysics.MassAPI.Apply(box.GetPrim())
    mass.CreateMassAttr(0.0)
    mass.CreateCenterOfMassAttr(Gf.Vec3f(float("-inf")))
    for prim in (ground.GetPrim(), box.GetPrim()):
        UsdPhysics.CollisionAPI.Apply(prim)
        UsdShade.MaterialBindingAPI.Apply(prim).Bind(mat, materialPurpose="physics")
    UsdLux.SphereLight.Define(stage, "/world/bulb").CreateIntensityAttr(100)
    stage.Save()
    return path


def test_zero_mass_and_density_mean_not_given_and_pass(tmp_path, run_cli):
    out = user_path(run_cli, _boxes(tmp_path), tmp_path)
    values = json.loads((out / "train" / "train-00000.values.json").read_text())
    assert "/world/Materials/Default.physics:staticFriction" in values  # the variant touches the material
    report = _validate(run_cli, out, expect=0)
    assert not _issues(report, "mass-valid")


def _playback(tmp_path: Path) -> Path:
    """MuJoCo's USD export of a recording: no defaultPrim, no metersPerUnit, a visual mesh whose visibility is
    animated, no physics at all, one light."""
    path = tmp_path / "playback.usda"
    stage = _stage(path, units=False, default=None)
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    stage.SetStartTimeCode(0)
    stage.SetEndTimeCode(1)
    UsdLux.SphereLight.Define(stage, "/World/Light").CreateIntensityAttr(10000)
    box = UsdGeom.Xform.Define(stage, "/World/Mesh_Xform_box")
    vis = box.CreateVisibilityAttr()
    vis.Set(UsdGeom.Tokens.inherited, 0)
    vis.Set(UsdGeom.Tokens.invisible, 1)
    UsdGeom.Cube.Define(stage, "/World/Mesh_Xform_box/Mesh")
    stage.Save()
    return path


def test_what_the_source_lacks_is_reported_once_and_animated_visuals_are_no_event_bodies(tmp_path, run_cli):
    out = user_path(run_cli, _playback(tmp_path), tmp_path)
    report = _validate(run_cli, out, expect=1)
    assert not _issues(report, "events-parked")  # a visual prim, not a switched body
    # the source names no defaultPrim and no metersPerUnit: said once, of the source, not again per variant
    assert [f for f, _ in _issues(report, "units-authored") if "metersPerUnit" in _] == ["playback.usda"]
    assert [f for f, _ in _issues(report, "default-prim")] == ["playback.usda"]
    # a collider whose visibility is animated is still a switched body, visible at the default time
    stage = Usd.Stage.Open(str(tmp_path / "playback.usda"))
    UsdPhysics.CollisionAPI.Apply(stage.GetPrimAtPath("/World/Mesh_Xform_box/Mesh"))
    stage.Save()
    assert "/World/Mesh_Xform_box is visible at the default time" in [
        m for _, m in _issues(_validate(run_cli, tmp_path / "playback.usda"), "events-parked")]
