"""One variant's site for people of one size: the occupancy grid of what this variant's layout left where, the
event obstacles as cell masks, and shortest paths through whatever of them stand at a moment (cached per state)."""

from __future__ import annotations

import numpy as np

from ..blocks.variant import Obstacle, Placed
from ..scene.info import SceneInfo
from ..scene.shapes import scene_shapes
from . import paths
from .occupancy import CELL_M, Grid, box_footprint, footprints, near, nearest_free, nearest_unique, site_grid, standable
from .raster import set_cells

_FOOT: dict[tuple, tuple[SceneInfo, _Cells]] = {}
FIELDS = 64  # distance fields kept per site (each a float and an int per cell)


class _Cells:
    """The cells the source's colliders block: `cells` (flat, sorted per path), `owner` the index in `paths` of
    the collider path blocking each. A path may have many shapes (a triangle-mesh collider is one per triangle):
    its cells are all of theirs."""

    def __init__(self, paths: list[str], owner: np.ndarray, cells: np.ndarray) -> None:
        self.paths, self.owner, self.cells = paths, owner, cells
        self.at = {p: k for k, p in enumerate(paths)}

    def without(self, gone) -> np.ndarray:
        """Cells blocked by every collider path not in `gone`."""
        drop = [self.at[p] for p in gone if p in self.at]
        return self.cells if not drop else self.cells[~np.isin(self.owner, drop)]


def _source_cells(scene: SceneInfo, grid: Grid) -> _Cells:
    """The source's colliders' blocked cells, once per scene and grid (per process)."""
    key = (id(scene), grid.ground, grid.top, grid.shape)
    hit = _FOOT.get(key)
    if hit is not None and hit[0] is scene:
        return hit[1]
    shapes = scene_shapes(scene)
    polys = footprints(grid, shapes)
    keep = [k for k, p in enumerate(polys) if p is not None]
    paths = sorted({shapes[k].path for k in keep})
    at = {p: n for n, p in enumerate(paths)}
    idx, cells = grid.touched([polys[k] for k in keep])
    owner = np.array([at[shapes[k].path] for k in keep], dtype=np.intp)[idx]
    pairs = np.unique(np.stack([owner, cells]), axis=1)  # per path: its cells, sorted, each once
    out = _Cells(paths, pairs[0], pairs[1])
    if len(_FOOT) > 8:
        _FOOT.clear()
    _FOOT[key] = (scene, out)
    return out


def extent(scene: SceneInfo) -> tuple[np.ndarray, np.ndarray]:
    """The horizontal extent people may use: the stage's bounds, else its regions' and colliders' boxes."""
    if scene.bounds is not None:
        return np.asarray(scene.bounds[0], dtype=float), np.asarray(scene.bounds[1], dtype=float)
    boxes = [r.aabb() for r in scene.regions.values()] + [s.aabb() for s in scene_shapes(scene)]
    return np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)


class Site:
    def __init__(self, scene: SceneInfo, ground: float, height: float, radius: float, centre_height: float,
                 placed: Placed, obstacles: list[Obstacle]) -> None:
        self.grid = grid = site_grid(scene, ground, height, extent(scene))
        self.radius, self.h = radius, centre_height
        blocked = np.zeros(grid.shape, dtype=bool)
        blocked.flat[_source_cells(scene, grid).without(placed.gone)] = True
        for moved in placed.moved:
            blocked.flat[set_cells(grid, moved)] = True
        self.base = standable(grid, blocked, radius)
        self.obstacles = obstacles
        self.near: list[np.ndarray] = []
        for o in obstacles:  # cells where a person's centre would be too close to the obstacle
            poly = box_footprint(grid, o.center, o.rotation, o.size)
            self.near.append(np.zeros(grid.shape, dtype=bool) if poly is None else near(grid, [poly], radius))
        self._free: dict[frozenset, np.ndarray] = {}
        self._near: dict[frozenset, np.ndarray] = {}
        self._routes: dict[tuple, np.ndarray | None] = {}
        self._graph: dict[frozenset, object] = {}
        self._field: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def m(self, meters: float) -> float:
        """Metres -> stage units."""
        return meters * self.grid.cell / CELL_M

    def free(self, state: frozenset[int]) -> np.ndarray:
        if state not in self._free:
            f = self.base.copy()
            for k in state:
                f &= ~self.near[k]
            self._free[state] = f
        return self._free[state]

    def inside(self, k: int, points: np.ndarray) -> np.ndarray:
        ix, iy = self.grid.index(points)
        return self.near[k][ix, iy]

    def snap(self, state: frozenset[int], point: np.ndarray, within: np.ndarray | None = None) -> int:
        """The flat cell nearest `point` a person may stand on in `state` (inside `within` when it has one)."""
        free = self.free(state)
        cell = int(self.grid.flat(point)[0])
        if free.flat[cell] and (within is None or within.flat[cell]):
            return cell  # what the distance transform gives a free cell: itself (no transform for most points)
        if within is not None and (free & within).any():
            if (one := nearest_unique(free & within, cell)) is not None:
                return one
            near = nearest_free(free, within)
        else:  # one distance transform per state, not per call, and only where the nearest is not one cell
            if state not in self._near:
                if (one := nearest_unique(free, cell)) is not None:
                    return one
                self._near[state] = nearest_free(free)
            near = self._near[state]
        return int(near[cell])

    def field(self, state: frozenset[int], sources: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        key = (state, sources)
        if len(self._field) > FIELDS:  # a site reused across variants (keep_clear's static one) stays bounded
            self._field.clear()
        if key not in self._field:
            if state not in self._graph:
                self._graph[state] = paths.graph(self.free(state))
            self._field[key] = paths.field(self._graph[state], np.asarray(sources))
        return self._field[key]

    def route(self, state: frozenset[int], start: np.ndarray, goal: int) -> np.ndarray | None:
        """Waypoints from `start` (a point a person stands on) to cell `goal`, straightened; None if unreachable."""
        return self._route(state, start, (goal,))

    def exit(self, state: frozenset[int], k: int, start: np.ndarray) -> tuple[np.ndarray | None, float]:
        """(waypoints, length) from `start` to the nearest cell out of obstacle k's reach."""
        out = np.flatnonzero(self.free(state) & ~self.near[k])
        if not len(out):
            return None, np.inf
        poly = self._route(state, start, tuple(out.tolist()), key=("exit", k))
        return poly, np.inf if poly is None else float(np.linalg.norm(np.diff(poly, axis=0), axis=1).sum())

    def _route(self, state, start, sources, key=None) -> np.ndarray | None:
        # a person tried at later starts asks for the same routes again: a pure function of these, so cached
        memo = (state, key if key is not None else sources, np.asarray(start, dtype=float).tobytes())
        if len(self._routes) > 64 * FIELDS:
            self._routes.clear()
        if memo not in self._routes:
            self._routes[memo] = self._search(state, start, sources, key)
        got = self._routes[memo]
        return None if got is None else got.copy()

    def _search(self, state, start, sources, key=None) -> np.ndarray | None:
        if key is not None:  # many sources: cache under a short key
            full = (state, key)
            if full not in self._field:
                if state not in self._graph:
                    self._graph[state] = paths.graph(self.free(state))
                self._field[full] = paths.field(self._graph[state], np.asarray(sources))
            dist, pred = self._field[full]
        else:
            dist, pred = self.field(state, sources)
        s = int(self.grid.flat(start)[0])
        if not np.isfinite(dist[s]):
            return None
        pts = self.grid.point(np.asarray(paths.cells_to(pred, s)), self.h)
        pts = paths.straighten(self.grid, self.free(state), pts)
        if np.linalg.norm(pts[0] - start) > 1e-9:  # start lies within half a cell of its cell's centre
            pts = np.vstack([start, pts])
        return pts
