"""generate --resume: a run killed with SIGKILL part way continues from its recorded chunks and ends with the same
bytes as an uninterrupted run; a complete set is left alone; other inputs are refused, naming the difference."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stages import CONFIG, box_stage, write
from test_layout_structures import site

EXE = str(Path(sys.executable).with_name("twinsplit"))


def _hashes(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def _layout_set(tmp_path, run_cli):
    src = box_stage(tmp_path / "site.usda", site(40))
    cfg = tmp_path / "cfg.yaml"
    run_cli("init", src, "-o", cfg)
    return src, cfg


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_gives_the_bytes_of_an_uninterrupted_run(tmp_path, run_cli):
    src, cfg = _layout_set(tmp_path, run_cli)
    args = ["--config", str(cfg), "--train", "30", "--holdout", "8", "--seed-train", "3", "--seed-holdout", "4"]
    run_cli("generate", src, *args, "--out", tmp_path / "whole")
    out = tmp_path / "killed"
    state = tmp_path / ".killed.partial" / ".twinsplit-resume"
    proc = subprocess.Popen([EXE, "generate", str(src), *args, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(state.glob("chunk-*.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = list(state.glob("chunk-*.json"))
    assert proc.returncode == -signal.SIGKILL and recorded and not out.exists()  # killed part way
    again = run_cli("generate", src, *args, "--out", out, expect=1).output  # no silent restart
    assert "--resume" in again and ".killed.partial" in again
    kept = tmp_path / ".killed.partial" / "train" / "train-00000.usdc"
    stamp = kept.stat().st_mtime_ns
    run_cli("generate", src, *args, "--out", out, "--resume")
    assert (out / "train" / "train-00000.usdc").stat().st_mtime_ns == stamp  # a recorded chunk is not redone
    assert not (tmp_path / ".killed.partial").exists()
    assert _hashes(out) == _hashes(tmp_path / "whole")


def test_resume_of_a_complete_set_does_nothing(tmp_path, small, run_cli):
    src, cfg = small
    out = tmp_path / "o"
    args = ("--config", cfg, "--train", 6, "--holdout", 3, "--out", out)
    run_cli("generate", src, *args)
    before = _hashes(out) | {"mtime": str((out / "manifest.json").stat().st_mtime_ns)}
    said = run_cli("generate", src, *args, "--resume").output
    assert "is complete: nothing to resume" in said
    assert before == _hashes(out) | {"mtime": str((out / "manifest.json").stat().st_mtime_ns)}
    changed = run_cli("generate", src, *args[:3], 7, *args[4:], "--resume", expect=2).output
    assert "counts" in changed and "complete set" in changed


def _staged_run(tmp_path):
    """A staged run as kill -9 leaves it: the partial directory, its inputs and one recorded chunk."""
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    out = tmp_path / "o"
    cmd = [EXE, "generate", str(src), "--config", str(cfg), "--train", "20", "--holdout", "4", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = tmp_path / ".o.partial" / ".twinsplit-resume"
    while not list(state.glob("chunk-*.json")) and proc.poll() is None:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return src, cfg, out, proc


def test_resume_with_another_config_is_refused_naming_it(tmp_path, run_cli):
    src, cfg, out, proc = _staged_run(tmp_path)
    if proc.returncode != -signal.SIGKILL:
        pytest.skip("the run finished before it could be killed")
    cfg.write_text(CONFIG.replace("high: 1.0}", "high: 0.9}", 1))
    refused = run_cli("generate", src, "--config", cfg, "--train", 20, "--holdout", 4, "--out", out, "--resume",
                      expect=2).output
    assert "config_sha256" in refused and "other inputs" in refused
    assert (tmp_path / ".o.partial").is_dir() and not out.exists()  # nothing lost, nothing half-written


def test_resume_of_a_complete_set_refuses_a_changed_sublayer_of_the_source(tmp_path, run_cli):
    write(tmp_path, name="site.usda")  # the bodies, in a sublayer of the stage named on the command line
    root = tmp_path / "root.usda"
    root.write_text('#usda 1.0\n(\n    subLayers = [@./site.usda@]\n)\n')
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    args = ("--config", cfg, "--train", 4, "--holdout", 2, "--out", tmp_path / "o")
    run_cli("generate", root, *args)
    assert "nothing to resume" in run_cli("generate", root, *args, "--resume").output
    site = tmp_path / "site.usda"
    site.write_text(site.read_text().replace("0.5", "0.25", 1))  # the root layer's bytes stay the same
    refused = run_cli("generate", root, *args, "--resume", expect=2).output
    assert "source_layers_sha256" in refused and "source_sha256" not in refused.replace("source_layers", "")


def test_resume_with_seal_is_refused_even_on_a_complete_set(tmp_path, small, run_cli):
    src, cfg = small
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--train", 4, "--holdout", 2, "--out", out)
    refused = run_cli("generate", src, "--config", cfg, "--train", 4, "--holdout", 2, "--out", out, "--resume",
                      "--seal", tmp_path / "k.seal", "--holdout-out", tmp_path / "h", expect=1).output
    assert "--resume does not continue a sealed run" in refused
    assert not (tmp_path / "k.seal").exists() and not (tmp_path / "h").exists()


def test_a_run_still_writing_out_is_not_taken_for_a_killed_one(tmp_path, small, run_cli):
    import fcntl

    src, cfg = small
    staged = tmp_path / ".o.partial"
    staged.mkdir()  # as a run still going holds it: the kernel's lock on the directory
    fd = os.open(staged, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        for extra in ((), ("--resume",), ("--force",)):
            said = run_cli("generate", src, "--config", cfg, "--train", 4, "--holdout", 2, "--out", tmp_path / "o",
                           *extra, expect=1).output
            assert "another generate is writing" in said and "--resume" not in said, extra
        assert staged.is_dir() and not (tmp_path / "o").exists()
    finally:
        os.close(fd)
    run_cli("generate", src, "--config", cfg, "--train", 4, "--holdout", 2, "--out", tmp_path / "o", "--force")
