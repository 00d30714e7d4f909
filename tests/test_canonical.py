"""proof/canonical.py's fast paths give the definition's bytes; the audit's kept layers never serve stale content."""

from __future__ import annotations

import math

import numpy as np
from pxr import Gf, Sdf, Usd, Vt

from twinsplit.audit.extract import KeptLayers, read_stage
from twinsplit.proof.canonical import authored, encoder, value_bytes
from twinsplit.scene.discover import vt_items

T = Sdf.ValueTypeNames
VALUES = {  # Sdf type: values set through USD (so read back as the Python types a stage gives)
    T.Float: [0.1, -0.0, 3.4028234e38, float("inf"), float("-inf"), float("nan"), 1e-45],
    T.Double: [0.1, -0.0, 1e308, float("nan"), 5e-324],
    T.Half: [0.1, 65504.0, 1e-7],
    T.Int: [0, -7, 2**31 - 1],
    T.Float3: [Gf.Vec3f(0.1, -0.0, 1e30)],
    T.Double3: [Gf.Vec3d(0.1, 1e300, -2.5)],
    T.Half3: [Gf.Vec3h(0.5, 1.0, 2.0)],
    T.Color3f: [Gf.Vec3f(0.2, 0.4, 0.6)],
    T.Point3d: [Gf.Vec3d(1, 2, 3)],
    T.Float2: [Gf.Vec2f(1.5, -1.5)],
    T.Double4: [Gf.Vec4d(1, 2, 3, 4)],
    T.Quatf: [Gf.Quatf(0.9, 0.1, -0.2, 0.3)],
    T.Quatd: [Gf.Quatd(-0.5, 0.5, 0.5, 0.5)],
    T.Quath: [Gf.Quath(1, 0, 0, 0)],
    T.Matrix4d: [Gf.Matrix4d(2.0)],
    T.Float3Array: [Vt.Vec3fArray([(0.1, 0.2, 0.3), (1e30, -0.0, 4)]), Vt.Vec3fArray()],
    T.FloatArray: [Vt.FloatArray([0.1, float("nan")])],
    T.DoubleArray: [Vt.DoubleArray([0.1, 1e300])],
    T.IntArray: [Vt.IntArray([1, 2, 3])],
    T.Token: ["box", ""],
    T.TokenArray: [Vt.TokenArray(["xformOp:translate", "xformOp:orient"]), Vt.TokenArray()],
    T.StringArray: [Vt.StringArray(["a", "b c"])],
    T.String: ["text"],
    T.Bool: [True, False],
    T.Asset: [Sdf.AssetPath("./tex/wood.png")],
}


def test_every_fast_encoder_gives_value_bytes_bytes():
    stage = Usd.Stage.CreateInMemory()
    prim = stage.DefinePrim("/P")
    seen = 0
    for sdf_type, values in VALUES.items():
        attr = prim.CreateAttribute(f"a{seen}", sdf_type)
        for value in values:
            attr.Set(value)
            got = attr.Get()
            name = str(attr.GetTypeName())
            assert encoder(name, type(got))(got) == value_bytes(got, name), (name, got)
            seen += 1
    assert encoder("double", type(None))(None) == value_bytes(None, "double")
    # Python floats straight in: beyond float32's range, numpy's cast gives inf and so must the fast path
    with np.errstate(over="ignore"):
        for v in (1e39, -1e39, 3.4028235e38, 0.1, math.pi):
            assert encoder("float", float)(v) == value_bytes(v, "float"), v
            assert encoder("float3", Gf.Vec3d)(Gf.Vec3d(v, 0, 1)) == value_bytes(Gf.Vec3d(v, 0, 1), "float3"), v
    assert seen > 40


def test_vt_items_is_iteration():
    for arr in (Vt.TokenArray(["a", "b", "c"]), Vt.StringArray(["x"]), Vt.TokenArray()):
        assert vt_items(arr) == tuple(arr)


def test_authored_pairs_each_property_with_its_own_name(generated):
    stage = Usd.Stage.Open(str(generated / "train" / "train-00000.usdc"))
    n = 0
    for prim in stage.Traverse():
        pairs = authored(prim)
        assert [name for name, _ in pairs] == sorted(p.GetName() for p in prim.GetAuthoredProperties())
        assert all(prop.GetName() == name for name, prop in pairs)
        n += len(pairs)
    assert n > 20


SOURCE = """#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Z"
)
def Xform "World"
{
    def Cube "Box"
    {
        double size = %s
    }
}
"""


def test_kept_layers_are_reused_but_a_changed_file_is_read_again(tmp_path):
    src, variant, flat = tmp_path / "src.usda", tmp_path / "variant.usda", tmp_path / "flat.usda"
    src.write_text(SOURCE % "1")
    variant.write_text('#usda 1.0\n(\n    subLayers = [@./src.usda@]\n)\nover "World"\n{\n    over "Box"\n'
                       '    {\n        token visibility = "invisible"\n    }\n}\n')
    kept = KeptLayers()
    first = read_stage(variant, kept)
    assert len(kept) == 1 and Sdf.Layer.Find(str(src)) is not None  # the source stays open for the next stage
    assert read_stage(variant, kept).content == first.content

    src.write_text(SOURCE % "2.5")  # edited on disk while kept (size and mtime change)
    changed = read_stage(variant, kept)
    assert changed.content != first.content
    # the same composed content in one flat layer, read without any kept layer
    flat.write_text(Usd.Stage.Open(str(variant)).Flatten().ExportToString())
    assert read_stage(flat).content == changed.content
