"""Config `reference:`: real measurements copied into the set, per-parameter KS / Wasserstein distances of train
and holdout to them (equal to scipy's on the same arrays), `distribution: empirical` drawing from them, verify
recomputing both, and the report's anchors section."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
import yaml
from scipy.stats import ks_2samp, wasserstein_distance

from browser import needs_chromium, screenshot
from stages import write

FRICTION = [0.78, 0.81, 0.80, 0.83, 0.79, 0.82, 0.80, 0.77]  # friction tests on the site's floor
INTENSITY = [0.9, 1.1, 1.0, 1.3]


def config(reference="floor.csv", empirical=True) -> dict:
    friction = {"low": 0.3, "high": 1.0} | ({"distribution": "empirical"} if empirical else {})
    return {"seeds": {"train": 11, "holdout": 22}, "reference": reference,
            "randomize": {"physics_materials": {"static_friction": friction,
                                                "restitution": {"low": 0.0, "high": 0.5}},
                          "lighting": {"intensity": {"low": 0.5, "high": 2.0, "operation": "scale"}}}}


def csv_text() -> str:
    return "parameter,value\n" + "".join(f"static_friction,{x}\n" for x in FRICTION) + "".join(
        f"/World/Lights/Key.inputs:intensity,{x}\n" for x in INTENSITY)


def generate(tmp, run_cli, cfg: dict, name="set", expect=0, n_train=20, n_holdout=10, csv=None):
    src = tmp / "scene.usda"
    if not src.is_file():
        write(tmp)
    (tmp / "inputs").mkdir(exist_ok=True)
    (tmp / "inputs" / "floor.csv").write_text(csv if csv is not None else csv_text())
    path = tmp / "inputs" / f"{name}.yaml"  # `reference:` resolves beside the config file
    path.write_text(yaml.safe_dump(cfg))
    out = tmp / name
    r = run_cli("generate", src, "--config", path, "--out", out, "--train", n_train, "--holdout", n_holdout,
                expect=expect)
    return out, r


@pytest.fixture(scope="module")
def ref_set(tmp_path_factory, run_cli):
    tmp = tmp_path_factory.mktemp("reference")
    return generate(tmp, run_cli, config())[0]


def manifest(out):
    return json.loads((out / "manifest.json").read_text())


def test_the_reference_is_copied_with_its_hash_and_no_user_path(ref_set):
    m = manifest(ref_set)
    copied = ref_set / "reference" / "floor.csv"
    assert copied.read_text() == csv_text()
    ref = m["reference"]
    assert ref["path"] == "reference/floor.csv" and m["config"]["body"]["reference"] == "reference/floor.csv"
    assert ref["sha256"] == hashlib.sha256(copied.read_bytes()).hexdigest()
    assert str(ref_set.parent) not in (ref_set / "manifest.json").read_text()  # no path of the user's machine
    assert m["lineage"]["reference"]["sha256"] == ref["sha256"]
    assert ref["parameters"] == ["/World/Lights/Key.inputs:intensity", "static_friction"]


def test_distances_match_scipy_on_the_same_arrays(ref_set):
    from twinsplit.verify.set_plan import derive_plan

    m = manifest(ref_set)
    plan = derive_plan(ref_set, m, None)
    dist = m["reference"]["distances"]
    names = [p.name for p in plan.params]
    friction = [n for n in names if n.endswith("physics:staticFriction")]
    assert sorted(dist) == sorted(friction + ["/World/Lights/Key.inputs:intensity"])
    for name in dist:
        x = np.array(INTENSITY if name.endswith("intensity") else FRICTION)
        assert dist[name]["measurements"] == len(x)
        for split in ("train", "holdout"):
            col = plan.splits[split].draws[:, names.index(name)]
            ks = ks_2samp(col, x)
            assert dist[name][split] == {"ks": ks.statistic, "ks_pvalue": ks.pvalue,
                                         "wasserstein": wasserstein_distance(col, x), "n": len(col)}
    # the same figures, within float32 rounding, from the values the layers record (read without the plan)
    name = friction[0]
    col = [json.loads((ref_set / v["values_path"]).read_text())[name] for v in m["variants"] if v["split"] == "train"]
    assert wasserstein_distance(col, FRICTION) == pytest.approx(dist[name]["train"]["wasserstein"], abs=1e-6)


def test_empirical_draws_follow_the_measurements(ref_set):
    from twinsplit.blocks import empirical as emp

    m = manifest(ref_set)
    draws = [x for v in m["variants"] for k, x in json.loads((ref_set / v["values_path"]).read_text()).items()
             if k.endswith("physics:staticFriction")]
    assert len(draws) == 60  # two materials x 30 variants
    # smoothed around the measurements (0.77-0.83), inside the declared [0.3, 1.0]; uniform would fill it
    assert 0.3 <= min(draws) and max(draws) <= 1.0 and 0.7 < np.median(draws) < 0.9
    assert np.mean([abs(d - 0.8) < 0.1 for d in draws]) > 0.9
    assert len(set(draws)) > 50  # smoothed, not resampled as is
    assert m["lineage"]["reference"]["empirical"] == sorted(
        p["name"] for p in m["parameters"] if p["distribution"] == "empirical")
    assert m["lineage"]["reference"]["bandwidth"] == emp.BANDWIDTH_RULE
    x = np.array(FRICTION)
    iqr = np.subtract(*np.percentile(x, [75, 25]))
    assert emp.fit(x, 0.3, 1.0).bandwidth == pytest.approx(0.9 * min(x.std(ddof=1), iqr / 1.34) * len(x) ** -0.2)


def test_empirical_sampler_is_a_gaussian_kde():
    """u -> measurement floor(u n) + h * normal deviate: the kernel density estimate's distribution."""
    from scipy.stats import gaussian_kde, kstest

    from twinsplit.blocks import empirical as emp

    x = np.array([1.0, 2.0, 2.5, 4.0])
    e = emp.fit(x, -10, 20)
    u = np.random.default_rng(0).random(20000)
    y = emp.draw(e, -10, 20, u)
    kde = gaussian_kde(x, bw_method=e.bandwidth / x.std(ddof=1))
    assert kstest(y, lambda t: np.array([kde.integrate_box_1d(-np.inf, s) for s in np.atleast_1d(t)])).pvalue > 0.01
    assert np.array_equal(emp.draw(e, -10, 20, u), y)  # the same u, the same values
    assert emp.draw(e, 1.5, 3.0, u).min() >= 1.5 and emp.draw(e, 1.5, 3.0, u).max() <= 3.0


def test_verify_recomputes_the_distances_and_the_copy(ref_set, run_cli, tmp_path):
    assert "ok    anchors" in run_cli("verify", ref_set).output
    tampered = tmp_path / "t1"
    shutil.copytree(ref_set, tampered)
    (tampered / "reference" / "floor.csv").write_text(csv_text() + "static_friction,0.1\n")
    out = run_cli("verify", tampered, expect=1).output
    assert "FAIL  hashes" in out and "reference/floor.csv: sha256" in out
    edited = tmp_path / "t2"
    shutil.copytree(ref_set, edited)
    m = manifest(edited)
    next(iter(m["reference"]["distances"].values()))["train"]["ks"] = 0.01
    (edited / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
    out = run_cli("verify", edited, expect=1).output
    assert "manifest reference differs from what the config and the re-derived plan give" in out


def test_same_command_twice_is_byte_identical(ref_set, run_cli, tmp_path):
    again, _ = generate(tmp_path, run_cli, config(), name="again")
    files = sorted(p.relative_to(ref_set) for p in ref_set.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (ref_set / rel).read_bytes() == (again / rel).read_bytes(), rel


@pytest.mark.parametrize("cfg, csv, needle", [
    ({"reference": "missing.csv"}, None, "cannot read reference missing.csv"),
    ({}, "parameter,value\nno_such_key,1\n", "'no_such_key' names no parameter"),
    ({}, "param,val\nstatic_friction,1\n", "the first row must be the header `parameter,value`"),
    ({}, "parameter,value\nstatic_friction,abc\n", "line 2: value 'abc' is not a finite number"),
    ({}, "parameter,value\nrestitution,0.1\n", "has distribution empirical but the config's reference: gives no"),
])
def test_bad_references_exit_2(tmp_path, run_cli, cfg, csv, needle):
    out, r = generate(tmp_path, run_cli, config() | cfg, expect=2, n_train=2, n_holdout=1, csv=csv)
    assert needle in r.output and "Traceback" not in r.output and not out.exists()


@pytest.fixture(scope="module")
def anchors_report(ref_set):
    from click.testing import CliRunner

    from twinsplit.cli import main

    dest = ref_set.parent / "report.html"
    r = CliRunner().invoke(main, ["report", str(ref_set), "-o", str(dest)])
    assert r.exit_code == 0, r.output
    return dest


def test_the_report_renders_the_anchors_section(anchors_report, ref_set):
    html = anchors_report.read_text()
    assert '<h2 id="anchors">Anchors to reality</h2>' in html and "Distance to the reference measurements" in html
    dist = manifest(ref_set)["reference"]["distances"]
    assert html.count("<tr><td><code>/World/") >= len(dist)
    assert f"{dist['/World/Lights/Key.inputs:intensity']['train']['ks']:.3g}" in html


@needs_chromium
def test_chromium_renders_the_anchors_section(anchors_report, tmp_path):
    from matplotlib import image

    shot = screenshot(anchors_report, tmp_path, 6000)
    rgb = (image.imread(shot)[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 50


def test_empirical_in_a_block_that_draws_its_own_values_exits_2(tmp_path, run_cli):
    cfg = config() | {"randomize": {"layout": {"offset": {"low": -0.5, "high": 0.5, "distribution": "empirical"}}}}
    out, r = generate(tmp_path, run_cli, cfg, expect=2, n_train=2, n_holdout=1,
                      csv="parameter,value\ndx,0.1\ndx,0.2\ndy,0.0\n")
    assert "randomize.layout[0]: distribution empirical is not supported by layout" in r.output
    assert "Traceback" not in r.output and not out.exists()
