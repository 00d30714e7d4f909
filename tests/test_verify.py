"""verify: untouched output passes; every kind of tampering fails with the check and file named."""

import json
import shutil

import pytest


def test_untouched_output_verifies(generated, run_cli):
    result = run_cli("verify", generated)
    assert "verified" in result.output


def test_json_output(generated, run_cli):
    data = json.loads(run_cli("verify", generated, "--json").output)
    assert data["ok"] is True and {c["name"] for c in data["checks"]} >= {"files", "hashes", "rederive", "disjointness"}


def _fails(run_cli, out, *needles):
    result = run_cli("verify", out, expect=1)
    for needle in needles:
        assert needle in result.output, result.output
    return result


def test_edited_value_in_variant_layer(generated, run_cli):
    p = generated / "train" / "train-00003.usda"
    text = p.read_text()
    import re

    edited = re.sub(r"(float physics:staticFriction = )[0-9.]+", r"\g<1>0.123", text, count=1)
    assert edited != text
    p.write_text(edited)
    _fails(run_cli, generated, "FAIL  hashes", "train/train-00003.usda", "physics:staticFriction is 0.123")


def test_added_override_in_variant_layer(generated, run_cli):
    p = generated / "holdout" / "holdout-00001.usda"
    p.write_text(p.read_text().replace('over "Rubber"\n        {', 'over "Rubber"\n        {\n            float physics:density = 1\n', 1))
    _fails(run_cli, generated, "holdout/holdout-00001.usda: /World/Materials/Rubber.physics:density = 1.0 is not in the plan")


def test_edited_values_file(generated, run_cli):
    p = generated / "train" / "train-00000.values.json"
    values = json.loads(p.read_text())
    key = "/World/Materials/Steel.physics:restitution"
    values[key] = 0.5
    p.write_text(json.dumps(values))
    _fails(run_cli, generated, "train/train-00000.values.json", key)


def test_added_file(generated, run_cli):
    (generated / "train" / "extra.usda").write_text("#usda 1.0\n")
    _fails(run_cli, generated, "FAIL  files", "train/extra.usda: present but not listed")


def test_removed_file(generated, run_cli):
    (generated / "holdout" / "holdout-00003.usda").unlink()
    _fails(run_cli, generated, "holdout/holdout-00003.usda: listed in the manifest but missing")


def test_changed_source(generated, run_cli):
    p = generated / "source" / "scene.usda"
    p.write_text(p.read_text().replace("float physics:mass = 5", "float physics:mass = 6"))
    _fails(run_cli, generated, "source/scene.usda: sha256")


def _edit_manifest(out, fn):
    p = out / "manifest.json"
    m = json.loads(p.read_text())
    fn(m)
    p.write_text(json.dumps(m, indent=2))


def test_edited_seed(generated, run_cli):
    _edit_manifest(generated, lambda m: m["seeds"]["holdout"].update(entropy="23"))
    _fails(run_cli, generated, "FAIL  rederive", "holdout/holdout-00000.usda")


def test_edited_hash(generated, run_cli):
    _edit_manifest(generated, lambda m: m["variants"][0].update(sha256="0" * 64))
    _fails(run_cli, generated, "train/train-00000.usda: sha256")


def test_edited_disjointness_claim(generated, run_cli):
    _edit_manifest(generated, lambda m: m["disjointness"].update(min_distance=0.9))
    _fails(run_cli, generated, "disjointness.min_distance: manifest says 0.9")


def test_edited_config_body(generated, run_cli):
    def edit(m):
        m["config"]["body"]["randomize"]["physics_materials"][0]["static_friction"]["high"] = 1.5
    _edit_manifest(generated, edit)
    _fails(run_cli, generated, "FAIL  config", "config sha256")


def test_removed_variant_from_manifest(generated, run_cli):
    _edit_manifest(generated, lambda m: m["variants"].pop())
    _fails(run_cli, generated, "holdout-00003: the seeds give this variant but the manifest does not list it")


@pytest.mark.parametrize("bad", ["../outside.usda", "/etc/passwd"])
def test_path_escaping_output_dir_is_refused(generated, run_cli, bad):
    _edit_manifest(generated, lambda m: m["variants"][0].update(path=bad))
    _fails(run_cli, generated, "escapes the output directory")


def test_not_an_output_dir(tmp_path, run_cli):
    result = run_cli("verify", tmp_path, expect=1)
    assert "no manifest.json" in result.output and "Traceback" not in result.output


def test_manifest_not_json(generated, run_cli):
    (generated / "manifest.json").write_text("{not json")
    result = run_cli("verify", generated, expect=1)
    assert "manifest.json: not valid JSON" in result.output


def test_moved_output_still_verifies(generated, tmp_path, run_cli):
    moved = tmp_path / "elsewhere" / "set"
    shutil.move(str(generated), moved)
    run_cli("verify", moved)
