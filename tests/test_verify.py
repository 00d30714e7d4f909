"""verify: untouched output passes; every kind of tampering fails with the check and file named."""

import hashlib
import json
import shutil

import pytest
from pxr import Sdf

from stages import edit_first


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


@pytest.mark.parametrize("layer_format", ["usdc", "usda"])
def test_edited_value_in_variant_layer(request, run_cli, layer_format):
    """A value changed and the layer saved again through Sdf (crate or text alike) is named by its attribute."""
    out = request.getfixturevalue("generated" if layer_format == "usdc" else "generated_usda")
    edit_first(out / "train" / f"train-00003.{layer_format}", "physics:staticFriction", 0.123)
    _fails(run_cli, out, "FAIL  hashes", f"train/train-00003.{layer_format}", "physics:staticFriction is 0.123")


def test_added_override_in_variant_layer(generated_usda, run_cli):
    p = generated_usda / "holdout" / "holdout-00001.usda"
    p.write_text(p.read_text().replace('over "Rubber"\n        {',
                                       'over "Rubber"\n        {\n            float physics:density = 1\n', 1))
    _fails(run_cli, generated_usda,
           "holdout/holdout-00001.usda: /World/Materials/Rubber.physics:density = 1.0 is not in the plan")


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_variant_in_the_other_layer_format_is_refused(generated, run_cli):
    """A usdc set's variant exported again as usda text (every value the same) and listed under its new name
    and hash: verify refuses it for its format, not for a value."""
    p = generated / "train" / "train-00002.usdc"
    q = p.with_suffix(".usda")
    q.write_text(Sdf.Layer.FindOrOpen(str(p)).ExportToString())
    p.unlink()
    _edit_manifest(generated, lambda m: m["variants"][2].update(path="train/train-00002.usda", sha256=_sha256(q)))
    result = _fails(run_cli, generated, "ok    hashes", "FAIL  rederive")  # listed as it is: only its format is wrong
    checks = {c["name"]: c for c in json.loads(run_cli("verify", generated, "--json", expect=1).output)["checks"]}
    assert [(f["file"], f["message"]) for f in checks["rederive"]["findings"]] == [
        ("train/train-00002.usda", "named .usda, but the manifest records layer_format usdc"),
        ("train/train-00002.usda", "a usda layer, but the manifest records layer_format usdc: the seeds give its "
                                   "usdc bytes")], result.output


def test_usda_text_under_a_usdc_name_is_refused(generated, run_cli):
    p = generated / "train" / "train-00001.usdc"
    p.write_text(Sdf.Layer.FindOrOpen(str(p)).ExportToString())
    _edit_manifest(generated, lambda m: m["variants"][1].update(sha256=_sha256(p)))
    _fails(run_cli, generated, "train/train-00001.usdc: a usda layer, but the manifest records layer_format usdc",
           "train/train-00001.usdc: not a readable USD layer")


@pytest.mark.parametrize("layer_format", ["usdc", "usda"])
def test_a_layer_edited_outside_its_values_is_refused(request, run_cli, layer_format):
    """verify holds a usdc layer to its content (Sdf's text of it byte for byte), not to re-encoded crate bytes, and
    its bytes to the manifest's sha256: a layer saved again by Sdf with one more piece of layer metadata and every
    value the same, its new hash in the manifest, fails `rederive`; saved again unchanged (Sdf's in-place save
    writes other crate bytes for the same content) it fails only `hashes` (and `croissant`, which lists the hash once
    the manifest does), never `rederive`."""
    out = request.getfixturevalue("generated" if layer_format == "usdc" else "generated_usda")
    p = out / "train" / f"train-00001.{layer_format}"
    layer = Sdf.Layer.FindOrOpen(str(p))
    assert layer.Save(force=True)
    result = run_cli("verify", out, expect=None)
    if layer_format == "usdc":
        assert "FAIL  hashes" in result.output and "ok    rederive" in result.output, result.output
    _edit_manifest(out, lambda m: m["variants"][1].update(sha256=_sha256(p)))
    result = run_cli("verify", out, expect=None)
    assert "ok    hashes" in result.output and "ok    rederive" in result.output, result.output
    layer.comment = "touched up by hand"
    assert layer.Save()
    _edit_manifest(out, lambda m: m["variants"][1].update(sha256=_sha256(p)))
    _fails(run_cli, out, "ok    hashes", "FAIL  rederive",
           f"train/train-00001.{layer_format}: authored values match but the file differs from the re-derived "
           f"{layer_format} layer")


def test_a_manifest_claiming_the_other_layer_format_fails(generated, run_cli):
    _edit_manifest(generated, lambda m: m.update(layer_format="usda"))
    _fails(run_cli, generated, "train/train-00000.usdc: named .usdc, but the manifest records layer_format usda",
           "train/train-00000.usdc: a usdc layer, but the manifest records layer_format usda")
    _edit_manifest(generated, lambda m: m.update(layer_format="usdz"))
    _fails(run_cli, generated, "does not match the manifest schema at layer_format")


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
    (generated / "holdout" / "holdout-00003.usdc").unlink()
    _fails(run_cli, generated, "holdout/holdout-00003.usdc: listed in the manifest but missing")


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
    _fails(run_cli, generated, "FAIL  rederive", "holdout/holdout-00000.usdc")


def test_edited_hash(generated, run_cli):
    _edit_manifest(generated, lambda m: m["variants"][0].update(sha256="0" * 64))
    _fails(run_cli, generated, "train/train-00000.usdc: sha256")


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


# A tampered manifest must end in exit 1 with a clear message, never a traceback (CliRunner reports an
# uncaught exception as exit code 1 too, so these tests also check that the exit came from SystemExit).
def _fails_cleanly(run_cli, out, *needles):
    result = _fails(run_cli, out, *needles)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _set(path, value):
    def edit(m):
        *head, last = path
        for k in head:
            m = m[k]
        if value is _DELETE:
            del m[last]
        else:
            m[last] = value
    return edit


_DELETE = object()


@pytest.mark.parametrize("path, value, needle", [
    (("counts", "train"), -1, "counts.train"),
    (("counts", "train"), 10**30, "counts"),
    (("counts", "holdout"), "4", "counts.holdout"),
    (("counts", "holdout"), _DELETE, "counts.holdout"),
    (("counts", "train"), 13, "counts.train is 13 but the manifest lists 12 train variants"),
    (("config", "body"), _DELETE, "config.body"),
    (("config", "sha256"), 0, "config.sha256"),
    (("seeds", "train"), _DELETE, "seeds.train"),
    (("variants", 3, "values_sha256"), _DELETE, "values_sha256"),
    (("variants", 3, "values_sha256"), None, "values_sha256"),
    (("variants", 3, "split"), "validation", "variants.3.split"),
    (("variants", 3, "id"), "train-00002", "variant id train-00002 is listed twice"),
    (("parameters", 0, "normalize", 1), True, "parameter table differs"),
    (("lineage", "owner"), "someone else", "lineage"),
    (("source", "up_axis"), "Y", "source.up_axis is 'Y', the copied source says 'Z'"),
    (("source", "meters_per_unit"), 0.01, "source.meters_per_unit"),
    (("source", "sha256"), "0" * 64, "source.sha256"),
])
def test_tampered_manifest_fails_cleanly(generated, run_cli, path, value, needle):
    _edit_manifest(generated, _set(path, value))
    _fails_cleanly(run_cli, generated, needle)


def test_values_file_rewritten_with_equal_numbers_fails(generated, run_cli):
    """1.0 written as 1 (or true) compares equal in Python but is not the file generate wrote."""
    p = generated / "train" / "train-00000.values.json"
    values = json.loads(p.read_text())
    key = next(k for k, v in values.items() if isinstance(v, float))
    values[key] = int(values[key]) if values[key].is_integer() else values[key]
    values["/World/Lights/Key.inputs:enableColorTemperature"] = 1
    p.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")
    _edit_manifest(generated, lambda m: m["variants"][0].update(
        values_sha256=__import__("hashlib").sha256(p.read_bytes()).hexdigest()))
    _fails_cleanly(run_cli, generated, "train/train-00000.values.json")


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    from click.testing import CliRunner

    from stages import CONFIG, write
    from twinsplit.cli import main

    tmp = tmp_path_factory.mktemp("fuzz")
    src, cfg = write(tmp), tmp / "twin.yaml"
    cfg.write_text(CONFIG)
    out = tmp / "out"
    assert CliRunner().invoke(main, ["generate", str(src), "--config", str(cfg), "--out", str(out),
                                     "--train", "3", "--holdout", "2"]).exit_code == 0
    return out


def _leaf_paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaf_paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaf_paths(v, prefix + (i,))
    if prefix:
        yield prefix


def test_fuzzed_manifest_never_crashes_verify(small_set):
    """Any single JSON value replaced or deleted: verify exits 0 or 1 with messages, never a traceback."""
    from click.testing import CliRunner
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from twinsplit.cli import main

    path = small_set / "manifest.json"
    original = path.read_text()
    manifest = json.loads(original)
    paths = sorted(_leaf_paths(manifest), key=repr)
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                        st.text(max_size=8), st.sampled_from(["train", "holdout", "0" * 64, "-1", "../x"]))
    values = st.one_of(st.just(_DELETE),
                       st.recursive(scalars, lambda c: st.lists(c, max_size=3)
                                    | st.dictionaries(st.text(max_size=4), c, max_size=3), max_leaves=5))

    @settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(paths), values)
    def check(where, value):
        m = json.loads(original)
        _set(where, value)(m)
        path.write_text(json.dumps(m))
        result = CliRunner().invoke(main, ["verify", str(small_set)])
        assert result.exit_code in (0, 1) and isinstance(result.exception, (SystemExit, type(None))), (
            where, value, result.output, result.exception)
        assert "Traceback" not in result.output and "check crashed" not in result.output, (where, value, result.output)

    try:
        check()
    finally:
        path.write_text(original)
