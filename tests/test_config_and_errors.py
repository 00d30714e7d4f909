"""Bad input: one clear message, non-zero exit, nothing written."""

import json

import pytest

from stages import write

BASE = "seeds: {train: 1, holdout: 2}\nrandomize:\n  physics_materials:\n"


@pytest.mark.parametrize("body, needle", [
    ("    static_fricton: {low: 0.1, high: 0.5}\n", "static_fricton: unknown key"),
    ("    static_friction: {low: 0.9, high: 0.1}\n", "low (0.9) must be less than high (0.1)"),
    ("    static_friction: {low: .nan, high: 0.1}\n", "low must be a finite number"),
    ("    density: {distribution: loguniform, low: 0, high: 10}\n", "loguniform needs low > 0"),
    ("    restitution: {distribution: normal, low: 0, high: 1, std: -1}\n", "std must be > 0"),
    ("    restitution: {low: 0, high: 1, holdout: {low: 2, high: 1}}\n",
     "holdout range: low (2.0) must be less than high (1.0)"),
    ("    restitution: {distribution: choice}\n", "needs a non-empty `choices` list"),
    ("    restitution: {distribution: gaussian, low: 0, high: 1}\n", "distribution"),
    # words for a float attribute: named at bind time, not a USD error when the first variant is written
    ("    static_friction: {distribution: choice, choices: [low, high]}\n",
     "static_friction: choices 'low', 'high' are not float values"),
    ("    restitution: {distribution: choice, choices: [0.1, true]}\n", "choices True are not float values"),
])
def test_bad_config_values(tmp_path, run_cli, body, needle):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(BASE + body)
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2, expect=1)
    assert needle in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_selector_matching_nothing_names_the_selector(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(BASE + "    match: {paths: [/World/NoSuch/**]}\n    restitution: {low: 0, high: 1}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2, expect=1)
    assert "randomize.physics_materials[0].match: selector(paths=['/World/NoSuch/**']) matched no prim" in result.output


def test_malformed_usd_is_exit_2(tmp_path, run_cli):
    bad = tmp_path / "bad.usda"
    bad.write_text("#usda 1.0\ndef Xform \"World\" {\n  float x = \n")
    result = run_cli("generate", bad, "--out", tmp_path / "o", "--train", 1, "--holdout", 1, expect=2)
    assert "cannot open stage" in result.output and "bad.usda" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_missing_source_and_config(tmp_path, run_cli):
    result = run_cli("generate", tmp_path / "nope.usda", "--out", tmp_path / "o", "--train", 1, "--holdout", 1,
                     expect=2)
    assert "no such file" in result.output
    src = write(tmp_path)
    result = run_cli("generate", src, "--config", tmp_path / "nope.yaml", "--out", tmp_path / "o", "--train", 1,
                     "--holdout", 1, expect=2)
    assert "cannot read config" in result.output and "nope.yaml" in result.output


def test_unparseable_yaml(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("randomize: [unclosed\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 1, "--holdout", 1, expect=2)
    assert "cannot parse config" in result.output


def test_existing_output_dir_needs_force(generated, small, run_cli):
    src, cfg = small
    before = (generated / "manifest.json").read_bytes()
    result = run_cli("generate", src, "--config", cfg, "--out", generated, "--train", 2, "--holdout", 2, expect=1)
    assert "exists and is not empty" in result.output and "--force" in result.output
    assert (generated / "manifest.json").read_bytes() == before
    run_cli("generate", src, "--config", cfg, "--out", generated, "--train", 2, "--holdout", 2, "--force")
    assert json.loads((generated / "manifest.json").read_text())["counts"] == {"train": 2, "holdout": 2}
    assert not list(generated.parent.glob(".out.*"))  # no temp or old dirs left behind


def test_equal_seeds_are_refused(small, tmp_path, run_cli):
    src, cfg = small
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 1, "--holdout", 1,
                     "--seed-train", 5, "--seed-holdout", 5, expect=1)
    assert "seeds are equal" in result.output


def test_config_that_randomizes_nothing(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 1, "--holdout", 1, expect=1)
    assert "randomizes nothing" in result.output


def test_checked_in_schemas_match_the_models(run_cli):
    from conftest import REPO

    for name in ("config", "manifest"):
        printed = run_cli("schema", name).output
        assert json.loads(printed)["title"]
        assert (REPO / "schemas" / f"{name}.schema.json").read_text() == printed, f"run `make schemas` ({name})"


def test_two_blocks_writing_one_attribute_is_an_error(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\nrandomize:\n  physics_materials:\n"
                   "    - restitution: {low: 0, high: 0.5}\n"
                   "    - {match: {paths: [/World/Materials/Steel]}, restitution: {low: 0.5, high: 1}}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2, expect=1)
    assert ("randomize.physics_materials[0] and randomize.physics_materials[1] both write "
            "/World/Materials/Steel.physics:restitution") in result.output
    assert not (tmp_path / "o").exists()


def test_split_choices_override_does_not_inherit_weights_of_other_choices(tmp_path, run_cli):
    """`holdout: {choices: [...]}` replaces the choices; weights given for the old list do not apply."""
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(BASE + "    restitution: {distribution: choice, choices: [0.1, 0.2, 0.3], weights: [1, 2, 3],"
                          " holdout: {choices: [0.5, 0.7]}}\n    static_friction: {low: 0.1, high: 0.9}\n")
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 3, "--holdout", 4)
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    ranges = next(p["ranges"] for p in m["parameters"] if p["key"] == "restitution")
    assert ranges["holdout"]["weights"] == [0.5, 0.5] and ranges["train"]["weights"] == [1 / 6, 2 / 6, 3 / 6]
