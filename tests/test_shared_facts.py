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
    for layer in sorted([*out.glob("train/*.usda"), *out.glob("holdout/*.usda")]):
        recorded = json.loads(layer.with_suffix(".values.json").read_text())["/World/Key.twinsplit:gain"]
        stage = Usd.Stage.Open(str(layer))
        attr = stage.GetAttributeAtPath("/World/Key.twinsplit:gain")
        assert str(attr.GetTypeName()) == "half" and attr.Get() == recorded == float(np.float16(recorded))
