import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
logging.getLogger("omni.asset_validator").setLevel(logging.WARNING)

from click.testing import CliRunner  # noqa: E402

from stages import CONFIG, write  # noqa: E402
from twinsplit.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")  # stateless: module-scoped fixtures use it too
def run_cli():
    def run(*args, expect=0):
        result = CliRunner().invoke(main, [str(a) for a in args])
        if expect is not None:
            assert result.exit_code == expect, f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"
        return result

    return run


@pytest.fixture
def small(tmp_path):
    """A small Z-up metre stage plus a config file."""
    src = write(tmp_path)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    return src, cfg


@pytest.fixture
def generated(tmp_path, small, run_cli):
    """12 train + 4 holdout variants of `small`, in the default layer format (usdc)."""
    src, cfg = small
    out = tmp_path / "out"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 12, "--holdout", 4)
    return out


@pytest.fixture
def generated_usda(tmp_path, small, run_cli):
    """The same set as `generated`, written as usda: for tests that edit a variant layer as text."""
    src, cfg = small
    out = tmp_path / "out"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 12, "--holdout", 4, "--layer-format", "usda")
    return out
