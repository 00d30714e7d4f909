"""The site as people see it: an occupancy grid of the ground at person height, from a variant's own colliders.

Footprints are shapely polygons (the convex hull of each collider projected on the ground); a cell is blocked when
its centre lies within 0.71 cells of one (so a door thinner than a cell still blocks). A person of radius r may
stand on a cell whose centre is at least r + MARGIN_M + GUARD_CELLS cells from every blocked centre
(scipy.ndimage's exact distance transform): any point within half a cell of such a centre then keeps r + MARGIN_M
from every footprint, so straight segments checked on the grid are collision-free too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import Shape
from ..scene.info import SceneInfo

CELL_M = 0.1        # grid resolution (m)
MARGIN_M = 0.05     # kept between a person and any collider (m)
STEP_M = 0.05       # colliders whose top is this close to the ground are walked over (the floor itself)
GUARD_CELLS = 1.5   # rasterizing (0.71) + a point's offset from its cell centre (0.71), rounded up
TOUCH = 0.71        # a cell is touched by a footprint within this many cells of its centre


@dataclass
class Grid:
    """Cells over the site's horizontal extent: `origin` the centre of cell (0, 0) on the two plane axes."""

    origin: np.ndarray
    cell: float          # stage units
    shape: tuple[int, int]
    plane: tuple[int, int]
    up: int
    ground: float        # along up, stage units
    top: float           # the person's top along up

    def index(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest cell of each world point (clipped to the grid)."""
        p = np.atleast_2d(np.asarray(points, dtype=float))
        ix = np.clip(np.rint((p[:, self.plane[0]] - self.origin[0]) / self.cell).astype(int), 0, self.shape[0] - 1)
        iy = np.clip(np.rint((p[:, self.plane[1]] - self.origin[1]) / self.cell).astype(int), 0, self.shape[1] - 1)
        return ix, iy

    def flat(self, points: np.ndarray) -> np.ndarray:
        ix, iy = self.index(points)
        return ix * self.shape[1] + iy

    def point(self, flat: np.ndarray, height: float) -> np.ndarray:
        """World points (at `height` along up) of flat cell indices."""
        flat = np.atleast_1d(flat)
        out = np.zeros((len(flat), 3))
        out[:, self.plane[0]] = self.origin[0] + (flat // self.shape[1]) * self.cell
        out[:, self.plane[1]] = self.origin[1] + (flat % self.shape[1]) * self.cell
        out[:, self.up] = height
        return out

    def in_band(self, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Does a body spanning lo..hi along up reach into the person's height band?"""
        return bool(hi[self.up] > self.ground + self._step and lo[self.up] < self.top)

    @property
    def _step(self) -> float:
        return STEP_M * self.cell / CELL_M

    def mask(self, polygons, grow: float = 0.0) -> np.ndarray:
        """Cells whose centre lies within TOUCH cells (+ `grow` stage units) of any polygon."""
        import shapely

        out = np.zeros(self.shape, dtype=bool)
        for poly in polygons:
            g = poly.buffer(TOUCH * self.cell + grow)
            x0, y0, x1, y1 = g.bounds
            i0, j0 = self.index(self._at(x0, y0))
            i1, j1 = self.index(self._at(x1, y1))
            if i1 < i0 or j1 < j0:
                continue
            ii, jj = np.meshgrid(np.arange(i0[0], i1[0] + 1), np.arange(j0[0], j1[0] + 1), indexing="ij")
            xs, ys = self.origin[0] + ii * self.cell, self.origin[1] + jj * self.cell
            out[ii, jj] |= shapely.contains_xy(g, xs, ys)
        return out

    def _at(self, x: float, y: float) -> np.ndarray:
        p = np.zeros(3)
        p[self.plane[0]], p[self.plane[1]] = x, y
        return p


def site_grid(scene: SceneInfo, ground: float, height: float, extent: tuple[np.ndarray, np.ndarray]) -> Grid:
    """A grid over `extent` (world lo, hi) for a person standing on `ground` `height` tall (stage units)."""
    up = scene.up_index
    plane = tuple(i for i in range(3) if i != up)
    cell = CELL_M / scene.meters_per_unit
    lo, hi = extent
    origin = np.array([lo[plane[0]], lo[plane[1]]], dtype=float)
    n = (int(np.ceil((hi[plane[0]] - lo[plane[0]]) / cell)) + 1, int(np.ceil((hi[plane[1]] - lo[plane[1]]) / cell)) + 1)
    return Grid(origin, cell, n, plane, up, float(ground), float(ground + height))


def footprint(grid: Grid, shape: Shape):
    """The ground footprint of a collider (a shapely polygon), or None when it lies outside the height band."""
    import shapely

    lo, hi = shape.aabb()
    if not grid.in_band(lo, hi):
        return None
    i, j = grid.plane
    c = shape.center
    if shape.kind == "sphere":
        return shapely.Point(c[i], c[j]).buffer(shape.radius, 16)
    if shape.kind == "capsule":
        a, b = c - shape.axis * shape.half_height, c + shape.axis * shape.half_height
        seg = shapely.LineString([(a[i], a[j]), (b[i], b[j])]) if np.hypot(*(a - b)[[i, j]]) > 1e-9 else \
            shapely.Point(c[i], c[j])
        return seg.buffer(shape.radius, 16)
    if shape.kind == "box":
        pts = c + (_SIGNS * shape.half_extents) @ shape.rotation.T
    else:
        pts = shape.vertices
    return shapely.MultiPoint(pts[:, [i, j]]).convex_hull


def box_footprint(grid: Grid, center: np.ndarray, rotation: np.ndarray, size: np.ndarray):
    """The footprint of an oriented box (centre, rotation columns, full size), or None outside the band."""
    import shapely

    pts = center + (_SIGNS * (np.asarray(size) / 2)) @ np.asarray(rotation).T
    if not grid.in_band(pts.min(axis=0), pts.max(axis=0)):
        return None
    return shapely.MultiPoint(pts[:, list(grid.plane)]).convex_hull


_SIGNS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)


def standable(grid: Grid, blocked: np.ndarray, radius: float) -> np.ndarray:
    """Cells a person of `radius` (stage units) may stand on: far enough from every blocked cell."""
    from scipy import ndimage

    if not blocked.any():
        return np.ones(grid.shape, dtype=bool)
    dist = ndimage.distance_transform_edt(~blocked) * grid.cell
    return dist >= radius + MARGIN_M * grid.cell / CELL_M + GUARD_CELLS * grid.cell


def nearest_free(free: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
    """For every cell, the flat index of the nearest free cell (inside `within` when given); -1 when none is."""
    from scipy import ndimage

    ok = free if within is None else free & within
    if not ok.any():
        return np.full(free.size, -1)
    _, (ix, iy) = ndimage.distance_transform_edt(~ok, return_indices=True)
    return (ix * free.shape[1] + iy).ravel()
