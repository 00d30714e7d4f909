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


def _upright(n: int, rng, lo: float = -3.0, hi: float = 13.0, up: int = 2, scale: float = 1.0) -> list[Shape]:
    """Boxes standing upright (one local axis along up) at any yaw, most in the people's height band."""
    out = []
    plane = [i for i in range(3) if i != up]
    for k in range(n):
        c = np.zeros(3)
        c[plane] = rng.uniform(lo, hi, 2) * scale
        c[up] = rng.uniform(-0.2, 2.0) * scale
        yaw = rng.uniform(-np.pi, np.pi)
        axis = np.zeros(3)
        axis[up] = 1.0
        rot = Rotation.from_rotvec(yaw * axis).as_matrix()
        out.append(box(f"/U{k}", c, rng.uniform(0.05, 0.9, 3) * scale, rot))
    return out


def _reference_cells(grid: Grid, shapes: list[Shape]) -> np.ndarray:
    polys = [p for p in footprints(grid, shapes) if p is not None]
    return np.unique(grid.touched(polys)[1]) if polys else np.zeros(0, dtype=int)


def test_batched_cells_are_the_shapely_cells_for_upright_tilted_and_round_shapes():
    """events/raster.set_cells (closed form for upright boxes, GEOS for the rest and for the band between its
    buffer's chords and the circle) blocks exactly the cells of footprints + Grid.touched."""
    from twinsplit.events.raster import set_cells
    from twinsplit.geometry.batch import ShapeSet

    rng = np.random.default_rng(11)
    shapes = _upright(1500, rng) + _shapes(200)
    got = np.unique(set_cells(GRID, ShapeSet.of(shapes)))
    want = _reference_cells(GRID, shapes)
    assert len(want) > 3000
    assert np.array_equal(got, want)


def test_batched_cells_in_centimetres_on_a_y_up_grid_after_a_move():
    """A Y-up stage in centimetres (cell = 10 units, plane X/Z), the set moved by rigid deltas as layout moves it."""
    from twinsplit.events.raster import set_cells
    from twinsplit.geometry.batch import ShapeSet

    rng = np.random.default_rng(12)
    grid = Grid(np.array([-300.0, -300.0]), 10.0, (171, 171), (0, 2), 1, 0.0, 170.0)
    shapes = _upright(800, rng, up=1, scale=100.0)
    deltas = np.tile(np.eye(4), (len(shapes), 1, 1))
    yaw = rng.uniform(-0.3, 0.3, len(shapes))
    deltas[:, 0, 0] = deltas[:, 2, 2] = np.cos(yaw)
    deltas[:, 0, 2], deltas[:, 2, 0] = -np.sin(yaw), np.sin(yaw)
    deltas[:, 3, [0, 2]] = rng.uniform(-30, 30, (len(shapes), 2))
    moved = ShapeSet.of(shapes).moved(deltas)
    want = _reference_cells(grid, [moved.shape(k) for k in range(len(shapes))])
    assert len(want) > 2000
    assert np.array_equal(np.unique(set_cells(grid, moved)), want)


def test_a_cell_centre_between_the_buffer_chords_and_the_circle_follows_geos():
    """A cell centre 0.9995 r from a box corner is within r, but GEOS's buffer (a chord every pi/32 around the
    corner) holds it only in a chord vertex's direction (45 degrees), not half way between two (47.8 degrees)."""
    from twinsplit.events.raster import set_cells
    from twinsplit.geometry.batch import ShapeSet

    r, centre, flat = TOUCH * GRID.cell, np.array([5.0, 4.0]), 50 * GRID.shape[1] + 40
    for degrees, inside in ((45.0, True), (45.0 + 90 / 32, False)):
        t = np.radians(degrees)
        corner = centre - 0.9995 * r * np.array([np.cos(t), np.sin(t)])
        s = box("/Near", [*(corner - 0.25), 0.5], [0.25, 0.25, 0.25])  # half extents: its (+x, +y) corner
        got = set(set_cells(GRID, ShapeSet.of([s])).tolist())
        assert got == set(_reference_cells(GRID, [s]).tolist())
        assert (flat in got) is inside, degrees


def test_obstacle_near_cells_are_the_whole_grid_transform_near_cells():
    """occupancy.near runs the distance transform on a window around the obstacle: the same cells as on the grid,
    at the grid's edges too."""
    from twinsplit.events.occupancy import box_footprint, near, standable

    rng = np.random.default_rng(13)
    for k in range(40):
        c = np.array([*rng.uniform(-1, 11, 2), 0.5])
        rot = Rotation.from_euler("z", rng.uniform(-np.pi, np.pi)).as_matrix()
        poly = box_footprint(GRID, c, rot, rng.uniform(0.1, 3.0, 3))
        if poly is None:
            continue
        radius = float(rng.uniform(0.1, 0.6))
        want = ~standable(GRID, GRID.mask([poly]), radius)
        assert np.array_equal(near(GRID, [poly], radius), want), k


def test_standable_cells_are_the_distance_transform_threshold():
    """occupancy.standable dilates the blocked cells by the disk of offsets closer than the limit: the same cells
    as scipy's exact distance transform thresholded, for radii whose limit falls on and between cell distances."""
    from scipy import ndimage

    from twinsplit.events.occupancy import CELL_M, GUARD_CELLS, MARGIN_M, standable

    rng = np.random.default_rng(14)
    for k in range(30):
        shape = (int(rng.integers(5, 90)), int(rng.integers(5, 90)))
        grid = Grid(np.array([0.0, 0.0]), [0.1, 10.0, 0.05][k % 3], shape, (0, 1), 2, 0.0, 1.7)
        blocked = rng.random(grid.shape) < [0.002, 0.02, 0.2][k % 3]
        blocked[0, :] |= k % 5 == 0  # a wall along the grid's edge
        # limits equal to a cell distance (sqrt(5), 3) hit the >= comparison's boundary exactly
        extra = [0.0, np.sqrt(5.0) * grid.cell, 3.0 * grid.cell][k % 3]
        fixed = MARGIN_M * grid.cell / CELL_M + GUARD_CELLS * grid.cell
        radius = max(extra - fixed, 0.0) if extra else float(rng.uniform(0.05, 0.6)) * grid.cell / CELL_M
        limit = radius + fixed
        want = np.ones(grid.shape, dtype=bool) if not blocked.any() else \
            ndimage.distance_transform_edt(~blocked) * grid.cell >= limit
        assert np.array_equal(standable(grid, blocked, radius), want), k


def test_the_one_nearest_free_cell_is_the_distance_transforms_choice():
    """occupancy.nearest_unique (a windowed search) gives the cell scipy's feature transform gives whenever one
    cell is nearest, and declines (None) exactly when several are equally near: snap falls back to the transform."""
    from twinsplit.events.occupancy import nearest_free, nearest_unique

    rng = np.random.default_rng(15)
    unique = ties = 0
    for k in range(60):
        shape = (int(rng.integers(3, 120)), int(rng.integers(3, 120)))
        ok = rng.random(shape) < [0.0005, 0.01, 0.3, 0.9][k % 4]
        if not ok.any():
            assert nearest_unique(ok, 0) is None
            continue
        want = nearest_free(ok)
        ii, jj = np.nonzero(ok)
        for flat in rng.integers(0, ok.size, 25):
            i, j = divmod(int(flat), shape[1])
            d2 = (ii - i) ** 2 + (jj - j) ** 2
            got = nearest_unique(ok, int(flat), reach=int(rng.integers(1, 9)))
            if (d2 == d2.min()).sum() > 1:
                assert got is None
                ties += 1
            else:
                assert got == want[flat], (k, flat)
                unique += 1
    assert unique > 500 and ties > 20
