"""Micro-benchmark for twinsplit.geometry: `python bench/bench_geometry.py` (prints, asserts nothing)."""

from __future__ import annotations

import time

import numpy as np
from pxr import Usd, UsdGeom, UsdPhysics

from twinsplit.geometry import OverlapIndex, box, find_overlaps
from twinsplit.scene.colliders import shapes_from_stage


def grid_stage(n: int) -> Usd.Stage:
    """n*n resting unit cubes (each its own rigid body) on a static floor cube, Z-up metres."""
    stage = Usd.Stage.CreateInMemory()
    floor = UsdGeom.Cube.Define(stage, "/World/Floor")
    floor.AddTranslateOp().Set((n / 2, n / 2, -0.5))
    floor.AddScaleOp().Set((n, n, 0.5))
    UsdPhysics.CollisionAPI.Apply(floor.GetPrim())
    for i in range(n):
        for j in range(n):
            c = UsdGeom.Cube.Define(stage, f"/World/B_{i}_{j}")
            c.CreateSizeAttr(0.9)
            c.AddTranslateOp().Set((i + 0.5, j + 0.5, 0.45))
            UsdPhysics.CollisionAPI.Apply(c.GetPrim())
            UsdPhysics.RigidBodyAPI.Apply(c.GetPrim())
    return stage


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<48s} {1e3 * (time.perf_counter() - t0):8.1f} ms")
    return out


def main() -> None:
    n = 71  # 5,041 boxes
    stage = timed("build 5,041-box stage (pxr API)", lambda: grid_stage(n))
    shapes = timed("shapes_from_stage", lambda: shapes_from_stage(stage))
    found = timed("find_overlaps (resting, none expected)", lambda: find_overlaps(shapes))
    assert not found
    rng = np.random.default_rng(0)
    jitter = [s.transformed(_shift(*rng.normal(0, 0.05, 2))) if s.dynamic else s for s in shapes]
    found = timed("find_overlaps (jittered)", lambda: find_overlaps(jitter))
    print(f"  -> {len(found)} overlapping pairs")
    sunk = [s.transformed(_shift(0, 0, -0.01)) if s.dynamic else s for s in jitter]
    found = timed("find_overlaps (jittered + all sunk 1 cm)", lambda: find_overlaps(sunk))
    print(f"  -> {len(found)} overlapping pairs")
    mixed = [_as_sphere(s) if k % 2 and s.dynamic else s for k, s in enumerate(sunk)]
    found = timed("find_overlaps (half spheres, per-pair path)", lambda: find_overlaps(mixed))
    print(f"  -> {len(found)} overlapping pairs")
    index = timed("OverlapIndex(static floor + 5,041 boxes)", lambda: OverlapIndex(shapes))
    cands = [box(f"/c{k}", (*rng.uniform(0, n, 2), 0.45), (0.45, 0.45, 0.45), dynamic=True) for k in range(2000)]
    hits = timed("2,000 OverlapIndex.collides queries", lambda: [index.collides(c) for c in cands])
    print(f"  -> {sum(h is not None for h in hits)} hits")
    empty = OverlapIndex([shapes[0]])
    placed = timed("incremental placement of 2,000 candidates", lambda: _place(empty, cands))
    print(f"  -> {placed} placed")


def _place(index: OverlapIndex, cands) -> int:
    k = 0
    for c in cands:
        if index.collides(c) is None:
            index.add(c)
            k += 1
    return k


def _shift(x: float, y: float, z: float = 0.0) -> np.ndarray:
    m = np.eye(4)
    m[3, :3] = (x, y, z)
    return m


def _as_sphere(s):
    from twinsplit.geometry import Shape

    return Shape(s.path, "sphere", s.center, radius=0.45, dynamic=True)


if __name__ == "__main__":
    main()
