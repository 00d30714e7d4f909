"""Without the sim extra, `twinsplit simcheck` says how to install it and exits 2 (a real CLI process in which
newton cannot be imported)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO

NO_NEWTON = "import sys; sys.modules['newton'] = None; from twinsplit.cli import main; main()"


def test_simcheck_without_newton_says_how_to_install_it(tmp_path):
    stage = tmp_path / "s.usda"
    stage.write_text('#usda 1.0\n(\n    defaultPrim = "World"\n)\ndef Xform "World" {}\n')
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, "-c", NO_NEWTON, "simcheck", str(stage)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "pip install 'twinsplit[sim]'" in result.stderr and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0  # one `Error:` line, no traceback


def _no_newton(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-c", NO_NEWTON, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=cwd)


def test_generate_simcheck_and_verify_simulate_without_newton_exit_2_writing_nothing(small, tmp_path):
    src, cfg = small
    out = tmp_path / "out"
    result = _no_newton("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 2, "--simcheck")
    assert result.returncode == 2 and "pip install 'twinsplit[sim]'" in result.stderr, result.stderr
    assert not out.exists()
    assert _no_newton("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 2).returncode == 0
    result = _no_newton("verify", out, "--simulate")
    assert result.returncode == 2 and "pip install 'twinsplit[sim]'" in result.stderr, result.stderr
    assert result.stdout == ""
