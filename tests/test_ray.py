"""generate --executor ray runs the chunk tasks on a Ray cluster (here a local one of 2 CPUs) and writes the same
bytes as the local executor, layout included; verify --executor ray re-derives and compares the variants there with
the same result as a local verify. Skipped only when Ray (twinsplit[ray]) is not importable."""

import hashlib
import json

import pytest

from stages import box_stage
from test_layout_structures import site

ray = pytest.importorskip("ray")


def _hashes(out):
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_executor_writes_the_bytes_of_the_local_one(tmp_path, run_cli, cluster):
    src = box_stage(tmp_path / "site.usda", site(24))
    cfg = tmp_path / "cfg.yaml"
    run_cli("init", src, "-o", cfg)
    args = ("--config", cfg, "--train", 8, "--holdout", 4, "--seed-train", 3, "--seed-holdout", 4)
    run_cli("generate", src, *args, "--out", tmp_path / "local")
    run_cli("generate", src, *args, "--out", tmp_path / "ray", "--executor", "ray", "--workers", 2)
    assert len(_hashes(tmp_path / "local")) >= 12 * 2 + 2
    assert _hashes(tmp_path / "ray") == _hashes(tmp_path / "local")
    # verify on Ray: the same JSON as local, untouched and with a values file tampered
    out = tmp_path / "ray"
    for expect in (0, 1):
        said = [run_cli("verify", out, "--json", *extra, expect=expect).output
                for extra in ((), ("--executor", "ray", "--workers", 2))]
        assert said[0] == said[1] and json.loads(said[0])["ok"] is (expect == 0)
        p = out / "train" / "train-00004.values.json"
        p.write_text(p.read_text().replace(": ", ":  ", 1))  # the same values, other bytes
    assert "train/train-00004.values.json: values match but the file differs" in said[0]


def test_ray_address_needs_the_ray_executor(tmp_path, small, run_cli):
    src, cfg = small
    said = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 1,
                   "--ray-address", "auto", expect=1).output
    assert "--ray-address goes with --executor ray" in said and not (tmp_path / "o").exists()
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 1)
    said = run_cli("verify", tmp_path / "o", "--ray-address", "auto", expect=1).output
    assert "--ray-address goes with --executor ray" in said and "rederive" not in said
