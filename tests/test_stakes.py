"""splits.stakes: generate refuses an invocation that cannot meet its profile, naming what is missing; verify
reports the profile met, and fails when a requirement is missing from the set (issue 14, item 2)."""

from __future__ import annotations

import json

import pytest

from conftest import REPO
from stages import CONFIG, write
from test_holdout_source import second_stage
from twinsplit.plan.stakes import MIN_MARGIN, PROFILES, evidence, missing
from twinsplit.verify.core import verify

HOSPITAL = REPO / "sample_scenes" / "hospital_corridor" / "hospital_corridor.usda"
# a kind training never sees (its leak signature lets verify search every train layer for it)
HELD = ("seeds: {train: 11, holdout: 22}\nrandomize:\n  physics_materials:\n    restitution: {low: 0, high: 0.5}\n"
        "    static_friction: {low: 0.3, high: 1.0}\nevents:\n  alarm_reroute: {holdout_only: true}\n")


def _config(tmp_path, text: str, stakes: str, margin: float = 0.02, seeds: str | None = None):
    body = text.replace("seeds: {train: 11, holdout: 22}", seeds or "seeds: {train: 11, holdout: 22}")
    cfg = tmp_path / f"{stakes}.yaml"
    cfg.write_text(body + f"splits: {{stakes: {stakes}, min_margin: {margin}}}\n")
    return cfg


@pytest.fixture
def keys(tmp_path, run_cli):
    run_cli("keygen", "--out", tmp_path / "keys")
    return tmp_path / "keys" / "twinsplit.key", tmp_path / "keys" / "twinsplit.pub"


@pytest.mark.parametrize(("stakes", "text", "margin", "extra", "named"), [
    ("low", CONFIG, 0.01, [], ["splits.min_margin 0.01 is below 0.02"]),
    ("medium", CONFIG, 0.02, [], ["nothing is held out beyond the margin", "pass --sign KEY"]),
    ("medium", HELD.replace("{holdout_only: true}", "[{holdout_only: true}, {}]"), 0.02, ["sign"],
     ["an event kind whose every block is holdout_only"]),
    ("high", HELD, 0.02, ["sign"], ["below 0.05", "pass --holdout-source OTHER", "pass --seal KEY --holdout-out DIR"]),
])
def test_generate_refuses_what_cannot_meet_its_profile_naming_each_gap(tmp_path, keys, run_cli, stakes, text,
                                                                        margin, extra, named):
    src = write(tmp_path) if text is CONFIG else HOSPITAL
    cfg = _config(tmp_path, text, stakes, margin)
    out = tmp_path / "out"
    args = ["--sign", keys[0]] if "sign" in extra else []
    result = run_cli("generate", src, "--config", cfg, "--out", out, "--train", 4, "--holdout", 2, *args, expect=1)
    assert f"splits.stakes {stakes} cannot be met" in result.output
    for phrase in named:
        assert phrase in result.output
    assert not out.exists()


def test_a_medium_set_verifies_its_profile_and_fails_without_its_signature(tmp_path, keys, run_cli):
    src = HOSPITAL
    cfg = _config(tmp_path, HELD, "medium")
    out = tmp_path / "out"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 6, "--holdout", 3, "--sign", keys[0])
    result = run_cli("verify", out, "--pubkey", keys[1])
    assert "stakes: profile medium met" in result.output and "event kind alarm_reroute" in result.output
    # the signature unchecked: the profile is not shown
    stakes = {c.name: c for c in verify(out)}["stakes"]
    assert not stakes.ok and "pass --pubkey" in stakes.findings[0].message
    # the signature removed: the profile's requirement is missing
    (out / "attestation.json").unlink()
    stakes = {c.name: c for c in verify(out)}["stakes"]
    assert [f.message for f in stakes.findings] == ["stakes medium: the set is not signed: pass --sign KEY"]


def test_a_high_set_meets_its_profile(tmp_path, keys, run_cli):
    src = HOSPITAL
    other = second_stage(src, tmp_path / "rescan.usda")
    cfg = _config(tmp_path, HELD, "high", 0.05, seeds="seeds: {train: 11}")
    out, held, key = tmp_path / "out", tmp_path / "held", tmp_path / "seal.key"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 6, "--holdout", 3, "--sign", keys[0],
            "--seal", key, "--holdout-out", held, "--holdout-source", other)
    checks = {c.name: c for c in verify(out, held, key, pubkey=keys[1])}
    assert all(c.ok for c in checks.values()), [f.text for c in checks.values() for f in c.findings]
    assert checks["stakes"].detail.startswith("profile high met")
    assert "independent holdout source; sealed" in checks["stakes"].detail
    assert "shared fraction" in checks["holdout-source"].detail


def test_without_stakes_nothing_changes(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    out = tmp_path / "out"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 4, "--holdout", 2)
    body = json.loads((out / "manifest.json").read_text())["config"]["body"]
    assert "stakes" not in body["splits"] and "max_shared_fraction" not in body["splits"]
    assert {c.name: c for c in verify(out)}["stakes"].skipped


def test_each_profile_asks_at_least_what_the_one_below_asks():
    """Every gap of a profile is a gap of each profile above it: raising the stakes never accepts more."""
    weakest = evidence({}, signed=False, sealed=False, holdout_source=False)
    strongest = evidence({"splits": {"min_margin": 0.05, "mode": "ood", "holdout_regions": [{"name": "r"}]}},
                         signed=True, sealed=True, holdout_source=True)
    for lower, higher in zip(PROFILES, PROFILES[1:], strict=False):
        assert set(missing(lower, weakest)) <= set(missing(higher, weakest))
        assert MIN_MARGIN[lower] <= MIN_MARGIN[higher]
    assert all(missing(p, strongest) == [] for p in PROFILES)
