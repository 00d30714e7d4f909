"""The people occupancy grid rasterises many footprints at once (events/occupancy.py `footprints`, `Grid.touched`):
the same polygons as one `footprint` per shape, and the same cells as testing every cell centre of the grid against
each buffered polygon on its own with shapely."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial.transform import Rotation

from twinsplit.events.occupancy import TOUCH, Grid, footprint, footprints
from twinsplit.geometry import Shape, box, convex


def _shapes(n: int = 300) -> list[Shape]:
    rng = np.random.default_rng(5)
    out = []
    for k in range(n):
        c = np.array([*rng.uniform(-3, 13, 2), rng.uniform(-0.5, 2.5)])  # some below, some above the band, some out
        rot = Rotation.from_euler("xyz", rng.uniform(-np.pi, np.pi, 3)).as_matrix()
        kind = k % 4
        if kind == 0:
            out.append(box(f"/B{k}", c, rng.uniform(0.01, 0.8, 3), rot))
        elif kind == 1:
            out.append(convex(f"/C{k}", c + rng.normal(0, 0.3, (9, 3))))
        elif kind == 2:
            out.append(Shape(f"/S{k}", "sphere", c, radius=float(rng.uniform(0.05, 0.5))))
        else:
            out.append(Shape(f"/P{k}", "capsule", c, radius=0.1, half_height=0.3, axis=rot[:, 0]))
    out.append(box("/Mesh", [4, 4, 1], [0.0, 2.0, 1.0]))  # a zero-thickness (triangle-like) piece
    return out


GRID = Grid(np.array([0.0, 0.0]), 0.1, (101, 81), (0, 1), 2, 0.0, 1.7)


def test_batched_footprints_are_the_one_at_a_time_polygons():
    shapes = _shapes()
    got = footprints(GRID, shapes)
    want = [footprint(GRID, s) for s in shapes]
    assert sum(w is None for w in want) > 10 and sum(w is not None for w in want) > 100
    for g, w in zip(got, want, strict=True):
        assert (g is None) == (w is None)
        if w is not None:
            assert shapely.to_wkb(g) == shapely.to_wkb(w)


def test_touched_cells_are_every_cell_centre_within_touch_of_each_polygon():
    polys = [p for p in footprints(GRID, _shapes()) if p is not None]
    ii, jj = np.meshgrid(np.arange(GRID.shape[0]), np.arange(GRID.shape[1]), indexing="ij")
    xs, ys = ii.ravel() * GRID.cell, jj.ravel() * GRID.cell
    idx, cells = GRID.touched(polys, grow=0.02)
    assert len(cells) > 1000
    for k, p in enumerate(polys):
        want = np.flatnonzero(shapely.contains_xy(p.buffer(TOUCH * GRID.cell + 0.02), xs, ys))
        assert np.array_equal(np.sort(cells[idx == k]), want), k
    mask = GRID.mask(polys)
    assert mask.sum() == len(np.unique(GRID.touched(polys)[1]))
