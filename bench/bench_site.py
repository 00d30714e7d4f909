"""People's site per variant at site scale: process CPU time of building `events.site.Site` (the occupancy grid
of the source's colliders, every rigid body at a new pose, inflated for a 0.25 m person) on the bench warehouse,
each variant moving every dynamic body by its own small random yaw and shift (what a layout block hands the
people planner). The first variant also rasterises the source's colliders once per process; it is reported apart.

    .venv/bin/python bench/bench_site.py [--bodies 5000] [--variants 10]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--variants", default=10, show_default=True)
@click.option("--src", type=click.Path(exists=True, path_type=Path), help="An already built bench stage.")
def main(bodies: int, variants: int, src: Path | None) -> None:
    from twinsplit.blocks.variant import Placed
    from twinsplit.events.site import Site
    from twinsplit.scene.discover import load
    from twinsplit.scene.shapes import scene_shapes

    with tempfile.TemporaryDirectory() as tmp:
        if src is None:
            from build_scene import build

            src = Path(tmp) / f"warehouse_{bodies}.usda"
            build(src, bodies)
        _, scene = load(src)
    shapes = scene_shapes(scene)
    dyn = [s for s in shapes if s.dynamic]
    rng = np.random.default_rng(3)
    secs = []
    for _ in range(variants + 1):
        moved = []
        for s in dyn:
            a = rng.uniform(-0.3, 0.3)
            d = np.eye(4)
            d[:2, :2] = [[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]]
            d[3, :3] = s.center - s.center @ d[:3, :3] + [*rng.uniform(-0.1, 0.1, 2), 0.0]
            moved.append(s.transformed(d))
        placed = Placed(tuple(moved), frozenset(s.path for s in dyn))
        t = time.process_time()
        site = Site(scene, 0.0, 1.7, 0.25, 0.9, placed, [])
        secs.append(time.process_time() - t)
    print(f"{len(dyn)} bodies moved, grid {site.grid.shape}, {int(site.base.sum())} standable cells")
    med = statistics.median(secs[1:])
    print(f"first variant (rasterises the source once) {secs[0]:.3f} s; then median {med:.3f} s, "
          f"min {min(secs[1:]):.3f} s, max {max(secs[1:]):.3f} s per variant (CPU)")


if __name__ == "__main__":
    main()
