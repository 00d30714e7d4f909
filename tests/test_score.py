"""`twinsplit score OUT RESULTS`: split means and gap with bootstrap intervals, attribution, the score record."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from stages import CONFIG, OOD, write
from twinsplit.score import bootstrap as bs


@pytest.fixture(scope="module")
def scored_set(tmp_path_factory):
    """40 train + 20 holdout variants of the small stage, generated through the CLI."""
    from click.testing import CliRunner

    from twinsplit.cli import main

    tmp = tmp_path_factory.mktemp("score")
    src = write(tmp)
    cfg = tmp / "twin.yaml"
    cfg.write_text(CONFIG)
    out = tmp / "set"
    r = CliRunner().invoke(main, ["generate", str(src), "--config", str(cfg), "--out", str(out), "--train", "40",
                                  "--holdout", "20"])
    assert r.exit_code == 0, r.output
    return out


def manifest(out):
    return json.loads((out / "manifest.json").read_text())


def written(out, name: str) -> dict[str, float]:
    """Each variant's value of parameter `name` as its values file records it (read independently of score)."""
    return {v["id"]: json.loads((out / v["values_path"]).read_text())[name] for v in manifest(out)["variants"]}


def friction_results(out, path, episodes: int = 4, seed: int = 7):
    """Success depends on one material's static friction alone (plus noise): likely above 0.65, rare below."""
    m = manifest(out)
    name = next(p["name"] for p in m["parameters"] if p["name"].endswith("physics:staticFriction"))
    value = written(out, name)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    lines = ["variant,episode,success,steps"]
    for vid, x in value.items():
        for e in range(episodes):
            lines.append(f"{vid},{e},{int(rng.random() < (0.9 if x > 0.65 else 0.15))},{rng.integers(10, 99)}")
    path.write_text("\n".join(lines) + "\n")
    return name, value


def test_the_parameter_success_depends_on_ranks_first(scored_set, run_cli, tmp_path):
    results = tmp_path / "results.csv"
    name, value = friction_results(scored_set, results)
    dest = tmp_path / "score.json"
    out = run_cli("score", scored_set, results, "--format", "json", "-o", dest).output
    rec = json.loads(out)
    assert dest.read_text() == out  # what --format json prints is the record written
    s = rec["score"]
    assert s["metric"] == "success" and s["metrics"] == ["success", "steps"]
    top = s["attribution"][0]
    assert top["parameter"] == name and top["kind"] == "parameter"
    assert top["rho"] > 0.5 and top["p_value"] <= 0.002 and top["p_adjusted"] < 0.05
    assert top["importance"] > 5 * max(a["importance"] for a in s["attribution"][1:])
    # the metric drops where friction is low: the reported range lies below the true threshold's neighbourhood
    assert top["drop"]["high"] < 0.72 and top["drop"]["mean_inside"] < 0.4
    assert all(a["parameter"] in {p["name"] for p in manifest(scored_set)["parameters"]} for a in s["attribution"])
    assert s["variants"] == {"listed": 60, "scored": 60, "without_results": {"count": 0, "ids": []}}
    assert s["rows"] == 240 and s["splits"]["train"]["episodes"] == 160


def test_record_cites_both_files_sits_beside_out_and_is_deterministic(scored_set, run_cli, tmp_path):
    results = tmp_path / "r.csv"
    friction_results(scored_set, results)
    text = run_cli("score", scored_set, results).output
    dest = scored_set.parent / "set-score.json"  # default: beside OUT, named after it
    assert f"score record: {dest}" in text and "train -> holdout gap" in text
    rec = json.loads(dest.read_text())
    assert rec["set"]["manifest_sha256"] == hashlib.sha256((scored_set / "manifest.json").read_bytes()).hexdigest()
    assert rec["results"] == {"name": "r.csv", "sha256": hashlib.sha256(results.read_bytes()).hexdigest()}
    first = dest.read_bytes()
    run_cli("score", scored_set, results)
    assert dest.read_bytes() == first  # fixed SeedSequence: the same inputs give the same score
    assert "verified: the independence proof holds" in run_cli("verify", scored_set).output  # OUT untouched
    refused = run_cli("score", scored_set, results, "-o", scored_set / "s.json", expect=1)
    assert "may not go inside OUT" in refused.output and not (scored_set / "s.json").exists()


def test_unknown_ids_and_duplicate_keys_exit_2_naming_them(scored_set, run_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,success\ntrain-00000,1\nholdout-00777,0\ntrain-99999,1\n")
    r = run_cli("score", scored_set, bad, expect=2)
    assert "2 variant id(s) the manifest does not list: holdout-00777, train-99999" in r.output
    dup = tmp_path / "dup.csv"
    dup.write_text("variant,episode,success\ntrain-00000,0,1\ntrain-00000,0,0\ntrain-00001,0,1\n")
    r = run_cli("score", scored_set, dup, expect=2)
    assert "duplicate (variant, episode) key(s): train-00000/0" in r.output
    cols = tmp_path / "cols.csv"
    cols.write_text("variant,success,success\ntrain-00000,1,0\n")
    assert "duplicate column(s) success" in run_cli("score", scored_set, cols, expect=2).output
    lines = tmp_path / "dup.jsonl"
    lines.write_text('{"variant": "train-00000", "success": 1}\n'
                     '{"variant": "train-00001", "success": 1, "success": 0}\n')
    assert "line 2: duplicate key(s) success" in run_cli("score", scored_set, lines, expect=2).output
    r = run_cli("score", scored_set, bad, "--metric", "reward", expect=2)
    assert "no metric column 'reward'; metrics: success" in r.output


def test_jsonl_results_and_variants_without_results(scored_set, run_cli, tmp_path):
    results = tmp_path / "r.jsonl"
    ids = [v["id"] for v in manifest(scored_set)["variants"]]
    rng = np.random.default_rng(3)
    results.write_text("".join(json.dumps({"variant": v, "success": bool(rng.random() < 0.7), "note": "x"}) + "\n"
                               for v in ids[:-3] for _ in range(2)))
    rec = json.loads(run_cli("score", scored_set, results, "--format", "json").output)
    s = rec["score"]
    assert s["variants"]["without_results"] == {"count": 3, "ids": ids[-3:]}
    assert s["ignored_columns"] == ["note"] and s["binary"] is True
    assert s["splits"]["holdout"]["variants"] == 17 and s["splits"]["train"]["variants"] == 40
    text = run_cli("score", scored_set, results).output
    assert f"3 variants without results: {', '.join(ids[-3:])}" in text


def test_the_gap_interval_covers_the_true_gap_in_simulated_sets():
    """40 simulated sets with a known gap (success 0.8 in train, 0.65 in holdout, a per-variant spread and 3
    episodes each): the 95 % interval covers the true gap in at least 34. Seeded, so the count is fixed; at the
    nominal 95 % the chance of 33 or fewer is below 1 %, so a failure here means the interval is too narrow."""
    covered = 0
    root = np.random.SeedSequence(2026)
    for k, seq in enumerate(root.spawn(40)):
        rng = np.random.default_rng(seq)
        groups = []
        for split, n, p in (("train", 60, 0.8), ("holdout", 30, 0.65)):
            per_variant_p = np.clip(p + rng.uniform(-0.1, 0.1, n), 0, 1)
            episodes = rng.random((n, 3)) < per_variant_p[:, None]
            groups.append(bs.group(episodes.mean(axis=1), np.full(n, 3), f"sim {k} {split}"))
        lo, hi = bs.gap(*groups)["ci95"]
        covered += lo <= 0.65 - 0.8 <= hi
    assert covered >= 34, covered


def test_ood_regions_and_holdout_only_kinds_are_scored_apart(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "ood.yaml"
    cfg.write_text(OOD)
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 20, "--holdout", 8)
    results = tmp_path / "r.csv"
    results.write_text("variant,success\n" + "".join(
        f"{v['id']},{1 if v['split'] == 'train' else 0}\n" for v in manifest(out)["variants"]))
    s = json.loads(run_cli("score", out, results, "--format", "json").output)["score"]
    (region,) = s["regions"]
    assert region["region"] == "slippery" and region["variants"] == 8 and region["mean"] == 0.0
    assert region["gap"]["gap"] == -1.0 and s["gap"]["ci95"] == [-1.0, -1.0]
