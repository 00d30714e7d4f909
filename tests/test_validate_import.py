"""The rules for a reference-based import (Isaac Lab spawns a file by a reference without a prim path, read at the
default time) and for a simulation's first steps (rules_import.py, rules_sim.py), each on a tiny real stage."""

from __future__ import annotations

from test_validate_rules import CLEAN, found, run, stage

LAMP_AND_LOOKS = """
def Xform "World" {
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
        double size = 1
    }
}
def Xform "Lights" {
    def SphereLight "Sun" {
        float inputs:intensity = 500
    }
}
def Scope "Looks" {
    def Material "Paint" {}
}
def Xform "Empty" {}
"""


def test_default_prim_missing_or_dangling(tmp_path):
    head = '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Z"\n{extra}\n)\n'
    none = stage(tmp_path, 'def Xform "World" {}\n', name="none.usda", head=head.format(extra=""))
    dangling = stage(tmp_path, 'def Xform "World" {}\n', name="dangling.usda",
                     head=head.format(extra='    defaultPrim = "Site"'))
    code, report = run("--rules", "default-prim", str(none), str(dangling))
    [a], [b] = ([i for i in f["issues"]] for f in report["files"])
    assert a["severity"] == "warning" and "names no defaultPrim" in a["message"] and 'defaultPrim = "World"' in \
        a["suggestion"]
    assert "'Site' is not a prim of the stage" in b["message"]
    assert code == 0  # warnings; --strict fails them
    assert run("--strict", "--rules", "default-prim", str(none))[0] == 1
    clean = tmp_path / "clean.usda"
    clean.write_text(CLEAN)
    assert not found(run("--rules", "default-prim", str(clean))[1], "default-prim")


def test_prims_outside_the_default_prim_are_named_with_what_they_hold(tmp_path):
    p = stage(tmp_path, LAMP_AND_LOOKS)
    _, report = run("--rules", "outside-default-prim", str(p))
    by_prim = {i["at"]: i["message"] for i in found(report, "outside-default-prim")}
    assert set(by_prim) == {"/Lights", "/Looks"}  # an empty Xform holds nothing a reference would lose
    assert "(1 lights) lies outside the default prim /World" in by_prim["/Lights"]
    assert "(1 materials)" in by_prim["/Looks"]


def test_time_samples_without_a_default(tmp_path):
    p = stage(tmp_path, """
        def Xform "World" {
            def Cube "Cart" {
                double3 xformOp:translate.timeSamples = { 0: (1, 0, 0), 10: (2, 0, 0) }
                uniform token[] xformOpOrder = ["xformOp:translate"]
                token visibility = "invisible"
                token visibility.timeSamples = { 0: "invisible", 5: "inherited" }
            }
        }
        """)
    _, report = run("--rules", "time-sampled-default", str(p))
    [issue] = found(report, "time-sampled-default")
    assert (issue["at"], issue["attribute"], issue["severity"]) == ("/World/Cart", "xformOp:translate", "warning")
    assert "no default value" in issue["message"]


BODY = """
        def Xform "World" {{
            def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {{
                double size = 1
                double3 xformOp:translate = (0, 0, -0.5)
                float3 xformOp:scale = (10, 10, 1)
                uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
            }}
            def Cube "Box" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {{
                double size = 1
                double3 xformOp:translate = ({x}, 0, {z})
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }}
            {extra}
        }}
        """


def test_switched_bodies_must_be_parked_at_the_default_time(tmp_path):
    prop = """
            def Cube "Prop" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {{
                double size = 1
                bool physics:kinematicEnabled = 1
                bool physics:collisionEnabled = {col}
                bool physics:collisionEnabled.timeSamples = {{ 9: 0, 10: 1 }}
                token visibility = "{vis}"
                token visibility.timeSamples = {{ 9: "invisible", 10: "inherited" }}
                double3 xformOp:translate = {at}
                double3 xformOp:translate.timeSamples = {{ 9.999: (0, 0, -3), 10: (2, 0, 0.5) }}
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }}"""
    bad = stage(tmp_path, BODY.format(x=0, z=0.5, extra=prop.format(col=1, vis="inherited", at="(2, 0, 0.5)")),
                name="bad.usda")
    good = stage(tmp_path, BODY.format(x=0, z=0.5, extra=prop.format(col=0, vis="invisible", at="(2, 0, -3)")),
                 name="good.usda")
    code, report = run("--rules", "events-parked", str(bad), str(good))
    bad_issues, good_issues = ([(i["at"], i["attribute"]) for i in f["issues"]] for f in report["files"])
    assert sorted(bad_issues) == [("/World/Prop", "physics:collisionEnabled"), ("/World/Prop", "visibility"),
                                  ("/World/Prop", "xformOp:translate")]
    assert good_issues == [] and code == 1


def test_a_body_resting_on_nothing_falls(tmp_path):
    cases = {"on_floor": (0, 0.5), "hovering": (0, 0.8), "beyond_edge": (7, 0.5)}
    paths = [stage(tmp_path, BODY.format(x=x, z=z, extra=""), name=f"{n}.usda") for n, (x, z) in cases.items()]
    joint = 'def PhysicsFixedJoint "Hold" {\n                rel physics:body1 = </World/Box>\n            }'
    paths.append(stage(tmp_path, BODY.format(x=7, z=0.5, extra=joint), name="jointed.usda"))
    code, report = run("--rules", "resting-support", *map(str, paths))
    issues = {f["file"].rsplit("/", 1)[-1]: [(i["at"], i["severity"]) for i in f["issues"]] for f in report["files"]}
    assert issues == {"on_floor.usda": [], "hovering.usda": [("/World/Box", "warning")],
                      "beyond_edge.usda": [("/World/Box", "error")], "jointed.usda": []}
    [drop] = found(report, "resting-support")[:1]
    assert "drops 0.3 stage units" in drop["message"]
    assert code == 1
