"""`twinsplit simcheck` with real simulation (Newton on the CPU): generated variants of the sample scenes are
stable and their event bodies parked; two bodies moved into each other, a body without mass and a box beyond the
floor are each reported by name; a kinematic person follows its time samples and pushes the box it walks into.

Needs the `sim` extra; skips with its reason without it (the no-extra message is tested in
test_simcheck_without_the_extra.py). Warp's kernels compile once into its kernel cache (`$WARP_CACHE_PATH`, else
`~/.cache/warp/<version>`), shared with tests/test_newton.py; later runs only load them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from stages import PHYSICS_FLOOR

try:
    import newton  # noqa: F401
    import warp  # noqa: F401
except Exception as exc:  # any failure to import (not only ImportError) means: no simulator here
    pytest.skip(f"newton is not importable ({type(exc).__name__}: {exc}); install the sim extra: "
                "pip install -e '.[dev,sim]'", allow_module_level=True)

from twinsplit.scene.discover import open_stage  # noqa: E402
from twinsplit.sim.step import simulate  # noqa: E402
from twinsplit.sim.tracks import stage_facts  # noqa: E402

HEAD = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    kilogramsPerUnit = 1
    upAxis = "Z"
    startTimeCode = 0
    endTimeCode = 48
    timeCodesPerSecond = 24
)
""" + PHYSICS_FLOOR


def box(name: str, x: float, y: float = 0.0, z: float = 0.25, mass: str = "float physics:mass = 5") -> str:
    return f"""
    def Cube "{name}" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"])
    {{
        double size = 0.5
        {mass}
        double3 xformOp:translate = ({x}, {y}, {z})
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }}
"""


PERSON = """
    def Capsule "Person" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        uniform token axis = "Z"
        double height = 1.2
        double radius = 0.25
        bool physics:kinematicEnabled = 1
        bool physics:collisionEnabled = 1
        double3 xformOp:translate = (-1.5, 0, 0.86)
        double3 xformOp:translate.timeSamples = { 0: (-1.5, 0, 0.86), 48: (1.5, 0, 0.86) }
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
"""


# A rigid body whose collider was forgotten: its cube is visual only, so no shape gives it mass.
GHOST = """
    def Xform "Ghost" (prepend apiSchemas = ["PhysicsRigidBodyAPI"])
    {
        double3 xformOp:translate = (0, 0, 0.25)
        uniform token[] xformOpOrder = ["xformOp:translate"]
        def Cube "Look"
        {
            double size = 0.5
        }
    }
"""


def write(tmp_path: Path, name: str, *prims: str) -> Path:
    p = tmp_path / name
    p.write_text(HEAD + "".join(prims) + "}\n")
    return p


def report(run_cli, *args, expect):
    result = run_cli("simcheck", "--format", "json", *map(str, args), expect=expect)
    return json.loads(result.stdout)


def issues(rep: dict) -> dict[str, set[tuple[str, str]]]:
    """file name -> {(rule, body)}."""
    return {Path(f["file"]).name: {(i["rule"], i["at"]) for i in f["issues"]} for f in rep["files"]}


@pytest.mark.slow
def test_sample_scene_variants_are_stable_and_their_events_parked(tmp_path, run_cli):
    outs = []
    for name in ("warehouse", "hospital_corridor", "cleanroom_fab"):
        src = REPO / "sample_scenes" / name
        for layer_format in ("usdc", "usda"):  # the same variants in both formats
            out = tmp_path / layer_format / name
            run_cli("generate", src / f"{name}.usda", "--config", src / "twin.yaml", "--out", out, "--train", 1,
                    "--holdout", 1, "--seed-train", 11, "--seed-holdout", 22, "--layer-format", layer_format)
            outs.append(out)
    rep = report(run_cli, *outs, "--workers", 2, expect=0)
    assert len(rep["files"]) == 12 and rep["summary"]["errors"] == 0, rep
    assert {Path(f["file"]).suffix for f in rep["files"]} == {".usdc", ".usda"}
    assert {r["id"] for r in rep["files"][0]["rules"]} >= {"sim-load", "sim-at-rest", "sim-fall-through"}
    # Newton imports the default time: every event body it loaded sits below the whole source, not in the scene.
    variant = outs[2] / "train" / "train-00000.usdc"
    stage = open_stage(variant)
    facts = stage_facts(stage)
    run = simulate(variant, stage, facts, seconds=1 / 60, hz=240)
    events = [i for i, p in enumerate(run.bodies) if "/TwinsplitEvents/" in p]
    assert len(events) >= 3 and set(run.bodies) == set(facts.bodies)
    assert all(run.start[i, facts.up] < facts.lowest - 1.0 for i in events)


@pytest.mark.slow
def test_unstable_bodies_are_named(tmp_path, run_cli):
    stacked = write(tmp_path, "stacked.usda", box("A", 0.0), box("B", 0.2))  # 30 cm into each other
    massless = write(tmp_path, "massless.usda", GHOST)
    beyond = write(tmp_path, "beyond.usda", box("Lost", 6.0), box("Fine", 0.0))
    rep = report(run_cli, stacked, massless, beyond, expect=1)
    found = issues(rep)
    assert {b for _, b in found["stacked.usda"]} == {"/World/A", "/World/B"}
    assert ("sim-mass", "/World/Ghost") in found["massless.usda"]
    assert found["beyond.usda"] == {("sim-fall-through", "/World/Lost")}
    text = run_cli("simcheck", beyond, expect=1).output
    assert "beyond.usda" in text and "/World/Lost fell out of the scene" in text


@pytest.mark.slow
def test_a_kinematic_person_follows_its_samples_and_pushes_a_box(tmp_path, run_cli):
    p = write(tmp_path, "walk.usda", PERSON, box("Box", 0.3))
    stage = open_stage(p)
    facts = stage_facts(stage)
    run = simulate(p, stage, facts, seconds=1.5, hz=240)
    person, crate = run.bodies.index("/World/Person"), run.bodies.index("/World/Box")
    # 1.5 s of a walk of 3 m in 2 s: the person is where its samples put it
    assert np.allclose(run.final[person], (-1.5 + 3 * 1.5 / 2, 0, 0.86), atol=0.02)
    pushed = run.final[crate] - run.start[crate]
    assert pushed[0] > 0.3 and abs(pushed[1]) < 0.2 and run.disturbed[crate]
    # the same box with the person standing still stays where it is, and simcheck passes both
    still = write(tmp_path, "still.usda", PERSON.replace("48: (1.5, 0, 0.86)", "48: (-1.5, 0, 0.86)"), box("Box", 0.3))
    run = simulate(still, open_stage(still), stage_facts(open_stage(still)), seconds=1.5, hz=240)
    assert np.linalg.norm(run.final[crate] - run.start[crate]) < 0.01
    assert report(run_cli, p, still, expect=0)["summary"]["errors"] == 0


@pytest.mark.slow
def test_a_rewritten_layer_is_simulated_as_it_is_on_disk_while_its_old_stage_lingers(tmp_path):
    """generate --simcheck rewrites a redrawn variant at the same path and simulates it again in the same process;
    USD's registry would hand out the layer as first read while anything still holds its stage (a reference
    cycle the collector has not freed yet). The second check must judge the new file, not the stale layer."""
    from twinsplit.sim.runner import Settings, check_one

    path = write(tmp_path, "redrawn.usda", box("A", 0.0), box("B", 0.2))  # into each other: unstable
    first = check_one(path, "variant", Settings(seconds=0.5, hz=240))
    assert {i.at for i in first.issues} == {"/World/A", "/World/B"}
    lingering = [open_stage(path)]
    lingering.append(lingering)  # a cycle: the stage stays alive until the collector runs
    path.write_text(HEAD + box("A", 0.0) + box("B", 1.0) + "}\n")  # the redraw: apart, at rest
    again = check_one(path, "variant", Settings(seconds=0.5, hz=240))
    assert again.error is None and not again.issues, again.issues
    assert lingering[0].GetPrimAtPath("/World/B").GetAttribute("xformOp:translate").Get()[0] == 1.0


HINGE = """
    def PhysicsRevoluteJoint "Hinge"
    {
        rel physics:body0 = </World/Left>
        rel physics:body1 = </World/Right>
        uniform token physics:axis = "Y"
        point3f physics:localPos0 = (0.3, 0, 0)
        point3f physics:localPos1 = (-0.3, 0, 0)
    }
    def SphereLight "Bulb"
    {
        float inputs:intensity = 100
    }
"""


@pytest.mark.slow
def test_joints_outside_any_articulation_are_simulated(tmp_path, run_cli):
    """Kamino's boxes_nunchaku: boxes chained by hinges with no PhysicsArticulationRootAPI. Newton's importer
    keeps such joints out of any articulation and its finalize() refused them: simcheck crashed."""
    p = write(tmp_path, "nunchaku.usda", box("Left", -0.3), box("Right", 0.3), HINGE)
    out = tmp_path / "out"
    run_cli("init", p, "-o", tmp_path / "twin.yaml")
    run_cli("generate", p, "--config", tmp_path / "twin.yaml", "--out", out, "--train", 1, "--holdout", 1,
            "--seed-train", 1, "--seed-holdout", 2)
    rep = report(run_cli, p, out, expect=0)
    assert len(rep["files"]) == 3 and rep["summary"]["errors"] == 0, rep
    stage = open_stage(p)
    run = simulate(p, stage, stage_facts(stage), seconds=0.5, hz=240)
    assert set(run.bodies) == {"/World/Left", "/World/Right"}
    left, right = run.final[run.bodies.index("/World/Left")], run.final[run.bodies.index("/World/Right")]
    assert abs(np.linalg.norm(right - left) - 0.6) < 0.01  # the hinge holds them at their distance
