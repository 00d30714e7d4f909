"""Stages written by other tools (Isaac Sim importers, USD Composer, MJCF/URDF converters, usdz packagers),
each run through the real user path: `init`, then `generate` with the starter config unchanged, `verify`,
and the variants opened with USD to check they compose to their values files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdUtils


def user_path(run_cli, src: Path, tmp_path: Path, train: int = 4, holdout: int = 2) -> Path:
    """init -> generate (starter config unchanged) -> verify; returns OUT."""
    cfg = tmp_path / "starter.yaml"
    out = tmp_path / "out"
    run_cli("init", src, "-o", cfg)
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", train, "--holdout", holdout,
            "--seed-train", 1, "--seed-holdout", 2)
    run_cli("verify", out)
    return out


def _plain(v):
    if isinstance(v, (Gf.Quatf, Gf.Quatd)):
        return [v.GetReal(), *v.GetImaginary()]
    if hasattr(v, "__len__") and not isinstance(v, str):
        return [_plain(x) for x in v]
    return v


def _close(a, b) -> bool:
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    return a == b


def variants(out: Path) -> list:
    """(composed stage, values) of every variant; there is at least one."""
    files = sorted(out.glob("*/*.values.json"))
    assert files, f"no variants in {out}"
    return [(Usd.Stage.Open(str(vf.with_name(vf.name.replace(".values.json", ".usdc")))), json.loads(vf.read_text()))
            for vf in files]


def assert_composes(out: Path) -> None:
    """Every recorded static value is what the composed variant stage returns (and each variant records one)."""
    for stage, values in variants(out):
        static = {k: v for k, v in values.items() if not isinstance(v, dict)}  # dicts: time samples
        assert static, f"{stage.GetRootLayer().identifier} records no static value"
        for key, value in static.items():
            path, attr = key.rsplit(".", 1)
            prim = stage.GetPrimAtPath(path)
            assert prim, key
            if attr == "active":
                assert prim.IsActive() == value, key
            else:
                assert _close(_plain(prim.GetAttribute(attr).Get()), value), key


def world(stage: Usd.Stage, path: str) -> np.ndarray:
    m = UsdGeom.Xformable(stage.GetPrimAtPath(path)).ComputeLocalToWorldTransform(Usd.TimeCode.Default())
    return np.array(m, dtype=float)


# --------------------------------------------------------------------------------------------------
# packages


CART = """#usda 1.0
(
    defaultPrim = "Cart"
    metersPerUnit = 1
    upAxis = "Z"
)
def Xform "Cart" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "MjcBodyAPI"])
{
    def Cube "Shell" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"])
    {
        double size = 1
        rel material:binding:physics = </Cart/PhysMat>
        double3 xformOp:translate = (0, 0, 0.25)
        float3 xformOp:scale = (0.6, 0.4, 0.5)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def Material "PhysMat" (prepend apiSchemas = ["PhysicsMaterialAPI"])
    {
        float physics:staticFriction = 0.4
    }
}
"""

SITE = """#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Z"
)
def Xform "World"
{
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"])
    {
        double size = 1
        double3 xformOp:translate = (0, 0, -0.05)
        float3 xformOp:scale = (20, 20, 0.1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def "Cart1" (prepend references = @./assets/cart.usda@)
    {
        double3 xformOp:translate = (2, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def SphereLight "Bulb"
    {
        float inputs:intensity = 100
    }
}
"""


def test_usdz_package_with_layers_inside(tmp_path, run_cli):
    """A .usdz whose root references a layer inside the package: the package is copied whole (the copy
    used to try to open `scene.usdz[assets/cart.usda]` as a file and crashed with a traceback)."""
    (tmp_path / "pkg" / "assets").mkdir(parents=True)
    (tmp_path / "pkg" / "assets" / "cart.usda").write_text(CART)
    (tmp_path / "pkg" / "scene.usda").write_text(SITE)
    src = tmp_path / "scene.usdz"
    assert UsdUtils.CreateNewUsdzPackage(str(tmp_path / "pkg" / "scene.usda"), str(src))
    out = user_path(run_cli, src, tmp_path)
    m = json.loads((out / "manifest.json").read_text())
    assert [f["path"] for f in m["source"]["files"]] == ["source/scene.usdz"]
    assert_composes(out)
    _, values = variants(out)[0]
    assert "/World/Cart1/PhysMat.physics:staticFriction" in values


# --------------------------------------------------------------------------------------------------
# Isaac Sim: guide-purpose collision scopes, the guide ground plane


ISAAC_GUIDE = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Z"
)
def Xform "World"
{
    def Xform "GroundPlane"
    {
        def Mesh "CollisionMesh"
        {
            int[] faceVertexCounts = [4]
            int[] faceVertexIndices = [0, 1, 2, 3]
            point3f[] points = [(-10, -10, 0), (10, -10, 0), (10, 10, 0), (-10, 10, 0)]
            float3[] extent = [(-10, -10, 0), (10, 10, 0)]
        }
        def Plane "CollisionPlane" (prepend apiSchemas = ["PhysicsCollisionAPI"])
        {
            uniform token axis = "Z"
            uniform token purpose = "guide"
        }
    }
    def Xform "Shelf"
    {
        def Xform "collisions"
        {
            uniform token purpose = "guide"
            def Cube "box" (prepend apiSchemas = ["PhysicsCollisionAPI"])
            {
                double size = 1
                double3 xformOp:translate = (0, 0, 0.5)
                float3 xformOp:scale = (2, 2, 1)
                uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
            }
        }
    }
    def Cube "Crate" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysxRigidBodyAPI"])
    {
        double size = 0.4
        double3 xformOp:translate = (1.25, 0, 0.2)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
"""


def test_guide_purpose_colliders_are_obstacles(tmp_path, run_cli):
    """Isaac Sim's importers put collision meshes under a guide-purpose scope; PhysX collides with them.
    A crate 5 cm from such a shelf must never be moved into it (guide colliders used to be ignored)."""
    src = tmp_path / "isaac.usda"
    src.write_text(ISAAC_GUIDE)
    out = user_path(run_cli, src, tmp_path, train=6, holdout=3)
    assert_composes(out)
    moved = 0
    for stage, _ in variants(out):
        m = world(stage, "/World/Crate")
        corners = np.array([[x, y, z, 1.0] for x in (-.2, .2) for y in (-.2, .2) for z in (-.2, .2)]) @ m
        assert np.all(np.abs(corners[:, 0]) >= 1.0 - 1e-6) or np.all(np.abs(corners[:, 1]) >= 1.0 - 1e-6)
        moved += not np.allclose(m[3, :3], (1.25, 0, 0.2))
    assert moved



# --------------------------------------------------------------------------------------------------
# articulations and joints (URDF/MJCF importer style)

ROBOTS = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Z"
)
def Xform "World"
{
    def PhysicsScene "physicsScene" {}
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"])
    {
        double size = 1
        double3 xformOp:translate = (0, 0, -0.05)
        float3 xformOp:scale = (20, 20, 0.1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def Xform "jackal" (prepend apiSchemas = ["PhysicsArticulationRootAPI", "PhysxArticulationAPI"])
    {
        def Xform "base_link" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI", "MjcBodyAPI"])
        {
            double3 xformOp:translate = (0, 0, 0.2)
            quatd xformOp:orient = (1, 0, 0, 0)
            uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:orient"]
            def Cube "box" (prepend apiSchemas = ["PhysicsCollisionAPI"])
            {
                double size = 1
                float3 xformOp:scale = (0.5, 0.4, 0.2)
                uniform token[] xformOpOrder = ["xformOp:scale"]
            }
        }
        def Xform "left_wheel" (prepend apiSchemas = ["PhysicsRigidBodyAPI"])
        {
            double3 xformOp:translate = (0, 0.22, 0.1)
            uniform token[] xformOpOrder = ["xformOp:translate"]
            def Cylinder "collision" (prepend apiSchemas = ["PhysicsCollisionAPI"])
            {
                uniform token axis = "Y"
                double radius = 0.1
                double height = 0.06
            }
        }
        def Xform "right_wheel" (prepend apiSchemas = ["PhysicsRigidBodyAPI"])
        {
            double3 xformOp:translate = (0, -0.22, 0.1)
            uniform token[] xformOpOrder = ["xformOp:translate"]
            def Cylinder "collision" (prepend apiSchemas = ["PhysicsCollisionAPI"])
            {
                uniform token axis = "Y"
                double radius = 0.1
                double height = 0.06
            }
        }
        def Scope "joints"
        {
            def PhysicsRevoluteJoint "left_wheel_joint"
            {
                rel physics:body0 = </World/jackal/base_link>
                rel physics:body1 = </World/jackal/left_wheel>
                uniform token physics:axis = "Y"
                point3f physics:localPos0 = (0, 0.22, -0.1)
            }
            def PhysicsRevoluteJoint "right_wheel_joint"
            {
                rel physics:body0 = </World/jackal/base_link>
                rel physics:body1 = </World/jackal/right_wheel>
                uniform token physics:axis = "Y"
                point3f physics:localPos0 = (0, -0.22, -0.1)
            }
        }
    }
    def Xform "arm" (prepend apiSchemas = ["PhysicsArticulationRootAPI"])
    {
        double3 xformOp:translate = (2, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
        def Cube "link0" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
        {
            double size = 0.2
            double3 xformOp:translate = (0, 0, 0.1)
            uniform token[] xformOpOrder = ["xformOp:translate"]
        }
        def Cube "link1" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
        {
            double size = 0.2
            double3 xformOp:translate = (0, 0, 0.28)
            uniform token[] xformOpOrder = ["xformOp:translate"]
        }
        def PhysicsFixedJoint "root_joint"
        {
            rel physics:body1 = </World/arm/link0>
            point3f physics:localPos0 = (2, 0, 0)
            point3f physics:localPos1 = (0, 0, -0.1)
        }
        def PhysicsRevoluteJoint "j1"
        {
            rel physics:body0 = </World/arm/link0>
            rel physics:body1 = </World/arm/link1>
            uniform token physics:axis = "Z"
        }
    }
    def Cube "Cart" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 0.4
        double3 xformOp:translate = (-2, 0, 0.2)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def Cube "Lid" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 0.4
        double3 xformOp:translate = (-2, 0.4, 0.2)
        float3 xformOp:scale = (1, 0.1, 1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def NewtonHingeJoint "lid_hinge"
    {
        rel physics:body0 = </World/Cart>
        rel physics:body1 = </World/Lid>
    }
    def Cube "Door" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 0.4
        double3 xformOp:translate = (0, 2, 0.2)
        float3 xformOp:scale = (1, 0.1, 1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def PhysicsRevoluteJoint "door_hinge"
    {
        rel physics:body1 = </World/Door>
        point3f physics:localPos0 = (0.2, 2, 0.2)
        point3f physics:localPos1 = (0.5, 0, 0)
        uniform token physics:axis = "Z"
    }
    def Cube "Crate" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 0.4
        double3 xformOp:translate = (0, -2, 0.2)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
"""


def test_articulations_move_as_one_unit_and_anchored_ones_stay(tmp_path, run_cli):
    """A floating-base robot's links get one shared move (its wheels used to be moved away from its base,
    one by one); bodies jointed by a joint of an unknown schema move together; a fixed-base arm (root
    joint to the world) and a door hinged to the world stay put.  The wheels overlap the base in the
    source (as jointed links do), which verify does not count against the variant."""
    src = tmp_path / "robots.usda"
    src.write_text(ROBOTS)
    out = user_path(run_cli, src, tmp_path, train=6, holdout=3)
    assert_composes(out)
    m = json.loads((out / "manifest.json").read_text())
    prims = {p["prim"] for p in m["parameters"] if p["name"].split(".")[-1].startswith("layout:")}
    assert prims == {"/World/jackal/base_link", "/World/Cart", "/World/Crate"}
    source = Usd.Stage.Open(str(src))
    links = ["/World/jackal/base_link", "/World/jackal/left_wheel", "/World/jackal/right_wheel"]
    pairs = [links, ["/World/Cart", "/World/Lid"]]
    moved = set()
    for stage, values in variants(out):
        for group in pairs:
            d0 = np.linalg.inv(world(source, group[0])) @ world(stage, group[0])  # world move of the first
            for p in group[1:]:
                assert np.allclose(world(source, p) @ d0, world(stage, p), atol=1e-9), p
            moved |= {group[0]} if not np.allclose(d0, np.eye(4)) else set()
        for p in ("/World/arm/link0", "/World/arm/link1", "/World/Door"):
            assert np.array_equal(world(source, p), world(stage, p)), p
            assert not any(k.startswith(p + ".") for k in values), p
    assert moved == {"/World/jackal/base_link", "/World/Cart"}


# --------------------------------------------------------------------------------------------------
# USD Composer: centimetres, Y-up, legacy startFrame/endFrame, animation already in the source

COMPOSER = """#usda 1.0
(
    metersPerUnit = 0.01
    upAxis = "Y"
    startFrame = 10
    endFrame = 120
    framesPerSecond = 24
    timeCodesPerSecond = 24
)
def Xform "Root"
{
    def Mesh "Ground" (prepend apiSchemas = ["PhysicsCollisionAPI", "PhysicsMeshCollisionAPI", "MaterialBindingAPI"])
    {
        uniform token physics:approximation = "none"
        rel material:binding = </Root/Looks/Concrete>
        int[] faceVertexCounts = [4]
        int[] faceVertexIndices = [0, 1, 2, 3]
        point3f[] points = [(-1000, 0, -1000), (1000, 0, -1000), (1000, 0, 1000), (-1000, 0, 1000)]
        float3[] extent = [(-1000, 0, -1000), (1000, 0, 1000)]
    }
    def Scope "Looks"
    {
        def Material "Concrete" (prepend apiSchemas = ["PhysicsMaterialAPI"])
        {
            float physics:staticFriction = 0.7
        }
    }
    def Cube "Animated" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 40
        double3 xformOp:translate.timeSamples = {10: (-200, 20, 0), 60: (-200, 20, 200)}
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def Cube "Still" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 40
        double3 xformOp:translate = (0, 20, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def SphereLight "Bulb"
    {
        float intensity = 30000
        double3 xformOp:translate = (0, 250, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
"""


def test_time_sampled_body_is_placed_from_its_pose_at_the_start(tmp_path, run_cli):
    """A body whose transform exists only as time samples has no default value: read at Default time it
    sat at the origin, inside the ground and the other box, and the starter config was refused
    ('too crowded ... overlaps /Root/Ground').  Layout reads every pose at the stage's start time."""
    src = tmp_path / "composer.usda"
    src.write_text(COMPOSER)
    out = user_path(run_cli, src, tmp_path)
    assert_composes(out)
    for stage, _ in variants(out):
        assert (stage.GetStartTimeCode(), stage.GetEndTimeCode()) == (10, 120)
        t = world(stage, "/Root/Animated")[3, :3]  # the written pose is static: the same at every time
        assert abs(t[0] + 200) <= 30 * math.sqrt(2) + 1e-6 and abs(t[2]) <= 30 * math.sqrt(2) + 1e-6
        assert t[1] == 20


def test_body_sunk_into_the_ground_keeps_its_sink_and_moves(tmp_path, run_cli):
    """A box 1 mm into the ground (as authoring tools and settled simulations leave it) overlapped the ground
    at every candidate pose and at its original one, so the starter config was refused. It keeps the overlap
    its source has (never deeper), stands on the ground it sinks into, and moves."""
    src = tmp_path / "composer.usda"
    src.write_text(COMPOSER.replace("double3 xformOp:translate = (0, 20, 0)",
                                    "double3 xformOp:translate = (0, 19.9, 0)"))
    out = user_path(run_cli, src, tmp_path)
    assert_composes(out)
    moved = 0
    for stage, _ in variants(out):
        assert math.isclose(world(stage, "/Root/Still")[3, 1], 19.9, abs_tol=1e-9)  # as deep as in the source
        moved += not math.isclose(world(stage, "/Root/Still")[3, 0], 0.0, abs_tol=1e-9)
    assert moved
    # validate names the sink once, on the source, and does not blame every variant for it
    assert "interpenetrate" in run_cli("validate", src, expect=1).output
    report = run_cli("validate", out, "--rules", "no-interpenetration", "--format", "json", expect=1).output
    blamed = [f["file"] for f in json.loads(report)["files"] for _ in f["issues"]]
    assert len(blamed) == 1 and "/source/" in blamed[0]


# --------------------------------------------------------------------------------------------------
# MJCF converter: a Plane as the ground, nested jointed bodies, MuJoCo applied schemas

MJCF = """#usda 1.0
(
    metersPerUnit = 0.01
    upAxis = "Y"
    defaultPrim = "ant"
)
def Xform "ant"
{
    def Plane "floor" (prepend apiSchemas = ["PhysicsCollisionAPI", "MjcCollisionAPI"])
    {
        uniform token axis = "Y"
    }
    def Xform "torso" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsArticulationRootAPI", "MjcBodyAPI"])
    {
        double3 xformOp:translate = (0, 75, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
        def Sphere "geom" (prepend apiSchemas = ["PhysicsCollisionAPI", "MjcCollisionAPI"])
        {
            double radius = 25
        }
        def Xform "leg" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "MjcBodyAPI"])
        {
            double3 xformOp:translate = (30, -20, 0)
            uniform token[] xformOpOrder = ["xformOp:translate"]
            def Capsule "geom" (prepend apiSchemas = ["PhysicsCollisionAPI"])
            {
                double radius = 8
                double height = 40
                uniform token axis = "Y"
            }
            def PhysicsRevoluteJoint "hip" (prepend apiSchemas = ["MjcJointAPI"])
            {
                rel physics:body0 = </ant/torso>
                rel physics:body1 = </ant/torso/leg>
                uniform token physics:axis = "Z"
            }
        }
    }
}
"""


def test_plane_ground_does_not_pin_bodies_to_the_drawn_bounds(tmp_path, run_cli):
    """A Plane collider is an infinite ground, but its drawn extent is 2 x 2 units: the default bounds (the
    stage's drawn bounds) hugged the robot, so it could never move and every variant repeated the
    source (generate failed: 'no acceptable draw ... nearest train vector at linf distance 0')."""
    src = tmp_path / "ant.usda"
    src.write_text(MJCF)
    out = user_path(run_cli, src, tmp_path)
    assert_composes(out)
    source = Usd.Stage.Open(str(src))
    leg = world(source, "/ant/torso/leg") @ np.linalg.inv(world(source, "/ant/torso"))  # local, row convention
    for stage, values in variants(out):
        assert "/ant/torso.xformOp:transform" in values
        assert np.allclose(leg @ world(stage, "/ant/torso"), world(stage, "/ant/torso/leg"))


def test_init_on_a_stage_whose_only_bodies_are_a_fixed_base_robot(tmp_path, run_cli):
    """Every body of a fixed-base arm is anchored, so layout has nothing to move: init used to write a layout
    block anyway, which generate refused ('none of the 2 matched bodies has a collider to place')."""
    jackal, arm, cart = (ROBOTS.index(f'    def {k}') for k in ('Xform "jackal"', 'Xform "arm"', 'Cube "Cart"'))
    light = '    def SphereLight "Bulb"\n    {\n        float inputs:intensity = 100\n    }\n}\n'
    src = tmp_path / "arm.usda"
    src.write_text(ROBOTS[:jackal] + ROBOTS[arm:cart] + light)
    out = user_path(run_cli, src, tmp_path)
    assert "layout:" not in (tmp_path / "starter.yaml").read_text()
    assert_composes(out)
