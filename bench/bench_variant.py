"""Benchmark: where one variant's time goes, in process, on the bench warehouse with init's starter config.

    python bench/bench_variant.py [--bodies 5000] [--variants 8]

CPU time (time.process_time) per variant of each step generate runs for it after the plan's first draws:
`Plan.batch` (layout's xform values, the people event planned over the moved bodies: site, routes, walks), the
usda text, its crate (usdc) encoding, and the values json (best of 3 passes over the same variants; Plan.batch
once, as a variant's people plan is kept after its first call). The people's
site is also timed on its own. Run it on two checkouts (PYTHONPATH=<old>/src) to compare code side by side.
"""

from __future__ import annotations

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


def best(f, n: int, passes: int = 3) -> float:
    """Fastest of `passes` runs of f(), in ms per variant."""
    out = float("inf")
    for _ in range(passes):
        t = time.process_time()
        f()
        out = min(out, time.process_time() - t)
    return 1000 * out / n


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--variants", default=8, show_default=True)
def main(bodies: int, variants: int) -> None:
    from build_scene import build

    from twinsplit.config import load_config
    from twinsplit.events import person
    from twinsplit.plan.draw import make_plan
    from twinsplit.scene.discover import load
    from twinsplit.write.layer import render, stage_metadata, values_bytes
    from twinsplit.write.layer_format import encode

    with tempfile.TemporaryDirectory() as tmp:
        src, cfg = Path(tmp) / "w.usda", Path(tmp) / "twin.yaml"
        build(src, bodies)
        subprocess.run([str(Path(sys.executable).with_name("twinsplit")), "init", str(src), "-o", str(cfg)],
                       check=True, capture_output=True)
        stage, scene = load(src)
        plan = make_plan(scene, load_config(cfg), variants + 1, 0, {"train": 1, "holdout": 2})
        metadata = plan.stage_metadata(stage_metadata(stage.GetRootLayer()))
        plan.batch("train", variants)  # first use: per-process caches (pose solver, source cells)
        site_s = [0.0]
        site = person._site

        def timed_site(*a, **k):
            t = time.process_time()
            r = site(*a, **k)
            site_s[0] += time.process_time() - t
            return r

        person._site = timed_site
        ids = range(variants)
        t = time.process_time()  # once: a variant's people plan is kept for its later calls (events.person._PLANS)
        items = [plan.batch("train", i) for i in ids]
        batch = 1000 * (time.process_time() - t) / variants
        site_ms = 1000 * site_s[0] / variants
        texts = [render(x, "../source/w.usda", metadata) for x in items]
        text = best(lambda: [render(x, "../source/w.usda", metadata) for x in items], variants)
        crate = best(lambda: [encode(t, "usdc") for t in texts], variants)
        values = best(lambda: [values_bytes(x) for x in items], variants)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{bodies} bodies, init's starter config, {variants} variants, CPU ms per variant:")
    print(f"  Plan.batch {batch:.1f} (of which the people's site {site_ms:.1f}); usda text {text:.1f}; "
          f"crate {crate:.1f}; values json {values:.1f}; total {batch + text + crate + values:.1f}")


if __name__ == "__main__":
    main()
