"""init writes a config that generate accepts unchanged, on stages it has never seen."""

import pytest
import yaml

from conftest import REPO
from stages import SMALL, write
from test_generate import CM_YUP_NO_DEFAULT


@pytest.mark.parametrize("text", [SMALL, CM_YUP_NO_DEFAULT], ids=["m-zup", "cm-yup-nodefault"])
def test_init_then_generate_unchanged(tmp_path, run_cli, text):
    src = write(tmp_path, text)
    cfg = tmp_path / "twin.yaml"
    run_cli("init", src, "-o", cfg)
    body = yaml.safe_load(cfg.read_text())
    assert set(body["randomize"]) == {"physics_materials", "lighting", "layout"}  # layout: the stages have a rigid body
    run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 4, "--holdout", 2)
    run_cli("verify", tmp_path / "o")


def test_init_to_stdout_and_refuses_overwrite(tmp_path, run_cli):
    src = write(tmp_path)
    assert "physics_materials:" in run_cli("init", src).output
    cfg = tmp_path / "twin.yaml"
    cfg.write_text("mine")
    assert "exists" in run_cli("init", src, "-o", cfg, expect=1).output
    assert cfg.read_text() == "mine"


def sample_scenes():
    return sorted(p for p in (REPO / "sample_scenes").glob("*/*.usda"))


@pytest.mark.parametrize("scene", sample_scenes(), ids=lambda p: p.parent.name)
def test_init_on_sample_scenes(tmp_path, run_cli, scene):
    cfg = tmp_path / "twin.yaml"
    run_cli("init", scene, "-o", cfg)
    run_cli("generate", scene, "--config", cfg, "--out", tmp_path / "o", "--train", 3, "--holdout", 2,
            "--seed-train", 1, "--seed-holdout", 2)
    run_cli("verify", tmp_path / "o")
