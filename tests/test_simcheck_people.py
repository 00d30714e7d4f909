"""Newton with people moving: a variant of the L-shaped corridor whose people walk around a parked cart plays in
Newton (CPU) with every kinematic person following its time samples, the cart left where it stands, and
`twinsplit simcheck` passing. Needs the `sim` extra (skips with its reason without it); Warp's kernels compile once
into its cache (see tests/test_simcheck.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from pxr import Usd

try:
    import newton  # noqa: F401
    import warp  # noqa: F401
except Exception as exc:  # any failure to import means: no simulator here
    pytest.skip(f"newton is not importable ({type(exc).__name__}: {exc}); install the sim extra: "
                "pip install -e '.[dev,sim]'", allow_module_level=True)

from test_people_sites import l_corridor  # noqa: E402
from twinsplit.scene.discover import open_stage  # noqa: E402
from twinsplit.sim.step import simulate  # noqa: E402
from twinsplit.sim.tracks import stage_facts  # noqa: E402


@pytest.mark.slow
def test_people_walking_in_newton_follow_their_samples_and_leave_the_cart_alone(tmp_path, run_cli):
    src = l_corridor(tmp_path / "l.usda")
    person = {"region": "/World/Regions/LegA", "goal": "bay", "count": 3, "window": [0, 30],
              "start": {"low": 0, "high": 0.5}, "direction": {"distribution": "choice", "choices": ["forward"]},
              "speed": {"low": 1.2, "high": 1.6}, "pause": {"low": 0, "high": 0.1}}
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"seeds": {"train": 3, "holdout": 4}, "events": {"person_enters_corridor": person}}))
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 1, "--holdout", 1)
    variant = out / "train" / "train-00000.usdc"
    stage = open_stage(variant)
    facts = stage_facts(stage)
    seconds = 4.0
    run = simulate(variant, stage, facts, seconds=seconds, hz=240)
    events = json.loads((out / "manifest.json").read_text())["variants"][0]["events"]
    people = {e["prim"]: np.asarray(e["parameters"]["entry"]) for e in events}
    early = {e["prim"] for e in events if e["start"] <= 1.0}  # (a crowded entry starts a person later)
    composed = Usd.Stage.Open(str(variant))
    moved = 0
    for prim, entry in people.items():
        i = run.bodies.index(prim)
        want = np.asarray(composed.GetPrimAtPath(prim).GetAttribute("xformOp:translate").Get(seconds * 24))
        assert np.allclose(run.final[i], want, atol=0.03), (prim, run.final[i], want)
        if prim in early:
            moved += np.linalg.norm(run.final[i] - entry) > 2.0
    assert early and moved == len(early)  # who started early is metres into its walk in Newton
    cart = run.bodies.index("/World/Cart")
    assert np.linalg.norm(run.final[cart] - run.start[cart]) < 0.01  # walked around, never pushed
    rep = json.loads(run_cli("simcheck", "--format", "json", out, expect=0).stdout)
    assert rep["summary"]["errors"] == 0
