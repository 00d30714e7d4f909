"""generate: output layout, composition in pxr, determinism and split independence."""

import json

import numpy as np
from pxr import Usd, UsdGeom, UsdLux, UsdPhysics

from stages import CONFIG, SMALL, write


def files(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_layout_matches_design(generated):
    names = set(files(generated))
    assert {"manifest.json", "croissant.json", "source/scene.usda"} <= names
    assert {f"train/train-{i:05d}.usdc" for i in range(12)} <= names
    assert {f"holdout/holdout-{i:05d}.values.json" for i in range(4)} <= names
    assert len(names) == 3 + 2 * 16


def test_variant_composes_to_recorded_values(generated):
    path = generated / "holdout" / "holdout-00002.usdc"
    values = json.loads((generated / "holdout" / "holdout-00002.values.json").read_text())
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == "Z" and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/World"
    rubber = UsdPhysics.MaterialAPI(stage.GetPrimAtPath("/World/Materials/Rubber"))
    assert rubber.GetStaticFrictionAttr().Get() == values["/World/Materials/Rubber.physics:staticFriction"]
    key = UsdLux.SphereLight(stage.GetPrimAtPath("/World/Lights/Key"))
    assert list(key.GetColorAttr().Get()) == values["/World/Lights/Key.inputs:color"]
    assert key.GetEnableColorTemperatureAttr().Get() is True
    # The delta only overrides: untouched source values still compose through.
    assert stage.GetPrimAtPath("/World/Box").GetAttribute("physics:mass").Get() == 5.0
    assert key.GetRadiusAttr().Get() == np.float32(0.2)


def test_values_follow_config_ranges(generated):
    manifest = json.loads((generated / "manifest.json").read_text())
    records = [json.loads((generated / v["values_path"]).read_text()) for v in manifest["variants"]]
    assert len(records) == 16

    def drawn(suffix):
        return [value for values in records for name, value in values.items() if name.endswith(suffix)]

    friction, restitution = drawn(".physics:staticFriction"), drawn(".physics:restitution")
    intensity = drawn("/World/Lights/Key.inputs:intensity")
    assert len(friction) == len(restitution) == 2 * 16 and len(intensity) == 16  # Rubber and Steel; one Key light
    assert 0.3 <= min(friction) and max(friction) <= 1.0
    assert 0.0 <= min(restitution) and max(restitution) <= 0.5
    assert 1500 <= min(intensity) and max(intensity) <= 6000  # scale 0.5..2 of the authored 3000


def test_same_inputs_give_byte_identical_output(tmp_path, small, run_cli):
    src, cfg = small
    for name in ("a", "b"):
        run_cli("generate", src, "--config", cfg, "--out", tmp_path / name, "--train", 6, "--holdout", 3)
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_worker_pool_gives_the_same_bytes(tmp_path, small, run_cli):
    src, cfg = small
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "one", "--train", 8, "--holdout", 4)
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "two", "--train", 8, "--holdout", 4, "--workers", 2)
    assert files(tmp_path / "one") == files(tmp_path / "two")


def _split_files(out, split):
    return {k: v for k, v in files(out).items() if k.startswith(f"{split}/")}


def test_changing_holdout_seed_leaves_train_byte_identical(tmp_path, small, run_cli):
    src, cfg = small
    common = ("--config", cfg, "--train", 10, "--holdout", 5, "--seed-train", 7)
    run_cli("generate", src, *common, "--seed-holdout", 100, "--out", tmp_path / "a")
    run_cli("generate", src, *common, "--seed-holdout", 200, "--out", tmp_path / "b")
    assert _split_files(tmp_path / "a", "train") == _split_files(tmp_path / "b", "train")
    assert _split_files(tmp_path / "a", "holdout") != _split_files(tmp_path / "b", "holdout")


def test_changing_train_seed_leaves_holdout_byte_identical(tmp_path, small, run_cli):
    src, cfg = small
    common = ("--config", cfg, "--train", 10, "--holdout", 5, "--seed-holdout", 9)
    run_cli("generate", src, *common, "--seed-train", 1, "--out", tmp_path / "a")
    run_cli("generate", src, *common, "--seed-train", 2, "--out", tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["disjointness"]["redraws"]["holdout"] == 0  # no rejection happened, so no coupling
    assert _split_files(tmp_path / "a", "holdout") == _split_files(tmp_path / "b", "holdout")
    assert _split_files(tmp_path / "a", "train") != _split_files(tmp_path / "b", "train")


def test_variant_does_not_depend_on_how_many_are_generated(tmp_path, small, run_cli):
    src, cfg = small
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "few", "--train", 3, "--holdout", 2)
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "many", "--train", 9, "--holdout", 2)
    few, many = files(tmp_path / "few"), files(tmp_path / "many")
    assert all(many[k] == v for k, v in few.items() if k.startswith("train/"))


def test_manifest_records_seeds_hashes_lineage_and_distance(generated):
    from twinsplit.hashing import sha256_file
    from twinsplit.manifest import Manifest

    m = json.loads((generated / "manifest.json").read_text())
    Manifest.model_validate(m)
    assert m["seeds"] == {"train": {"entropy": "11"}, "holdout": {"entropy": "22"}}
    assert m["lineage"] == {"purpose": "test", "owner": "qa", "consent": "synthetic", "retention": "30 days"}
    assert m["source"]["files"][0]["sha256"] == sha256_file(generated / "source" / "scene.usda")
    for v in m["variants"]:
        assert v["sha256"] == sha256_file(generated / v["path"])
        assert v["values_sha256"] == sha256_file(generated / v["values_path"])
    assert len({v["sha256"] for v in m["variants"]}) == len(m["variants"])
    assert m["disjointness"]["holds"] and m["disjointness"]["min_distance"] >= 0.02
    assert m["distance"]["energy_distance"] is not None
    names = [p["name"] for p in m["parameters"]]
    assert "/World/Lights/Key.inputs:color[1]" in names and "/World/Materials/Steel.physics:restitution" in names


def test_os_entropy_is_used_and_recorded_when_no_seed_given(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG.replace("seeds: {train: 11, holdout: 22}", ""))
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2)
    seeds = json.loads((tmp_path / "o" / "manifest.json").read_text())["seeds"]
    assert int(seeds["train"]["entropy"]) > 2**64 and seeds["train"] != seeds["holdout"]
    run_cli("verify", tmp_path / "o")


def test_holdout_stays_outside_margin_with_redraws_counted(tmp_path, run_cli):
    """One parameter and a wide margin force holdout redraws; every holdout value keeps its distance."""
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\nsplits: {min_margin: 0.05}\nrandomize:\n  physics_materials:\n"
                   "    match: {paths: [/World/Materials/Rubber]}\n    restitution: {low: 0, high: 1}\n")
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 8, "--holdout", 6)
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["disjointness"]["redraws"]["holdout"] > 0
    train = [json.loads((tmp_path / "o" / v["values_path"]).read_text())
             for v in m["variants"] if v["split"] == "train"]
    hold = [json.loads((tmp_path / "o" / v["values_path"]).read_text())
            for v in m["variants"] if v["split"] == "holdout"]
    key = "/World/Materials/Rubber.physics:restitution"
    assert min(abs(h[key] - t[key]) for h in hold for t in train) >= 0.05 - 1e-6
    run_cli("verify", tmp_path / "o")


def test_margin_impossible_to_keep_is_a_clear_error(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\nsplits: {min_margin: 0.5, max_redraws: 20}\nrandomize:\n"
                   "  physics_materials:\n    match: {paths: [/World/Materials/Rubber]}\n    restitution: {low: 0, "
                   "high: 1}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 30, "--holdout", 5, expect=1)
    assert "no acceptable draw after 20 redraws" in result.output and "min_margin" in result.output
    assert not (tmp_path / "o").exists()


CM_YUP_NO_DEFAULT = SMALL.replace('    defaultPrim = "World"\n', "") \
    .replace("metersPerUnit = 1", "metersPerUnit = 0.01") \
    .replace('upAxis = "Z"', 'upAxis = "Y"')


def test_centimetre_y_up_stage_without_default_prim(tmp_path, run_cli):
    src = write(tmp_path, CM_YUP_NO_DEFAULT)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 3, holdout: 4}\nrandomize:\n  physics_materials:\n"
                   "    density: {low: 500, high: 2000}\n    static_friction: {low: 0.2, high: 0.9}\n")
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 3, "--holdout", 2)
    stage = Usd.Stage.Open(str(tmp_path / "o" / "train" / "train-00000.usdc"))
    assert UsdGeom.GetStageUpAxis(stage) == "Y" and UsdGeom.GetStageMetersPerUnit(stage) == 0.01
    assert not stage.HasDefaultPrim()
    density = stage.GetPrimAtPath("/World/Materials/Rubber").GetAttribute("physics:density").Get()
    # kg/m^3 in the config -> kg/cm^3 on a centimetre stage
    assert 500e-6 <= density <= 2000e-6
    run_cli("verify", tmp_path / "o")


OTHER_TOOL_METADATA = SMALL.replace('    defaultPrim = "World"\n', '''    defaultPrim = "World"
    startFrame = 1
    endFrame = 240
    renderSettingsPrimPath = "/World/Render"
    colorManagementSystem = "ocio"
    customLayerData = {
        dictionary cameraSettings = {
            string boundCamera = "/World/Cam"
        }
    }
''')


def test_variant_repeats_the_root_layer_metadata_a_stage_reads(tmp_path, run_cli):
    """Render settings, Kit's customLayerData, colour management and a legacy startFrame/endFrame range are
    read from the root layer only: a variant (the new root) must repeat them or lose them."""
    src = write(tmp_path, OTHER_TOOL_METADATA)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 3, holdout: 4}\nrandomize:\n  physics_materials:\n"
                   "    static_friction: {low: 0.2, high: 0.9}\n")
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 1)
    source = Usd.Stage.Open(str(src))
    stage = Usd.Stage.Open(str(tmp_path / "o" / "train" / "train-00000.usdc"))
    assert (stage.GetStartTimeCode(), stage.GetEndTimeCode()) == (1.0, 240.0)
    for key in ("renderSettingsPrimPath", "colorManagementSystem", "customLayerData"):
        assert stage.GetMetadata(key) == source.GetMetadata(key), key
    run_cli("verify", tmp_path / "o")


def test_legacy_light_intensity_is_scaled(tmp_path, run_cli):
    """Lights written before UsdLux's inputs: prefix (`float intensity`): scale acts on that authored value."""
    src = write(tmp_path, SMALL.replace("float inputs:intensity = 3000", "float intensity = 3000"))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 3, holdout: 4}\nrandomize:\n  lighting:\n    match: {paths: [/World/Lights/Key]}\n"
                   "    intensity: {distribution: loguniform, low: 0.5, high: 2.0, operation: scale}\n")
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 1)
    values = json.loads((tmp_path / "o" / "train" / "train-00000.values.json").read_text())
    assert 1500 <= values["/World/Lights/Key.inputs:intensity"] <= 6000
    run_cli("verify", tmp_path / "o")


def test_grouped_draws_equal_one_inverse_cdf_per_parameter(tmp_path):
    """sample_independent draws a distribution's parameters in one call: same values as one call each."""
    import yaml

    from twinsplit.blocks.attributes import sample_independent
    from twinsplit.config import parse_config
    from twinsplit.plan.bind import bind
    from twinsplit.plan.draw import stream
    from twinsplit.scene.discover import load

    _, scene = load(write(tmp_path))
    config = parse_config(yaml.safe_load("""
randomize:
  physics_materials:
    static_friction: {low: 0.3, high: 1.0, holdout: {low: 0.9, high: 1.2}}
    dynamic_friction: {distribution: choice, choices: [0.1, 0.2, 0.3], weights: [1, 2, 3], holdout: {choices: [0.3, 0.4], weights: [1, 1]}}
    restitution: {distribution: normal, low: 0.0, high: 0.5, mean: 0.2, std: 0.1}
    density: {distribution: loguniform, low: 100, high: 5000}
  lighting:
    color: {low: 0.8, high: 1.0}
    enabled: {distribution: choice, choices: [true, false]}
"""), "test")  # noqa: E501
    for b in bind(scene, config):
        params = list(b.params)
        for split in ("train", "holdout"):
            for i in range(50):
                got = sample_independent(scene, b.cfg, params, split, stream(7, i, b))
                u = stream(7, i, b).random(len(params))
                want = np.array([p.draw(split, u[k : k + 1])[0] for k, p in enumerate(params)])
                assert got.tobytes() == want.tobytes()
