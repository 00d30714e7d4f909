"""The site as people see it: an occupancy grid of the ground at person height, from a variant's own colliders.

Footprints are shapely polygons (the convex hull of each collider projected on the ground); a cell is blocked when
its centre lies within 0.71 cells of one (so a door thinner than a cell still blocks). Many footprints are hulled,
buffered and tested against their cells' centres in single shapely calls (`footprints`, `Grid.touched`); a
variant's moved bodies (a batched set) go through `raster.set_cells`, closed form for upright boxes, the same
cells. A person of radius r may stand on a cell whose centre is at least r + MARGIN_M + GUARD_CELLS cells from
every blocked centre (scipy.ndimage's exact distance transform): any point within half a cell of such a centre then
keeps r + MARGIN_M from every footprint, so straight segments checked on the grid are collision-free too.
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
        return bool(self.bands(np.asarray(lo)[None], np.asarray(hi)[None])[0])

    def bands(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """`in_band` of every row of (n, 3) AABB corners."""
        return (hi[:, self.up] > self.ground + self._step) & (lo[:, self.up] < self.top)

    @property
    def _step(self) -> float:
        return STEP_M * self.cell / CELL_M

    def mask(self, polygons, grow: float = 0.0) -> np.ndarray:
        """Cells whose centre lies within TOUCH cells (+ `grow` stage units) of any polygon."""
        out = np.zeros(self.shape, dtype=bool)
        out.flat[self.touched(polygons, grow)[1]] = True
        return out

    def touched(self, polygons, grow: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(polygon index, flat cell) of every cell whose centre lies within TOUCH cells (+ `grow`) of a polygon,
        ordered by polygon then cell: all polygons buffered and tested in single shapely calls."""
        import shapely

        polys = np.empty(len(polygons), dtype=object)
        polys[:] = list(polygons)
        if not len(polys):
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        g = shapely.buffer(polys, TOUCH * self.cell + grow, quad_segs=16)  # as Geometry.buffer (16)
        shapely.prepare(g)
        idx, ii, jj = self.windows(shapely.bounds(g))
        xs, ys = self.origin[0] + ii * self.cell, self.origin[1] + jj * self.cell
        hit = shapely.contains_xy(g[idx], xs, ys)
        return idx[hit], (ii * self.shape[1] + jj)[hit]

    def windows(self, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row of `bounds`, cell i, cell j) of every cell whose index lies in each (x0, y0, x1, y1) plane box's
        nearest-cell range (clipped to the grid), row by row."""
        i0, j0 = self._cell(bounds[:, 0], 0), self._cell(bounds[:, 1], 1)
        i1, j1 = self._cell(bounds[:, 2], 0), self._cell(bounds[:, 3], 1)
        ni, nj = np.maximum(i1 - i0 + 1, 0), np.maximum(j1 - j0 + 1, 0)
        count = ni * nj
        idx = np.repeat(np.arange(len(bounds)), count)
        r = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        return idx, i0[idx] + r // nj[idx], j0[idx] + r % nj[idx]

    def _cell(self, v: np.ndarray, axis: int) -> np.ndarray:
        """`index` along one plane axis of plane coordinates `v` (the same arithmetic)."""
        return np.clip(np.rint((v - self.origin[axis]) / self.cell).astype(int), 0, self.shape[axis] - 1)

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


def footprints(grid: Grid, shapes) -> list:
    """`footprint` of every shape (None outside the band); the hulls of boxes and vertex hulls in one shapely call
    (the same points, so the same polygons)."""
    import shapely

    out: list = [None] * len(shapes)
    pts, owner = [], []
    i, j = grid.plane
    for k, s in enumerate(shapes):
        lo, hi = s.aabb()
        if not grid.in_band(lo, hi):
            continue
        if s.kind in ("sphere", "capsule"):
            out[k] = footprint(grid, s)
            continue
        p = s.center + (_SIGNS * s.half_extents) @ s.rotation.T if s.kind == "box" else s.vertices
        pts.append(p[:, [i, j]])
        owner.append(k)
    if pts:
        sizes = [len(p) for p in pts]
        hulls = shapely.convex_hull(shapely.multipoints(np.concatenate(pts), indices=np.repeat(
            np.arange(len(pts)), sizes)))
        for k, h in zip(owner, hulls, strict=True):
            out[k] = h
    return out


def set_footprints(grid: Grid, shapes) -> list:
    """The footprints (shapely polygons) of a batched set's shapes in the height band, boxes in one pass: the same
    corners as `footprint` (centre + signed half extents along the rotation's columns), hulled in one call."""
    import shapely

    band = grid.bands(shapes.lo, shapes.hi)
    out: list = []
    box = np.flatnonzero(band & shapes.is_box)
    if len(box):
        corners = shapes.center[box, None, :] + np.matmul(_SIGNS[None] * shapes.half[box, None, :],
                                                          np.swapaxes(shapes.rotation[box], 1, 2))
        flat = corners[:, :, list(grid.plane)].reshape(-1, 2)
        out += list(shapely.convex_hull(shapely.multipoints(flat, indices=np.repeat(np.arange(len(box)), 8))))
    for k in np.flatnonzero(band & ~shapes.is_box):  # rare kinds, one at a time
        out.append(footprint(grid, shapes.shape(int(k))))
    return [p for p in out if p is not None]


def box_footprint(grid: Grid, center: np.ndarray, rotation: np.ndarray, size: np.ndarray):
    """The footprint of an oriented box (centre, rotation columns, full size), or None outside the band."""
    import shapely

    pts = center + (_SIGNS * (np.asarray(size) / 2)) @ np.asarray(rotation).T
    if not grid.in_band(pts.min(axis=0), pts.max(axis=0)):
        return None
    return shapely.MultiPoint(pts[:, list(grid.plane)]).convex_hull


_SIGNS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)


def _limit(grid: Grid, radius: float) -> float:
    """How far (stage units) a standable cell's centre keeps from every blocked cell's centre."""
    return radius + MARGIN_M * grid.cell / CELL_M + GUARD_CELLS * grid.cell


def standable(grid: Grid, blocked: np.ndarray, radius: float) -> np.ndarray:
    """Cells a person of `radius` (stage units) may stand on: far enough from every blocked cell.

    The cells of `distance_transform_edt(~blocked) * cell >= limit`, without the transform: a cell is too close
    exactly when some blocked cell lies at an offset (di, dj) with sqrt(di² + dj²) * cell < limit (the
    transform's own float arithmetic, per offset), so `blocked` is dilated by that disk of offsets, one row of
    the disk at a time (a horizontal run dilation from prefix sums, shifted by the row's di)."""
    if not blocked.any():
        return np.ones(grid.shape, dtype=bool)
    limit = _limit(grid, radius)
    reach = int(np.ceil(limit / grid.cell)) + 1
    off = np.arange(-reach, reach + 1)
    inside = np.sqrt((off[:, None] ** 2 + off[None, :] ** 2).astype(np.float64)) * grid.cell < limit
    n0, n1 = grid.shape
    csum = np.zeros((n0, n1 + 1), dtype=np.int32)
    np.cumsum(blocked, axis=1, out=csum[:, 1:])
    cols = np.arange(n1)
    runs: dict[int, np.ndarray] = {}
    close = np.zeros(grid.shape, dtype=bool)
    for k, di in enumerate(off):
        w = int(np.count_nonzero(inside[k])) // 2  # the disk's row di spans -w..w (contiguous, symmetric)
        if not inside[k].any():
            continue
        if w not in runs:  # any blocked cell within w columns, per cell
            runs[w] = csum[:, np.minimum(cols + w, n1 - 1) + 1] > csum[:, np.maximum(cols - w, 0)]
        run = runs[w]
        if di >= 0:
            close[:n0 - di] |= run[di:]
        else:
            close[-di:] |= run[:n0 + di]
    return ~close


def near(grid: Grid, polygons, radius: float) -> np.ndarray:
    """`~standable(grid, grid.mask(polygons), radius)`: the cells too close to the polygons for a person of
    `radius`, with the distance transform run on the window around their cells only (every blocked cell lies in
    it, so each distance there is the same; outside it every cell is farther than the threshold)."""
    from scipy import ndimage

    blocked = grid.mask(polygons)
    out = np.zeros(grid.shape, dtype=bool)
    if not blocked.any():
        return out
    limit = _limit(grid, radius)
    pad = int(np.ceil(limit / grid.cell)) + 1
    ii, jj = np.nonzero(blocked)
    a0, a1 = max(int(ii.min()) - pad, 0), min(int(ii.max()) + pad + 1, grid.shape[0])
    b0, b1 = max(int(jj.min()) - pad, 0), min(int(jj.max()) + pad + 1, grid.shape[1])
    dist = ndimage.distance_transform_edt(~blocked[a0:a1, b0:b1]) * grid.cell
    out[a0:a1, b0:b1] = ~(dist >= limit)
    return out


def nearest_unique(ok: np.ndarray, flat: int, reach: int = 8) -> int | None:
    """The flat index of the one `ok` cell nearest cell `flat`, searched in growing windows; None when several are
    equally near (which one `nearest_free`'s transform picks is its own rule) or none is. Any cell outside a window
    of half-width w is farther than w, so a nearest one found within w is the nearest on the whole grid."""
    n0, n1 = ok.shape
    i, j = divmod(int(flat), n1)
    w = reach
    while True:
        a0, a1, b0, b1 = max(i - w, 0), min(i + w + 1, n0), max(j - w, 0), min(j + w + 1, n1)
        ii, jj = np.nonzero(ok[a0:a1, b0:b1])
        if len(ii):
            d2 = (ii + a0 - i) ** 2 + (jj + b0 - j) ** 2
            best = int(d2.min())
            if best <= w * w:
                at = np.flatnonzero(d2 == best)
                return None if len(at) > 1 else int((ii[at[0]] + a0) * n1 + jj[at[0]] + b0)
        if a0 == 0 and b0 == 0 and a1 == n0 and b1 == n1:
            return None
        w *= 4


def nearest_free(free: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
    """For every cell, the flat index of the nearest free cell (inside `within` when given); -1 when none is."""
    from scipy import ndimage

    ok = free if within is None else free & within
    if not ok.any():
        return np.full(free.size, -1)
    _, (ix, iy) = ndimage.distance_transform_edt(~ok, return_indices=True)
    return (ix * free.shape[1] + iy).ravel()
