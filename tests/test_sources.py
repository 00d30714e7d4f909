"""Stages written by others: sublayers, references outside the stage's folder, missing textures, variant sets."""

import json

from pxr import Usd, UsdGeom

PHYSICS = """#usda 1.0
(
    metersPerUnit = 0.01
    upAxis = "Y"
)
over "World"
{
    def Material "Ice" (prepend apiSchemas = ["PhysicsMaterialAPI"])
    {
        float physics:staticFriction = 0.05
    }
}
"""
LAMP = """#usda 1.0
(
    defaultPrim = "Lamp"
)
def Xform "Lamp"
{
    def SphereLight "Bulb"
    {
        float inputs:intensity = 100
    }
}
"""
SITE = """#usda 1.0
(
    metersPerUnit = 0.01
    upAxis = "Y"
    subLayers = [@./layers/physics.usda@]
)
def Xform "World"
{
    def Xform "Lamp1" (prepend references = @REF@) {}
    def Material "Look"
    {
        def Shader "Tex"
        {
            uniform token info:id = "UsdUVTexture"
            asset inputs:file = @./textures/missing.png@
        }
    }
    def Xform "Variants" (
        variants = {
            string look = "a"
        }
        prepend variantSets = "look"
    )
    {
        variantSet "look" = {
            "a" {
                def SphereLight "VLight"
                {
                    float inputs:intensity = 5
                }
            }
            "b" {
            }
        }
    }
}
"""
CONFIG = ("seeds: {train: 1, holdout: 2}\nrandomize:\n"
          "  physics_materials:\n    static_friction: {low: 0.01, high: 0.1}\n"
          "  lighting:\n    intensity: {low: 0.5, high: 2, operation: scale}\n")


def make_site(tmp_path, ref):
    (tmp_path / "site" / "layers").mkdir(parents=True)
    (tmp_path / "site" / "assets").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "site" / "layers" / "physics.usda").write_text(PHYSICS)
    (tmp_path / "site" / "assets" / "lamp.usda").write_text(LAMP)
    (tmp_path / "shared" / "lamp.usda").write_text(LAMP)
    (tmp_path / "site" / "site.usda").write_text(SITE.replace("REF", ref))
    (tmp_path / "c.yaml").write_text(CONFIG)
    return tmp_path / "site" / "site.usda"


def check_variant(out):
    stage = Usd.Stage.Open(str(out / "train" / "train-00000.usdc"))
    values = json.loads((out / "train" / "train-00000.values.json").read_text())
    assert UsdGeom.GetStageMetersPerUnit(stage) == 0.01 and UsdGeom.GetStageUpAxis(stage) == "Y"
    for key, value in values.items():
        path, attr = key.split(".", 1)
        assert stage.GetPrimAtPath(path).GetAttribute(attr).Get() == value, key
    assert set(values) == {"/World/Ice.physics:staticFriction", "/World/Lamp1/Bulb.inputs:intensity",
                           "/World/Variants/VLight.inputs:intensity"}


def test_layers_under_the_root_folder_are_byte_copied(tmp_path, run_cli):
    src = make_site(tmp_path, "./assets/lamp.usda")
    out = tmp_path / "out"
    run_cli("generate", src, "--config", tmp_path / "c.yaml", "--out", out, "--train", 3, "--holdout", 2)
    m = json.loads((out / "manifest.json").read_text())
    assert [f["path"] for f in m["source"]["files"]] == ["source/assets/lamp.usda", "source/layers/physics.usda",
                                                         "source/site.usda"]
    assert not m["source"]["localized"]
    assert (out / "source" / "site.usda").read_bytes() == src.read_bytes()
    assert m["source"]["unresolved"] == ["textures/missing.png"]
    check_variant(out)
    run_cli("verify", out)


def test_reference_outside_the_root_folder_is_localized(tmp_path, run_cli):
    src = make_site(tmp_path, "../shared/lamp.usda")
    out = tmp_path / "out"
    run_cli("generate", src, "--config", tmp_path / "c.yaml", "--out", out, "--train", 3, "--holdout", 2)
    m = json.loads((out / "manifest.json").read_text())
    assert m["source"]["localized"] and str(tmp_path) not in (out / "manifest.json").read_text()
    check_variant(out)
    # the copy is self-contained: it still composes with the original folders gone
    import shutil

    shutil.rmtree(tmp_path / "shared")
    shutil.rmtree(tmp_path / "site")
    check_variant(out)
    run_cli("verify", out)
