"""One definition of each fact: value precision, pose time, collision shapes, overlap test, region references.

Each test drives the real pipeline (USD stages written here, the CLI) at a point where two copies of a fact used
to disagree: a half-typed attribute, an animated source, a pair of bodies at the edge of the overlap tolerance.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from pxr import Gf, Sdf, Usd

from twinsplit.blocks.data import Edit
from twinsplit.blocks.quantize import quantize, storage
from twinsplit.scene.discover import load
from twinsplit.scene.shapes import scene_shapes
from twinsplit.write.layer import render, values_record
from twinsplit.write.readback import layer_values

REPO = Path(__file__).resolve().parents[1]

HEAD = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Z"
    kilogramsPerUnit = 1
{extra})
"""

# ---------------------------------------------------------------------------------------------- 1. one quantizer

RAW = {1: 0.1234567891234, 2: (0.1234567891, 2.718281828459), 3: (0.1234567891, 1234.56789, -3.3333333333),
       4: (0.9876543210123, 0.1111111111, -0.2222222222, 0.3333333333)}
TYPES = ["half", "half2", "half3", "half4", "quath", "color3h", "texCoord2h", "point3h", "float", "float3", "quatf",
         "color3f", "color4f", "point3f", "vector3f", "normal3f", "texCoord2f", "double", "double3", "quatd",
         "point3d", "vector3d", "color3d", "matrix4d", "int", "uint", "int64", "uchar"]


def _raw(type_name: str):
    """A value no precision stores exactly, shaped as `type_name` (non-negative for the integer types)."""
    if type_name == "matrix4d":
        return tuple(tuple(0.1234567891 * (r + 1) + c / 3 for c in range(4)) for r in range(4))
    m = re.fullmatch(r"\D+?([234])?[hfd]?", type_name)
    raw = RAW[4] if type_name.startswith("quat") else RAW[int(m.group(1) or 1) if m else 1]
    if storage(type_name) is int:
        return tuple(abs(v) * 7 for v in raw) if isinstance(raw, tuple) else abs(raw) * 7
    return raw


@pytest.mark.parametrize("type_name", TYPES)
def test_quantized_value_is_what_usd_stores(tmp_path, type_name):
    """Written through the real writer and read back as verify reads it: the record equals the layer, and the
    composed stage returns the same numbers (half types included: float16, not float32)."""
    value = quantize(_raw(type_name), type_name)
    edits = [Edit(path="/World", attr="twinsplit:x", type_name=type_name, value=value, custom=True)]
    (tmp_path / "base.usda").write_text('#usda 1.0\ndef Xform "World"\n{\n}\n')
    path = tmp_path / "v.usda"
    path.write_bytes(render(edits, "base.usda", {}))
    assert json.loads(json.dumps(values_record(edits))) == layer_values(path)[0]
    stage = Usd.Stage.Open(str(path))
    got = stage.GetAttributeAtPath("/World.twinsplit:x").Get()
    if isinstance(got, (Gf.Quath, Gf.Quatf, Gf.Quatd)):
        got = (got.GetReal(), *got.GetImaginary())
    elif isinstance(got, Gf.Matrix4d):
        got = tuple(tuple(row) for row in got)
    assert (tuple(got) if hasattr(got, "__len__") else got) == value


def test_every_numeric_sdf_type_has_a_storage_and_no_other_does():
    numeric = {"half": "float16", "float": "float32", "double": "float64", "int": "int", "uint": "int",
               "long": "int", "unsigned": "int", "char": "int", "GfTimeCode": "float64"}
    for name in dir(Sdf.ValueTypeNames):
        t = getattr(Sdf.ValueTypeNames, name)
        if not isinstance(t, Sdf.ValueTypeName):
            continue
        cpp = t.scalarType.type.typeName
        want = ({"h": "float16", "f": "float32", "d": "float64", "i": "int"}[cpp[-1]] if re.fullmatch(
            r"Gf(Vec\d[hfdi]|Quat[hfd]|Matrix\dd)", cpp) else next((v for k, v in numeric.items() if k in cpp), None))
        got = storage(str(t))
        assert (got if got in (int, None) else got.__name__) == (int if want == "int" else want), (str(t), cpp)


PLUGIN = textwrap.dedent('''
    import sys
    from pydantic import Field
    from twinsplit.base import Strict
    from twinsplit.blocks.attributes import attribute_params
    from twinsplit.blocks.distributions import Dist
    from twinsplit.blocks.registry import RANDOMIZERS, BlockKind
    from twinsplit.scene.selectors import Selector

    class GainCfg(Strict):
        """A plugin randomizer of a custom light attribute the stage declares half."""
        match: Selector = Field(default_factory=Selector)
        gain: Dist | None = None

    def gain_params(scene, block, source):
        prims = scene.require(block.match, f"{source}.match", default_api="LightAPI", kinds=("light",))
        return attribute_params(scene, block, source, prims, {"gain": "twinsplit:gain"}, {"gain": "half"})

    RANDOMIZERS.register(BlockKind(name="light_gain", config_model=GainCfg, params=gain_params,
                                   selectors=lambda b: [("match", b.match, {"default_api": "LightAPI"})]))
    from twinsplit.cli import main
    main(sys.argv[1:])
''')


def test_half_attribute_a_randomizer_writes_round_trips_and_verifies(tmp_path):
    """USD's own schemas never declare half (an authored `half` on a schema attribute composes as the schema's
    float), so the half attribute is a custom one, written by a plugin randomizer through the shared
    attribute_params -> ParamSpec.value -> quantize path every built-in uses."""
    src = tmp_path / "lamp.usda"
    src.write_text(HEAD.format(extra="") + textwrap.dedent("""
        def Xform "World"
        {
            def SphereLight "Key"
            {
                float inputs:intensity = 3000
                custom half twinsplit:gain = 0.5
            }
        }
        """))
    cfg = tmp_path / "twin.yaml"
    cfg.write_text("randomize:\n  light_gain:\n    gain: {distribution: uniform, low: 0.1, high: 0.9}\n")
    script = tmp_path / "plugin_cli.py"
    script.write_text(PLUGIN)
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "out"

    def cli(*args):
        return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True, env=env)

    gen = cli("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2, "--seed-train", 1,
              "--seed-holdout", 2)
    assert gen.returncode == 0, gen.stderr + gen.stdout
    ver = cli("verify", out)
    assert ver.returncode == 0 and "verified" in ver.stdout, ver.stdout + ver.stderr
    for layer in sorted([*out.glob("train/*.usdc"), *out.glob("holdout/*.usdc")]):
        recorded = json.loads(layer.with_suffix(".values.json").read_text())["/World/Key.twinsplit:gain"]
        stage = Usd.Stage.Open(str(layer))
        attr = stage.GetAttributeAtPath("/World/Key.twinsplit:gain")
        assert str(attr.GetTypeName()) == "half" and attr.Get() == recorded == float(np.float16(recorded))


# ---------------------------------------------------------------------------------------------- 2. one pose time

ANIMATED = HEAD.format(extra="    startTimeCode = 10\n    endTimeCode = 20\n") + """
def Xform "World"
{{
    def PhysicsScene "PhysicsScene" {{}}
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"])
    {{
        double size = 1
        double3 xformOp:translate = (0, 0, -0.5)
        float3 xformOp:scale = (20, 20, 1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }}
    def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {{
        double size = 0.5
        double3 xformOp:translate.timeSamples = {{ 0: (-5, 0, 0.25), 10: (0, 0, 0.25) }}
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }}
{bodies}
}}
"""


def _box(name: str, x: float) -> str:
    return f"""    def Cube "{name}" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {{
        double size = 0.5
        double3 xformOp:translate = ({x!r}, 0, 0.25)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }}
"""


def test_an_animated_source_is_read_at_its_start_time_everywhere(tmp_path, run_cli):
    """A body only time-sampled (no default): scan, the shape cache and validate all see it where it is at the
    start time code (10), not at the origin (Default) nor at time 0."""
    p = tmp_path / "anim.usda"
    p.write_text(ANIMATED.format(bodies=_box("B", 0.3)))  # overlaps A by 0.2 m at t = 10, not at t = 0
    _, scene = load(p)
    assert scene.prims["/World/A"].world[3][:3] == (0.0, 0.0, 0.25)
    [a] = [s for s in scene_shapes(scene) if s.body == "/World/A"]
    assert tuple(a.center) == (0.0, 0.0, 0.25)
    result = run_cli("validate", "--rules", "no-interpenetration", "--format", "json", p, expect=1)
    issues = [i["message"] for f in json.loads(result.output)["files"] for i in f["issues"]]
    assert issues == ["/World/A and /World/B interpenetrate by 0.2 stage units at time 10"], result.output


# ---------------------------------------------------------------------------------------------- 4. one overlap test

TOL = 1e-4  # geometry.support.TOL_M on a metre stage

EDGE = ANIMATED.format(bodies=_box("B", 0.8) + _box("C", 3.0) + _box("D", 3.8) + """
    def Cylinder "Wheel" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        uniform token axis = "Y"
        double radius = 0.25
        double height = 0.2
        double3 xformOp:translate = (-3, 0, 0.25)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
""")

PAIR = re.compile(r"(/World/\w+) and (/World/\w+)(?: \(colliders [^)]*\))? interpenetrate")


def test_validate_and_verify_report_the_same_pairs_at_the_edge(tmp_path, run_cli):
    """A variant layer that puts B 1.5 tolerances into A (A animated: it is there only at the start time), D half
    a tolerance into C, and moves the wheel along the floor it rests on: both commands name A-B and nothing else."""
    src = tmp_path / "edge.usda"
    src.write_text(EDGE)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text("randomize:\n  layout:\n    match: {paths: ['/World/B', '/World/D', '/World/Wheel']}\n"
                   "    offset: {low: -0.05, high: 0.05}\n")
    out = tmp_path / "out"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 1)
    assert "ok    layout" in run_cli("verify", out).output  # what layout placed, verify accepts
    path = out / "train" / "train-00000.usdc"
    layer = Sdf.Layer.FindOrOpen(str(path))
    for name in [p.name for p in layer.GetPrimAtPath("/World").nameChildren]:
        del layer.GetPrimAtPath("/World").nameChildren[name]
    for name, x in (("B", 0.5 - 1.5 * TOL), ("D", 3.5 - 0.5 * TOL), ("Wheel", -2.0)):
        spec = Sdf.CreatePrimInLayer(layer, f"/World/{name}")
        attr = Sdf.AttributeSpec(spec, "xformOp:translate", Sdf.ValueTypeNames.Double3)
        attr.default = Gf.Vec3d(x, 0, 0.25)
    layer.Save()
    verified = run_cli("verify", out, expect=1).output
    by_verify = {m.groups() for line in verified.splitlines() if "train-00000" in line for m in PAIR.finditer(line)}
    report = json.loads(run_cli("validate", out, "--rules", "no-interpenetration", "--format", "json",
                                expect=1).output)
    by_validate = {PAIR.match(i["message"]).groups() for f in report["files"] if "train-00000" in f["file"]
                   for i in f["issues"]}
    assert by_verify == by_validate == {("/World/A", "/World/B")}, (verified, report)
