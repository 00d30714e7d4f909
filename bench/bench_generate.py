"""Benchmark: twinsplit generate vs the plain script a user would write today, on one stage, in one run.

    python bench/bench_generate.py [--bodies 5000] [--variants 20]

The plain script, per variant: Usd.Stage.Open, set the same randomized values through the Usd API,
stage.Export a full copy. twinsplit: one CLI run (plan, source copy, delta layers, manifest). Both write
the same values (read from twinsplit's values files), so the work compared is the same.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CONFIG = """
seeds: {train: 1, holdout: 2}
randomize:
  physics_materials:
    static_friction: {low: 0.3, high: 1.0}
    dynamic_friction: {low: 0.2, high: 0.9}
    restitution: {low: 0.0, high: 0.4}
  lighting:
    intensity: {distribution: loguniform, low: 0.5, high: 2.0, operation: scale}
    color_temperature: {low: 3000, high: 6500}
"""


def twinsplit_cli(src: Path, cfg: Path, out: Path, n: int, workers: int) -> float:
    exe = Path(sys.executable).with_name("twinsplit")
    t0 = time.perf_counter()
    subprocess.run([str(exe), "generate", str(src), "--config", str(cfg), "--out", str(out),
                    "--train", str(n - n // 4), "--holdout", str(n // 4), "--workers", str(workers), "--force"],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def plain_script(src: Path, values: list[dict], out: Path) -> float:
    from pxr import Gf, Usd

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i, record in enumerate(values):
        stage = Usd.Stage.Open(str(src))
        for key, value in record.items():
            path, attr = key.rsplit(".", 1) if ".inputs:" not in key and ".physics:" not in key else key.split(".", 1)
            a = stage.GetPrimAtPath(path).GetAttribute(attr)
            a.Set(Gf.Vec3f(*value) if isinstance(value, list) else value)
        stage.Export(str(out / f"variant-{i:05d}.usda"))
    return time.perf_counter() - t0


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--variants", default=20, show_default=True)
def main(bodies: int, variants: int) -> None:
    from build_scene import build

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / f"warehouse_{bodies}.usda"
        build(src, bodies)
        cfg = tmp / "twin.yaml"
        cfg.write_text(CONFIG)
        t1 = twinsplit_cli(src, cfg, tmp / "ts1", variants, 1)
        # peak of the 1-worker run (KiB on Linux)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        t2 = twinsplit_cli(src, cfg, tmp / "ts2", variants, 2)
        manifest = json.loads((tmp / "ts1" / "manifest.json").read_text())
        values = [json.loads((tmp / "ts1" / v["values_path"]).read_text()) for v in manifest["variants"]]
        tp = plain_script(src, values, tmp / "plain")
        size = src.stat().st_size / 1e6
        delta = sum((tmp / "ts1" / v["path"]).stat().st_size for v in manifest["variants"]) / len(values) / 1e3
        full = sum(p.stat().st_size for p in (tmp / "plain").iterdir()) / len(values) / 1e6
    n = len(values)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"stage: {bodies} rigid bodies, {size:.1f} MB usda; {n} variants, {len(manifest['parameters'])} parameters")
    print(f"plain script (open, set, export per variant): {tp:.2f} s total, {1000 * tp / n:.0f} ms/variant, "
          f"{full:.1f} MB/variant")
    print(f"twinsplit generate, 1 worker (whole CLI run incl. start-up, plan, manifest): {t1:.2f} s, "
          f"{1000 * t1 / n:.0f} ms/variant, {delta:.1f} kB/variant")
    print(f"twinsplit generate, 2 workers: {t2:.2f} s, {1000 * t2 / n:.0f} ms/variant")
    print(f"twinsplit peak memory (1 worker, max RSS): {rss_mb:.0f} MB")
    print(f"speed-up (1 worker): {tp / t1:.1f}x")


if __name__ == "__main__":
    main()
