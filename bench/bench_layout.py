"""Benchmark: layout at site scale, end to end as a user runs it, beside the plain script.

    python bench/bench_layout.py [--bodies 5000] [--variants 40] [--small 1000]

A user's run: `twinsplit init` on the bench warehouse (materials, lights and layout: the starter config
unchanged), `twinsplit generate` with 1 worker, then `twinsplit verify`, each a separate CLI process. The plain
script a user writes today, per variant: Usd.Stage.Open, move every body by the same world delta twinsplit
chose (read from its values files, so the work is the same) through the Usd API with no collision check,
stage.Export a full copy. Also the same CLI run on a `--small`-body stage, to see how it scales.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def cli(*args: str) -> float:
    exe = Path(sys.executable).with_name("twinsplit")
    t0 = time.perf_counter()
    subprocess.run([str(exe), *args], check=True, capture_output=True)
    return time.perf_counter() - t0


def plain_script(src: Path, out: Path, variants: list[dict]) -> float:
    """Open, move every moved body to its new transform through the Usd API, export: no collision check."""
    from pxr import Gf, Usd

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i, record in enumerate(variants):
        stage = Usd.Stage.Open(str(src))
        for key, value in record.items():
            path, _, attr = key.partition(".")
            prim = stage.GetPrimAtPath(path)
            if not prim:  # an event's prim: the plain script has no events
                continue
            if attr == "xformOp:translate":
                prim.GetAttribute(attr).Set(Gf.Vec3d(*value))
            elif attr == "xformOp:orient":
                prim.GetAttribute(attr).Set(Gf.Quatf(*value))
        stage.Export(str(out / f"variant-{i:05d}.usda"))
    return time.perf_counter() - t0


def run_site(tmp: Path, bodies: int, variants: int) -> dict:
    from build_scene import build

    src = tmp / f"warehouse_{bodies}.usda"
    build(src, bodies)
    cfg, out = tmp / f"init_{bodies}.yaml", tmp / f"out_{bodies}"
    t_init = cli("init", str(src), "-o", str(cfg))
    holdout = variants // 4
    t_gen = cli("generate", str(src), "--config", str(cfg), "--out", str(out), "--train", str(variants - holdout),
                "--holdout", str(holdout), "--seed-train", "1", "--seed-holdout", "2")
    t_ver = cli("verify", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    moved = [sum(1 for k in json.loads((out / v["values_path"]).read_text()) if k.endswith("xformOp:translate"))
             for v in manifest["variants"]]
    return {"src": src, "out": out, "manifest": manifest, "init": t_init, "generate": t_gen, "verify": t_ver,
            "moved": moved, "params": len(manifest["parameters"])}


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--variants", default=40, show_default=True)
@click.option("--small", default=1000, show_default=True, help="Also run a stage with this many bodies (0: skip).")
@click.option("--plain", default=5, show_default=True, help="Variants the plain script writes (it is slow).")
def main(bodies: int, variants: int, small: int, plain: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = run_site(tmp, bodies, variants)
        records = [json.loads((big["out"] / v["values_path"]).read_text()) for v in big["manifest"]["variants"][:plain]]
        t_plain = plain_script(big["src"], tmp / "plain", records) / max(len(records), 1)
        little = run_site(tmp, small, variants) if small else None
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for r, n in ((big, bodies), (little, small)):
        if r is None:
            continue
        k = len(r["moved"])
        print(f"{n} bodies, init's starter config ({r['params']} parameters), {k} variants, "
              f"{sum(r['moved']) / k:.0f} bodies moved per variant on average")
        print(f"  init {r['init']:.2f} s; generate {r['generate']:.2f} s ({1000 * r['generate'] / k:.0f} ms/variant); "
              f"verify {r['verify']:.2f} s ({1000 * r['verify'] / k:.0f} ms/variant)")
    print(f"plain script (open, move every body through the Usd API, export; no collision check): "
          f"{1000 * t_plain:.0f} ms/variant")
    print(f"generate speed-up over the plain script: {t_plain * len(big['moved']) / big['generate']:.1f}x")


if __name__ == "__main__":
    main()
