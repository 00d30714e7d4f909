"""A pin of generated output: a small warehouse set (physics materials, lighting, layout and one event; 3 train
+ 2 holdout, fixed seeds) must hash to the values in output_pin.json, so any change to what twinsplit writes is
deliberate and visible in review. Re-pin after a deliberate change with

    TWINSPLIT_UPDATE_PIN=1 pytest tests/test_output_pin.py

and commit output_pin.json with the change that caused it."""

import hashlib
import json
import os
from pathlib import Path

import pytest

from conftest import REPO
from twinsplit.manifest import usd_version

PIN = Path(__file__).with_name("output_pin.json")
SCENE = REPO / "sample_scenes" / "warehouse" / "warehouse.usda"
CONFIG = """
seeds: {train: 11, holdout: 22}
randomize:
  physics_materials:
    static_friction: {low: 0.5, high: 1.0}
    restitution: {low: 0.0, high: 0.4}
  lighting:
    intensity: {distribution: loguniform, low: 0.5, high: 2.0, operation: scale}
    color_temperature: {low: 3000, high: 6500}
  layout:
    offset: {low: -0.3, high: 0.3}
    yaw: {low: -15, high: 15}
    keep_out: [/World/Regions/LoadingDockLane]
events:
  person_enters_corridor: {region: aisle}
"""


def _hashes(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_generated_output_matches_the_pin(tmp_path, run_cli):
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    out = tmp_path / "pinned"
    run_cli("generate", SCENE, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2)
    manifest = json.loads((out / "manifest.json").read_text())
    # the pinned set exercises every stage of the pipeline it means to pin
    assert {p["source"] for p in manifest["parameters"]} == {
        "randomize.physics_materials[0]", "randomize.lighting[0]", "randomize.layout[0]",
        "events.person_enters_corridor[0]"}
    assert [len(v["events"]) for v in manifest["variants"]] == [1] * 5
    actual = _hashes(out)
    if os.environ.get("TWINSPLIT_UPDATE_PIN") == "1":
        PIN.write_text(json.dumps({"usd_version": usd_version(), "sha256": actual}, indent=2) + "\n")
    pin = json.loads(PIN.read_text())
    if pin["usd_version"] != usd_version():
        pytest.skip(f"output_pin.json was made with USD {pin['usd_version']}, this is USD {usd_version()}: a "
                    "different USD writes different layer text (TWINSPLIT_UPDATE_PIN=1 re-pins)")
    expected = pin["sha256"]
    changed = sorted(k for k in actual.keys() & expected.keys() if actual[k] != expected[k])
    added, removed = sorted(actual.keys() - expected.keys()), sorted(expected.keys() - actual.keys())
    assert not (changed or added or removed), (
        f"generated output differs from tests/output_pin.json: changed {changed}, written but not pinned {added}, "
        f"pinned but not written {removed}. "
        "If the change is deliberate, re-pin with `TWINSPLIT_UPDATE_PIN=1 pytest tests/test_output_pin.py` and "
        "commit tests/output_pin.json with it; if not, the change altered output by accident.")
