"""The cells a batched set of shapes blocks on a site grid (`Grid.touched` of their footprints), fast for the common
case: a box standing upright (one local axis along up, the others level: any yaw). Its footprint is a rectangle, so
a cell centre's distance to it is closed-form numpy for every (box, candidate cell) pair at once.

`Grid.touched` tests a centre against the footprint buffered by r = TOUCH cells with GEOS (`quad_segs=16`): that
polygon lies between the exact r-neighbourhood and the one of radius r cos(pi/64) (its arcs are chords on the
circle, each spanning at most pi/32). So a centre nearer than r cos(pi/64) is touched, one farther than r is not,
and only the few in that 0.12 % band (and any box that is not upright, and other kinds) go through shapely: the
result is the same set of cells.
"""

from __future__ import annotations

import numpy as np

from .occupancy import TOUCH, Grid, set_footprints

_INNER = float(np.cos(np.pi / 64))  # GEOS quad_segs=16: pi/2 per 16 chords
_LEVEL = 1e-12                      # |up component| of a level axis (and 1 - that of the upright one)
_SLACK = 1e-9                       # relative: float error of either computation, far below the band's width


def set_cells(grid: Grid, shapes) -> np.ndarray:
    """Flat indices of the cells the footprints of `shapes` (a geometry.batch.ShapeSet) touch, those in the
    height band only; each cell may appear more than once, in no particular order."""
    band = grid.bands(shapes.lo, shapes.hi)
    upright = np.abs(shapes.rotation[:, grid.up, :])  # (n, 3): how much of each local axis points up
    k_up = np.argmax(upright, axis=1)
    level = np.sort(upright, axis=1)[:, :2].max(axis=1) <= _LEVEL
    rect = band & shapes.is_box & level & (upright.max(axis=1) >= 1.0 - _LEVEL)
    out = [_rect_cells(grid, shapes, np.flatnonzero(rect), k_up)]
    rest = np.flatnonzero(band & ~rect)
    if len(rest):
        polys = set_footprints(grid, shapes.subset(rest))
        if polys:
            out.append(grid.touched(polys)[1])
    return np.concatenate(out)


def _rect_cells(grid: Grid, shapes, idx: np.ndarray, k_up: np.ndarray) -> np.ndarray:
    if not len(idx):
        return np.zeros(0, dtype=np.intp)
    pi, pj = grid.plane
    r = TOUCH * grid.cell
    # the two level axes of each box (columns of its rotation other than the upright one), in plane coordinates
    cols = np.array([[1, 2], [0, 2], [0, 1]])[k_up[idx]]
    rows = np.arange(len(idx))[:, None]
    axes = shapes.rotation[idx][:, [pi, pj], :]                  # (m, 2, 3): plane rows of every column
    a = np.take_along_axis(axes, cols[:, None, :], axis=2)       # (m, 2, 2): column c = level axis c in the plane
    h = shapes.half[idx][rows, cols]                             # (m, 2)
    c = shapes.center[idx][:, [pi, pj]]                          # (m, 2)
    pad = r * (1 + _SLACK) + _SLACK * grid.cell
    box, ii, jj = grid.windows(np.hstack([shapes.lo[idx][:, [pi, pj]] - pad, shapes.hi[idx][:, [pi, pj]] + pad]))
    dx = grid.origin[0] + ii * grid.cell - c[box, 0]
    dy = grid.origin[1] + jj * grid.cell - c[box, 1]
    # the centre in each box's level axes, folded into its first quadrant: the distance to the rectangle
    q0 = np.abs(dx * a[box, 0, 0] + dy * a[box, 1, 0]) - h[box, 0]
    q1 = np.abs(dx * a[box, 0, 1] + dy * a[box, 1, 1]) - h[box, 1]
    d = np.hypot(np.maximum(q0, 0.0), np.maximum(q1, 0.0))
    slack = _SLACK * (r + grid.cell)
    sure = d <= r * _INNER - slack
    maybe = ~sure & (d <= r + slack)
    flat = ii * grid.shape[1] + jj
    out = [flat[sure]]
    if maybe.any():  # the band between the chords and the circle: GEOS's own polygon decides
        import shapely

        which = box[maybe]
        uniq, inv = np.unique(which, return_inverse=True)
        polys = set_footprints(grid, shapes.subset(idx[uniq]))
        g = shapely.buffer(np.array(polys, dtype=object), r, quad_segs=16)
        xs = grid.origin[0] + ii[maybe] * grid.cell
        ys = grid.origin[1] + jj[maybe] * grid.cell
        out.append(flat[maybe][shapely.contains_xy(g[inv], xs, ys)])
    return np.concatenate(out)
