"""The layout sampler alone: `place()` per variant on the bench warehouse with `twinsplit init`'s starter config.

    python bench/bench_place.py [--bodies 5000] [--variants 40] [--repeats 5]

Binds the starter config once (not timed: it is per run, not per variant), then draws the same variants
`generate` draws (seeds 1 and 2, a quarter holdout) `--repeats` times and prints the best CPU time per variant of
`place()` and of the whole layout `sample()`, then the round-1 pieces on their own (best of 20). Prints,
asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from build_scene import build  # noqa: E402


def best(f, n: int = 20) -> float:
    out = 1e9
    for _ in range(n):
        t0 = time.process_time()
        f()
        out = min(out, time.process_time() - t0)
    return out * 1e3


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--variants", default=40, show_default=True)
@click.option("--repeats", default=5, show_default=True)
def main(bodies: int, variants: int, repeats: int) -> None:
    import yaml

    from twinsplit.config import parse_config
    from twinsplit.geometry.aabb_index import AabbIndex
    from twinsplit.geometry.batch import overlapping
    from twinsplit.geometry.resting import supported
    from twinsplit.plan.bind import bind
    from twinsplit.plan.draw import stream
    from twinsplit.randomizers.layout import place
    from twinsplit.randomizers.layout.bound import bound
    from twinsplit.scene.discover import load
    from twinsplit.starter import starter_config

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "warehouse.usda"
        build(src, bodies)
        scene = load(src)[1]
        blocks = bind(scene, parse_config(yaml.safe_load(starter_config(scene, src)), "starter"))
    block = next(b for b in blocks if b.name == "layout")
    params = list(block.params)
    b = bound(scene, block.cfg, params[0].source)
    arr = place.arrays_of(b)
    spent = [0.0]
    inner = place.place

    def timed(*a, **k):
        t0 = time.process_time()
        out = inner(*a, **k)
        spent[0] += time.process_time() - t0
        return out

    place.place = timed
    runs = []
    for _ in range(repeats):
        spent[0] = 0.0
        t0 = time.process_time()
        for i in range(variants):
            split = "train" if i % 4 else "holdout"
            block.entry.sample(scene, block.cfg, params, split, stream(1 if split == "train" else 2, i, block))
        runs.append((spent[0], time.process_time() - t0))
    place.place = inner
    p, s = min(runs)
    print(f"{bodies} bodies, {len(b.geo.units)} units, {variants} variants: place() {p / variants * 1e3:.1f} "
          f"ms/variant, layout sample() {s / variants * 1e3:.1f} ms/variant (best of {repeats})")

    n = len(b.geo.units)
    rng = np.random.default_rng(0)
    d = place.yaw_deltas(arr.centre, rng.uniform(-15, 15, n), np.c_[rng.uniform(-0.3, 0.3, (n, 2)), np.zeros(n)],
                         b.geo.up)
    sidx, pos = place._shape_index(arr, np.arange(n))
    cand = arr.units.subset(sidx).moved(d[pos])
    tol = arr.tol

    print(f"  round 1 pieces, {n} candidates (best of 20, ms):")
    for label, f in [
        ("move every unit's shapes", lambda: arr.units.subset(sidx).moved(d[pos])),
        ("against the obstacles", lambda: overlapping(cand, arr.obstacles, tol)),
        ("supported", lambda: supported(arr.feet, d, arr.tops, b.geo.up, b.geo.plane, b.geo.tol, arr.sink)),
        ("against the source poses (kept index)", lambda: overlapping(cand, arr.units, tol)),
        ("index the candidates", lambda: AabbIndex(cand.lo, cand.hi)),
        ("candidates against each other", lambda: overlapping(cand, cand, tol)),
    ]:
        print(f"    {label:<40s} {best(f):6.2f}")


if __name__ == "__main__":
    main()
