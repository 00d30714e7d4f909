"""Parallel planning (write.chunks): the first draws in chunks on worker processes, rejection and redraws after,
give the same plan, and the same files, as drawing everything in one process."""

import hashlib
import json

import numpy as np
import pytest

from stages import OOD, write
from twinsplit.config import load_config
from twinsplit.plan.draw import make_plan
from twinsplit.scene.discover import load
from twinsplit.write.chunks import ChunkDrawer, chunk_ranges

MARGIN = ("seeds: {train: 1, holdout: 2}\nsplits: {min_margin: 0.05}\nrandomize:\n  physics_materials:\n"
          "    match: {paths: [/World/Materials/Rubber]}\n    restitution: {low: 0, high: 1}\n")


def test_chunk_ranges_cover_every_index_once():
    for n, w in ((1, 2), (7, 2), (100, 2), (1000, 3)):
        ranges = chunk_ranges(n, w)
        assert [i for a, b in ranges for i in range(a, b)] == list(range(n))
        assert max(b - a for a, b in ranges) <= 64


@pytest.mark.parametrize("body", [MARGIN, OOD], ids=["margin", "ood"])
def test_chunked_plan_equals_the_serial_plan_redraws_included(tmp_path, body):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(body)
    config, scene = load_config(cfg), load(src)[1]
    entropy = {"train": 1, "holdout": 2}
    serial = make_plan(scene, config, 12, 9, entropy)
    ticks = []
    with ChunkDrawer(scene, config, 2, ticks.append) as drawer:
        chunked = make_plan(scene, config, 12, 9, entropy, drawer=drawer)
    assert sum(ticks) == 21 and len(ticks) > 2  # fed chunk by chunk from the workers
    if body is MARGIN:
        assert serial.splits["holdout"].redraws.sum() > 0  # rejection did redraw
    for s in ("train", "holdout"):
        np.testing.assert_array_equal(serial.splits[s].draws, chunked.splits[s].draws)
        np.testing.assert_array_equal(serial.splits[s].redraws, chunked.splits[s].redraws)


def _hashes(out):
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_workers_1_and_2_write_the_same_files_with_redraws(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(MARGIN)
    for w in (1, 2):
        run_cli("generate", src, "--config", cfg, "--out", tmp_path / f"w{w}", "--train", 10, "--holdout", 8,
                "--workers", w)
    assert _hashes(tmp_path / "w1") == _hashes(tmp_path / "w2")
    assert json.loads((tmp_path / "w2" / "manifest.json").read_text())["disjointness"]["redraws"]["holdout"] > 0


def test_verify_with_two_workers_says_what_one_says(tmp_path, run_cli):
    """verify --workers 2 re-derives in chunks on two processes: the same lines as one worker, on an intact set and
    on one with a tampered variant (a redrawn holdout, so the saved stream states are used)."""
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(MARGIN)
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 10, "--holdout", 8)
    said = {w: run_cli("verify", out, "--workers", w).output for w in (1, 2)}
    assert said[1] == said[2] and "18 variants re-derived" in said[2]
    values = out / "holdout" / "holdout-00003.values.json"
    values.write_text(values.read_text().replace("0.", "0.1", 1))
    failed = {w: run_cli("verify", out, "--workers", w, expect=1).output for w in (1, 2)}
    assert failed[1] == failed[2] and "holdout-00003.values.json" in failed[2]
