"""Cost of a holdout source: the shared fraction (both stages composed, every prim canonicalized) that generate
computes once and verify recomputes, on the N-body benchmark stage against a rescan of it (every body shifted
by 1 cm).

    python bench/bench_holdout_source.py --bodies 5000
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best  # noqa: E402


def rescan(src: Path, dest: Path, shift: float = 0.01) -> Path:
    """Every rigid body of `src` shifted by `shift` stage units along x."""
    from pxr import Sdf, Usd, UsdGeom, UsdPhysics

    stage = Usd.Stage.Open(str(src))
    layer = Sdf.Layer.CreateAnonymous(".usda")
    layer.TransferContent(stage.GetRootLayer())
    edited = Usd.Stage.Open(layer)
    for prim in edited.Traverse():
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            ops = [op for op in UsdGeom.Xformable(prim).GetOrderedXformOps()
                   if op.GetOpType() == UsdGeom.XformOp.TypeTranslate]
            if ops:
                ops[0].Set(ops[0].Get() + type(ops[0].Get())(shift, 0, 0))
    layer.Export(str(dest))
    return dest


@click.command()
@click.option("--bodies", default=5000, show_default=True)
def main(bodies: int) -> None:
    from build_scene import build

    from twinsplit.proof.canonical import shared_prims

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "w.usda"
        build(src, bodies)
        other = rescan(src, Path(tmp) / "w_rescan.usda")
        cpu0 = time.process_time()
        seconds, (identical, total) = best(lambda: shared_prims(other, src))
        cpu = (time.process_time() - cpu0) / 3
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{bodies} bodies: shared fraction {identical}/{total} = {identical / total:.3f}; best of 3 "
          f"{seconds:.2f} s wall, {cpu:.2f} s CPU per computation")


if __name__ == "__main__":
    main()
