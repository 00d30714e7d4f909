"""Layout sampling speed on the benchmark warehouse (N rigid-body boxes between shelving rows).

    python bench/bench_layout.py                 # 1000 and 5000 bodies, 5 variants each
    python bench/bench_layout.py --bodies 5000 --variants 10

Reports, per N: one-off binding (read shapes, find stacks/supports), then per variant: layout sampling
(rejection sampling every box against the grid index), edits (new xform op values), and the verify
`layout` check on a written variant.  Config: offset ±0.3 m, yaw ±15°, remove_probability 0.05.
"""

from __future__ import annotations

import statistics
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

CONFIG = {
    "seeds": {"train": 1, "holdout": 2},
    "randomize": {"layout": {"offset": {"low": -0.3, "high": 0.3}, "yaw": {"low": -15, "high": 15},
                             "remove_probability": 0.05}},
}


def bench(bodies: int, variants: int, workdir: Path) -> dict:
    from twinsplit.config import parse_config
    from twinsplit.geometry.support import SUPPORT_TOL_M, TOL_M
    from twinsplit.plan.bind import bind
    from twinsplit.plan.draw import stream
    from twinsplit.scene.discover import load
    from twinsplit.verify.checks.layout import _regions, _Source, check_variant
    from twinsplit.write.layer import render, stage_metadata

    src = workdir / f"warehouse_{bodies}.usda"
    if not src.exists():
        build(src, bodies)
    stage, scene = load(src)
    config = parse_config(CONFIG, "bench")
    t0 = time.perf_counter()
    blocks = bind(scene, config)
    t_bind = time.perf_counter() - t0
    block = blocks[0]
    params = list(block.params)
    sample_ms, edit_ms, verify_ms, moved = [], [], [], []
    tol = TOL_M / scene.meters_per_unit
    support_tol = SUPPORT_TOL_M / scene.meters_per_unit
    source = _Source(stage, tol, scene.up_index, support_tol)
    regions = _regions(None, scene, [block.cfg])
    meta = stage_metadata(stage.GetRootLayer())
    for i in range(variants):
        rng = stream(1, i, block)
        t0 = time.perf_counter()
        row = block.entry.sample(scene, block.cfg, params, "train", rng)
        sample_ms.append(1e3 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        edits = block.entry.edits(scene, block.cfg, params, row)
        edit_ms.append(1e3 * (time.perf_counter() - t0))
        moved.append(len({e.path for e in edits}))
        out = workdir / f"v{bodies}_{i}.usda"
        out.write_bytes(render(edits, src.name, meta))
        t0 = time.perf_counter()
        problems = check_variant(out, "train", source, scene, regions, tol, support_tol)
        verify_ms.append(1e3 * (time.perf_counter() - t0))
        assert not problems, problems[:3]
    return {"bodies": bodies, "units": len(params) // 4, "bind_s": t_bind,
            "sample_ms": statistics.median(sample_ms), "edits_ms": statistics.median(edit_ms),
            "verify_ms": statistics.median(verify_ms), "prims_written": int(np.median(moved))}


@click.command()
@click.option("--bodies", "sizes", multiple=True, type=int, default=(1000, 5000), show_default=True)
@click.option("--variants", default=5, show_default=True, type=click.IntRange(min=1))
def main(sizes: tuple[int, ...], variants: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = bench(n, variants, Path(tmp))
            click.echo(f"{r['bodies']:>6} bodies ({r['units']} units): bind {r['bind_s']:.2f} s once; per variant "
                       f"sample {r['sample_ms']:.0f} ms, edits {r['edits_ms']:.0f} ms, verify check "
                       f"{r['verify_ms']:.0f} ms ({r['prims_written']} prims written)")


if __name__ == "__main__":
    main()
