"""Each rule on one tiny broken .usda: the right rule fires, naming the prim (and attribute)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinsplit.cli import main

HEAD = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    kilogramsPerUnit = 1
    upAxis = "Z"
{extra}
)
"""

# A stage every rule accepts: units, a physics scene, one dynamic box with mass resting on a static floor,
# bound to a physics material through the physics purpose, and a light.
CLEAN = HEAD.format(extra="") + """
def Xform "World"
{
    def PhysicsScene "PhysicsScene" {}
    def Material "Rubber" (prepend apiSchemas = ["PhysicsMaterialAPI"])
    {
        float physics:staticFriction = 0.9
        float physics:dynamicFriction = 0.8
        float physics:restitution = 0.2
        float physics:density = 1100
    }
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"])
    {
        double size = 1
        rel material:binding:physics = </World/Rubber>
        double3 xformOp:translate = (0, 0, -0.5)
        float3 xformOp:scale = (10, 10, 1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def Cube "Box" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI", "MaterialBindingAPI"])
    {
        double size = 1
        float physics:mass = 2
        rel material:binding = </World/Rubber>
        double3 xformOp:translate = (0, 0, 0.5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def SphereLight "Lamp"
    {
        float inputs:intensity = 500
        float inputs:exposure = 1
    }
}
"""  # noqa: E501


def stage(tmp_path: Path, body: str, name: str = "s.usda", extra: str = "", head: str | None = None) -> Path:
    p = tmp_path / name
    p.write_text((HEAD.format(extra=extra) if head is None else head) + textwrap.dedent(body))
    return p


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["validate", "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def found(report: dict, rule: str) -> list[dict]:
    return [i for f in report["files"] for i in f["issues"] if i["rule"] == rule]


def test_clean_stage_passes_every_rule(tmp_path):
    p = tmp_path / "clean.usda"
    p.write_text(CLEAN)
    code, report = run(str(p))
    issues = report["files"][0]["issues"]
    assert issues == [], issues
    assert code == 0
    ran = {r["id"] for r in report["files"][0]["rules"] if r["status"] == "ran"}
    assert {"units-authored", "no-interpenetration", "nvidia:MassChecker"} <= ran


def test_units_authored(tmp_path):
    head = '#usda 1.0\n(\n    defaultPrim = "World"\n)\n'
    p = stage(tmp_path, 'def Xform "World" {}\n', head=head)
    code, report = run("--rules", "units-authored", str(p))
    by_msg = {i["message"]: i["severity"] for i in found(report, "units-authored")}
    assert by_msg == {
        "metersPerUnit is not authored on the root layer": "error",
        "upAxis is not authored on the root layer": "error",
        "kilogramsPerUnit is not authored on the root layer": "warning",
    }
    assert code == 1


def test_physics_scene_missing_is_an_error_when_there_are_colliders(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Cube "Box" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {}
        }
        """)
    code, report = run("--rules", "physics-scene", str(p))
    [issue] = found(report, "physics-scene")
    assert issue["severity"] == "error" and "UsdPhysics.Scene" in issue["message"]
    assert code == 1


def test_collider_material(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Material "Visual" {}
            def Material "Steel" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {}
            def Cube "Bare" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {}
            def Cube "Painted" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]) {
                rel material:binding:physics = </World/Visual>
            }
            def Cube "AllPurpose" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]) {
                rel material:binding = </World/Steel>
            }
            def Xform "Group" (prepend apiSchemas = ["MaterialBindingAPI"]) {
                rel material:binding:physics = </World/Steel>
                def Cube "Inherits" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {}
            }
        }
        """)
    code, report = run("--rules", "collider-material", str(p))
    issues = {i["at"]: i for i in found(report, "collider-material")}
    assert set(issues) == {"/World/Bare", "/World/Painted"}  # all-purpose and inherited bindings count
    assert "no physics material" in issues["/World/Bare"]["message"]
    assert "/World/Visual" in issues["/World/Painted"]["message"]
    assert all(i["severity"] == "warning" for i in issues.values())
    assert code == 0  # warnings only ...
    code, _ = run("--strict", "--rules", "collider-material", str(p))
    assert code == 1  # ... unless --strict


def test_collider_material_names_the_binding_that_resolved(tmp_path):
    """The finding's attribute is the relationship that bound the material: the all-purpose one, or none on the
    collider when it inherits the binding (the message then names the ancestor's relationship)."""
    p = stage(tmp_path, """
        def Xform "World" {
            def Material "Visual" {}
            def Cube "AllPurpose" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]) {
                rel material:binding = </World/Visual>
            }
            def Xform "Group" (prepend apiSchemas = ["MaterialBindingAPI"]) {
                rel material:binding:physics = </World/Visual>
                def Cube "Inherits" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {}
            }
        }
        """)
    _, report = run("--rules", "collider-material", str(p))
    issues = {i["at"]: i for i in found(report, "collider-material")}
    assert issues["/World/AllPurpose"]["attribute"] == "material:binding"
    assert issues["/World/Group/Inherits"]["attribute"] is None
    assert "/World/Group.material:binding:physics" in issues["/World/Group/Inherits"]["message"]


def test_mass_valid(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Cube "Box" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI"]) {
                float physics:mass = -1
                float physics:density = inf
            }
            def Cube "Ok" (prepend apiSchemas = ["PhysicsMassAPI"]) {
                float physics:mass = 3
            }
            def Material "Foam" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {
                float physics:density = -5
            }
            def Material "Unset" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {
                float physics:density = 0
            }
            def Cube "Exported" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI"]) {
                float physics:mass = 0
                float physics:density = 0
                point3f physics:centerOfMass = (-inf, -inf, -inf)
                float3 physics:diagonalInertia = (0, 0, 0)
            }
            def Cube "HalfCom" (prepend apiSchemas = ["PhysicsMassAPI"]) {
                point3f physics:centerOfMass = (0, -inf, 0)
            }
        }
        """)
    code, report = run("--rules", "mass-valid", str(p))
    got = {(i["at"], i["attribute"]) for i in found(report, "mass-valid")}
    # 0 is UsdPhysics' "not given" for mass and density (Newton's and Kamino's exporters author it), and so is a
    # centre of mass of all -inf: neither is an error; a partly infinite centre of mass is
    assert got == {("/World/Box", "physics:mass"), ("/World/Box", "physics:density"),
                   ("/World/Foam", "physics:density"), ("/World/HalfCom", "physics:centerOfMass")}
    assert code == 1


def test_material_bounds(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Material "Ice" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {
                float physics:staticFriction = -0.1
                float physics:restitution = 1.5
            }
            def Material "Grippy" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {
                float physics:staticFriction = 1.8
                float physics:dynamicFriction = 1.7
            }
            def Material "Odd" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {
                float physics:staticFriction = 0.3
                float physics:dynamicFriction = 0.5
            }
        }
        """)
    code, report = run("--rules", "material-bounds", str(p))
    got = {(i["at"], i["attribute"], i["severity"]) for i in found(report, "material-bounds")}
    assert got == {
        ("/World/Ice", "physics:staticFriction", "error"),
        ("/World/Ice", "physics:restitution", "error"),
        ("/World/Grippy", "physics:staticFriction", "warning"),
        ("/World/Grippy", "physics:dynamicFriction", "warning"),
        ("/World/Odd", "physics:dynamicFriction", "warning"),
    }
    assert code == 1


def test_xform_finite(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Xform "A" {
                double3 xformOp:translate = (nan, 0, 0)
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }
            def Xform "B" {
                float3 xformOp:scale.timeSamples = { 0: (1, 1, 1), 5: (inf, 1, 1) }
                uniform token[] xformOpOrder = ["xformOp:scale"]
            }
            def Xform "Huge" {
                double3 xformOp:scale = (1e300, 1, 1)
                uniform token[] xformOpOrder = ["xformOp:scale"]
                def Xform "Child" {
                    double3 xformOp:scale = (1e300, 1, 1)
                    uniform token[] xformOpOrder = ["xformOp:scale"]
                }
            }
        }
        """)
    code, report = run("--rules", "xform-finite", str(p))
    issues = {i["at"]: i for i in found(report, "xform-finite")}
    assert set(issues) == {"/World/A", "/World/B", "/World/Huge/Child"}
    assert issues["/World/A"]["attribute"] == "xformOp:translate"
    assert "at time 5" in issues["/World/B"]["message"]
    assert "local-to-world" in issues["/World/Huge/Child"]["message"]  # overflow only in the product
    assert code == 1


def test_no_interpenetration_names_the_pair_and_depth(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
                double size = 1
            }
            def Cube "B" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
                double size = 1
                double3 xformOp:translate = (0.75, 0, 0)
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }
        }
        """)
    code, report = run("--rules", "no-interpenetration", str(p))
    [issue] = found(report, "no-interpenetration")
    assert issue["at"] == "/World/A" and "/World/B" in issue["message"]
    assert "0.25" in issue["message"]
    assert code == 1


def test_no_interpenetration_tolerance_is_physical_in_centimetre_stages(tmp_path):
    # 0.005 cm = 0.05 mm of overlap: below the 0.1 mm tolerance, although far above 1e-4 stage units.
    head = HEAD.replace("metersPerUnit = 1", "metersPerUnit = 0.01").format(extra="")
    p = stage(tmp_path, """
        def Xform "World" {
            def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
                double size = 10
            }
            def Cube "B" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
                double size = 10
                double3 xformOp:translate = (9.995, 0, 0)
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }
        }
        """, head=head)
    code, report = run("--rules", "no-interpenetration", str(p))
    assert found(report, "no-interpenetration") == [] and code == 0


def test_light_intensity(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def SphereLight "Dark" {
                float inputs:intensity = -5
            }
            def DistantLight "Flicker" {
                float inputs:intensity.timeSamples = { 0: 100, 10: nan }
                float inputs:exposure = inf
            }
        }
        """)
    code, report = run("--rules", "light-intensity", str(p))
    got = {(i["at"], i["attribute"]) for i in found(report, "light-intensity")}
    assert got == {("/World/Dark", "inputs:intensity"), ("/World/Flicker", "inputs:intensity"),
                   ("/World/Flicker", "inputs:exposure")}
    assert code == 1


def test_time_samples_in_range(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Xform "Person" {
                double3 xformOp:translate.timeSamples = { 0: (0, 0, 0), 700: (5, 0, 0) }
                uniform token[] xformOpOrder = ["xformOp:translate"]
                custom token twinsplit:zone:access.timeSamples = { 10: "open", 20: "restricted" }
            }
        }
        """, extra="    startTimeCode = 0\n    endTimeCode = 600")
    code, report = run("--rules", "time-samples-in-range", str(p))
    [issue] = found(report, "time-samples-in-range")
    assert (issue["at"], issue["attribute"]) == ("/World/Person", "xformOp:translate")
    assert "700" in issue["message"]
    assert code == 1


def test_time_sampled_stage_without_range_is_a_warning(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            custom bool twinsplit:alarm:active.timeSamples = { 0: 0, 30: 1 }
        }
        """)
    code, report = run("--rules", "time-samples-in-range", str(p))
    [issue] = found(report, "time-samples-in-range")
    assert issue["severity"] == "warning" and "/World.twinsplit:alarm:active" in issue["message"]
    assert code == 0


def test_config_selectors(tmp_path):
    p = tmp_path / "clean.usda"
    p.write_text(CLEAN)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(textwrap.dedent("""
        version: 1
        randomize:
          lighting:
            - match: {paths: ["/World/NoSuchLight*"]}
              intensity: {low: 100, high: 200}
            - match: {paths: ["/World/Lamp"]}
              intensity: {low: 100, high: 200}
        """))
    code, report = run("--rules", "config-selectors", "--config", str(cfg), str(p))
    [issue] = found(report, "config-selectors")
    assert "lighting[0]" in issue["message"] and issue["severity"] == "error"
    assert code == 1
    # without --config the rule does not apply: reported as skipped, never as passed
    code, report = run("--rules", "config-selectors", str(p))
    assert report["files"][0]["rules"] == [{"id": "config-selectors", "status": "skipped"}] and code == 0


@pytest.mark.parametrize(
    ("rule", "body", "at"),
    [
        ("nvidia:MissingReferenceChecker",
         'def Xform "World" {\n def Xform "Ref" (prepend references = @gone.usda@) {}\n}',
         "/World/Ref"),
        ("nvidia:MassChecker", 'def Xform "World" {\n def Cube "Box" (prepend apiSchemas = ["PhysicsRigidBodyAPI", '
                               '"PhysicsCollisionAPI", "PhysicsMassAPI"]) {\n float physics:mass = -1\n }\n}',
         "/World/Box"),
    ],
)
def test_nvidia_adapter_maps_issues(tmp_path, rule, body, at):
    p = stage(tmp_path, body)
    code, report = run("--rules", rule, str(p))
    issues = found(report, rule)
    assert issues and issues[0]["at"] == at and issues[0]["severity"] == "error"
    assert {i["rule"] for f in report["files"] for i in f["issues"]} == {rule}  # only the selected checker
    assert code == 1


def test_nvidia_stage_metadata_missing_default_prim_is_a_warning(tmp_path):
    p = stage(tmp_path, 'def Xform "World" {}\n', head=HEAD.replace('    defaultPrim = "World"\n', "").format(extra=""))
    code, report = run("--rules", "nvidia:StageMetadataChecker", str(p))
    [issue] = found(report, "nvidia:StageMetadataChecker")
    assert issue["severity"] == "warning" and "defaultPrim" in issue["message"] and code == 0


def test_unknown_schemas_and_centimetres_validate_without_crashing(tmp_path):
    head = HEAD.replace("metersPerUnit = 1", "metersPerUnit = 0.01").replace('upAxis = "Z"', 'upAxis = "Y"')
    p = stage(tmp_path, """
        def Xform "World" (prepend apiSchemas = ["PhysxSceneAPI"]) {
            def PhysicsScene "Scene" (prepend apiSchemas = ["PhysxSceneAPI", "NewtonSceneAPI"]) {}
            def Material "M" (prepend apiSchemas = ["PhysicsMaterialAPI", "PhysxMaterialAPI"]) {
                float physics:staticFriction = 0.5
            }
            def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
                double size = 1
                double3 xformOp:translate = (0, 37.5, 0)
                float3 xformOp:scale = (1000, 75, 1000)
                uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
            }
            def Cube "Box" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysxRigidBodyAPI", "NewtonRigidBodyAPI",
                                                  "MjcBodyAPI", "PhysicsCollisionAPI", "PhysxCollisionAPI",
                                                  "PhysicsMassAPI", "MaterialBindingAPI"]) {
                double size = 50
                float physics:mass = 4
                float physxRigidBody:linearDamping = 0.1
                rel material:binding:physics = </World/M>
                double3 xformOp:translate = (0, 100, 0)
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }
        }
        """, head=head.format(extra=""))
    code, report = run(str(p))
    severities = {i["severity"] for f in report["files"] for i in f["issues"]}
    assert "crash" not in severities and "error" not in severities, report
    assert code == 0


@pytest.mark.parametrize(("z", "caught"), [(0.25, False), (0.24, True)])
def test_wheel_resting_on_floor_is_not_an_overlap_but_a_sunk_one_is(tmp_path, z, caught):
    # Cylinders are tested as inscribed prisms (as verify and layout do); exact resting contact is not an overlap.
    p = stage(tmp_path, f"""
        def Xform "World" {{
            def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {{
                double size = 1
                double3 xformOp:translate = (0, 0, -0.5)
                float3 xformOp:scale = (10, 10, 1)
                uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
            }}
            def Cylinder "Wheel" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {{
                uniform token axis = "Y"
                double radius = 0.25
                double height = 0.2
                double3 xformOp:translate = (0, 0, {z})
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }}
        }}
        """)
    code, report = run("--rules", "no-interpenetration", str(p))
    issues = found(report, "no-interpenetration")
    assert bool(issues) is caught and code == int(caught)
    if caught:
        assert "/World/Wheel" in issues[0]["message"] and "/World/Floor" in issues[0]["message"]


def test_physics_targets_name_each_dangling_physics_relationship(tmp_path):
    p = stage(tmp_path, """
        def PhysicsScene "Scene" {}
        def Xform "World" {
            def Cube "Plate" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {}
            def Cube "Box" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {}
            def PhysicsCollisionGroup "Boxes" {
                rel physics:filteredGroups = [</World/Gone>, </World/Boxes>]
            }
            def PhysicsRevoluteJoint "Hinge" {
                rel physics:body0 = </World/Box>
                rel physics:body1 = </World/Arm>
            }
            def PhysicsFixedJoint "Weld" {
                rel physics:body0 = </World/Box>
                rel physics:body1 = </World/Plate>
            }
        }
        """)
    code, report = run("--rules", "physics-targets", str(p))
    got = {(i["at"], i["attribute"], i["message"].split(" targets ")[1].split(",")[0])
           for i in found(report, "physics-targets")}
    assert got == {("/World/Boxes", "physics:filteredGroups", "/World/Gone"),
                   ("/World/Hinge", "physics:body1", "/World/Arm")}
    assert code == 1


def test_physics_targets_catches_newtons_box_on_plane():
    # a real stage (Newton's Kamino assets) whose collision group names a group of the file it was copied from:
    # pxr's collision group table then turns collisions off inside the group and the box falls through its plate
    newton = pytest.importorskip("newton")
    p = Path(newton.__file__).parent / "tests/assets/kamino/basics/box_on_plane.usda"
    if not p.exists():
        pytest.skip(f"{p} is not in this newton build")
    code, report = run("--rules", "physics-targets", str(p))
    [issue] = found(report, "physics-targets")
    assert (issue["at"], issue["attribute"]) == ("/box_on_plane/Collisions", "physics:filteredGroups")
    assert "/boxes_hinged/Collisions" in issue["message"] and code == 1
