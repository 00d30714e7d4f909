"""CPU seconds per variant that `generate --simcheck` adds on the hospital-corridor sample: the same command with
and without the flag (its sample config, default simcheck settings: 0.5 s at 240 Hz, XPBD 8 iterations), timed as
this process's CPU time (the machine is shared, so wall time says little). Newton is imported and its kernel cache
warmed before the timed runs (the one-time ~70 s compile is not billed).

    .venv/bin/python bench/bench_simcheck_generate.py [--variants 2] [--seconds 0.5] [--hz 240]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from twinsplit.cli import main

SCENE = Path(__file__).resolve().parents[1] / "sample_scenes" / "hospital_corridor"


def generate(out: Path, n: int, *extra: str) -> tuple[float, dict]:
    args = ["generate", str(SCENE / "hospital_corridor.usda"), "--config", str(SCENE / "twin.yaml"), "--out", str(out),
            "--train", str(n), "--holdout", str(n), "--seed-train", "11", "--seed-holdout", "12", *extra]
    t0 = time.process_time()
    result = CliRunner().invoke(main, args)
    cpu = time.process_time() - t0
    assert result.exit_code == 0, result.output
    return cpu, json.loads((out / "manifest.json").read_text())


def main_() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", type=int, default=2, help="train and holdout variants each")
    ap.add_argument("--seconds", default="0.5")
    ap.add_argument("--hz", default="240")
    a = ap.parse_args()
    sim = ("--simcheck", "--sim-seconds", a.seconds, "--sim-hz", a.hz)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "warm", 1, *sim)  # imports Newton, loads (or compiles) Warp's kernels
        shutil.rmtree(root / "warm")
        plain, _ = generate(root / "plain", a.variants)
        checked, m = generate(root / "checked", a.variants, *sim)
    n = 2 * a.variants
    tries = sum(v["simcheck"]["tries"] for v in m["variants"])
    print(f"{n} variants: generate {plain:.1f} s CPU, with --simcheck {checked:.1f} s CPU ({tries} simulated draws); "
          f"+{(checked - plain) / n:.2f} s CPU per variant ({a.seconds} s at {a.hz} Hz)")


if __name__ == "__main__":
    main_()
