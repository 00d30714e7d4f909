"""`twinsplit audit`: contamination between two sets of stages, on composed content, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import junitparser
import pytest
from pxr import Sdf, Usd

from twinsplit.audit.extract import read_stage
from twinsplit.proof.canonical import value_bytes


@pytest.fixture
def two_sets(tmp_path, small, run_cli):
    """Two sets of the small stage drawn from independent seeds."""
    src, cfg = small
    outs = []
    for k, seeds in enumerate(((11, 22), (33, 44))):
        out = tmp_path / f"set{k}"
        run_cli("generate", src, "--config", cfg, "--out", out, "--train", 8, "--holdout", 4,
                "--seed-train", seeds[0], "--seed-holdout", seeds[1])
        outs.append(out)
    return outs


def _training_folder(tmp_path: Path, out: Path) -> Path:
    """A training set as another tool leaves it: every train variant flattened into one .usdc each."""
    folder = tmp_path / "training"
    folder.mkdir()
    for v in sorted((out / "train").glob("*.usdc")):
        Usd.Stage.Open(str(v)).Export(str(folder / v.with_suffix(".usdc").name))
    return folder


def test_a_flattened_copy_of_a_holdout_variant_among_training_files_is_named(tmp_path, generated, run_cli):
    training = _training_folder(tmp_path, generated)
    leaked = generated / "holdout" / "holdout-00002.usdc"
    copy = training / "scene_0417.usda"
    copy.write_text(Usd.Stage.Open(str(leaked)).Flatten().ExportToString())
    assert copy.read_bytes() != leaked.read_bytes()
    assert Sdf.Layer.FindOrOpen(str(copy)).subLayerPaths == []  # no layer structure left: one flat layer

    result = run_cli("audit", generated / "holdout", "--against", generated / "train", training, expect=1)
    assert "4 stages against 25 stages" in result.output  # every path after --against is one more B
    lines = [line for line in result.output.splitlines() if line.startswith("  exact")]
    assert lines == [f"  exact  {leaked} == {copy} (same composed content)"]
    assert "CONTAMINATED: 1 pair (1 exact, 0 near)" in result.output

    report = json.loads(run_cli("audit", generated / "holdout", "--against", training, "--format", "json",
                                expect=1).output)
    assert [(p["a"], p["b"], p["kind"]) for p in report["pairs"]] == [(str(leaked), str(copy), "exact")]
    assert report["summary"]["a"] == 4 and report["summary"]["b"] == 13

    xml = tmp_path / "audit.xml"
    run_cli("audit", generated / "holdout", "--against", training, "--format", "junit", "-o", xml, expect=1)
    cases = [c for suite in junitparser.JUnitXml.fromfile(str(xml)) for c in suite]
    failed = {c.name: c.result[0].message for c in cases if c.result}
    assert len(cases) == 4 and list(failed) == [str(leaked)] and str(copy) in failed[str(leaked)]


def test_two_workers_give_the_same_report_as_one(tmp_path, generated, run_cli):
    training = _training_folder(tmp_path, generated)
    leaked = generated / "holdout" / "holdout-00002.usdc"
    (training / "scene_0417.usda").write_text(Usd.Stage.Open(str(leaked)).Flatten().ExportToString())
    args = ("audit", generated / "holdout", "--against", generated / "train", training, "--format", "json")
    one = json.loads(run_cli(*args, expect=1).output)
    two = json.loads(run_cli(*args, "--workers", 2, expect=1).output)
    assert one == two and len(one["pairs"]) == 1


def test_a_nudged_copy_is_a_near_duplicate(tmp_path, generated, run_cli):
    training = _training_folder(tmp_path, generated)
    leaked = generated / "holdout" / "holdout-00001.usdc"
    layer = Usd.Stage.Open(str(leaked)).Flatten()
    attr = layer.GetAttributeAtPath("/World/Materials/Steel.physics:staticFriction")
    attr.default = attr.default + 1e-4  # a re-jittered copy: no longer byte- or content-identical
    copy = training / "nudged.usda"
    layer.Export(str(copy))
    assert read_stage(copy).content != read_stage(leaked).content

    report = json.loads(run_cli("audit", leaked, "--against", training, "--format", "json", expect=1).output)
    assert [(p["b"], p["kind"]) for p in report["pairs"]] == [(str(copy), "near")]
    assert 0 < report["pairs"][0]["distance"] < 0.01
    # exact duplicates only: the nudged copy passes
    run_cli("audit", leaked, "--against", training, "--threshold", 0, expect=0)


def test_two_independently_drawn_sets_pass(two_sets, run_cli):
    first, second = two_sets
    result = run_cli("audit", second / "holdout", second / "train", "--against", first, expect=0)
    assert "clean: no stage of A duplicates or comes within 0.01 of a stage of B" in result.output
    report = json.loads(run_cli("audit", second, "--against", first, "--format", "json").output)
    assert report["summary"]["a"] == 12 and report["summary"]["b"] == 12  # an output dir gives its variants
    assert report["summary"]["varying"] > 0 and report["distribution"]["min"] >= 0.01
    assert len(report["nearest"]) == 12


def test_unusable_input_exits_2(tmp_path, generated, run_cli):
    broken = tmp_path / "broken.usda"
    broken.write_text("#usda 1.0\ndef Xform (\n")
    result = run_cli("audit", broken, "--against", generated, expect=2)
    assert "cannot open stage" in result.output and "broken.usda" in result.output

    lost = tmp_path / "lost" / "train-00000.usdc"  # a variant moved away from the source it sublayers
    lost.parent.mkdir()
    shutil.copy(generated / "train" / "train-00000.usdc", lost)
    result = run_cli("audit", lost, "--against", generated, expect=2)
    assert f"{lost}: does not compose: Could not load sublayer" in result.output

    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no USD stages found" in run_cli("audit", generated, "--against", empty, expect=2).output


def test_the_content_hash_ignores_layer_structure_and_encoding_but_not_values(tmp_path, generated):
    variant = generated / "train" / "train-00003.usdc"
    stage = Usd.Stage.Open(str(variant))
    stage.Export(str(tmp_path / "copy.usdc"))
    stage.Export(str(tmp_path / "copy.usda"))
    digests = {read_stage(p).content for p in (variant, tmp_path / "copy.usdc", tmp_path / "copy.usda")}
    assert len(digests) == 1
    layer = Sdf.Layer.FindOrOpen(str(tmp_path / "copy.usda"))
    layer.GetAttributeAtPath("/World/Lights/Key.inputs:intensity").default += 1.0
    layer.Save()
    assert read_stage(tmp_path / "copy.usda").content not in digests


def test_values_are_encoded_in_their_own_precision():
    # a float attribute read as the double 0.1f and as float32's 0.1 is one stored value
    assert value_bytes(0.10000000149011612, "float") == value_bytes(0.1, "float")
    assert value_bytes(0.1, "double") != value_bytes(0.10000000149011612, "double")
    assert value_bytes(Sdf.AssetPath("/abs/tex/wood.png"), "asset") == value_bytes(Sdf.AssetPath("./wood.png"),
                                                                                    "asset")
