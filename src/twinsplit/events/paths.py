"""Shortest paths on the occupancy grid (scipy.sparse.csgraph's Dijkstra: one search from a goal gives every cell's
way there) and their straightening into a few waypoints with line-of-sight on the free cells."""

from __future__ import annotations

import numpy as np

from .occupancy import Grid

_STEPS = ((1, 0, 1.0), (0, 1, 1.0), (1, 1, np.sqrt(2)), (1, -1, np.sqrt(2)))


def graph(free: np.ndarray):
    """The 8-connected graph of free cells (a diagonal only where both cells beside it are free: no corner cuts)."""
    from scipy.sparse import coo_matrix

    nx, ny = free.shape
    idx = np.arange(nx * ny).reshape(nx, ny)
    rows, cols, weights = [], [], []
    for dx, dy, w in _STEPS:
        a = (slice(0, nx - dx), slice(max(0, -dy), ny - max(0, dy)))
        b = (slice(dx, nx), slice(max(0, dy), ny - max(0, -dy)))
        ok = free[a] & free[b]
        if dx and dy:
            ok &= free[(slice(dx, nx), a[1])] & free[(a[0], b[1])]
        rows.append(idx[a][ok])
        cols.append(idx[b][ok])
        weights.append(np.full(int(ok.sum()), w))
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    return coo_matrix((w, (r, c)), shape=(nx * ny, nx * ny)).tocsr()


def field(g, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance in cells, predecessor toward the nearest source) of every cell; inf / -9999 where unreachable."""
    from scipy.sparse.csgraph import dijkstra

    dist, pred, _ = dijkstra(g, directed=False, indices=np.unique(sources), min_only=True,
                             return_predecessors=True)
    return dist, pred


def cells_to(pred: np.ndarray, start: int) -> list[int]:
    """The cells from `start` to the source its predecessors lead to."""
    out = [int(start)]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out


def visible(grid: Grid, free: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Is every point of the segment a-b within half a cell of a free cell centre?"""
    return bool(_visible_from(grid, free, a, b[None, :])[0])


def _visible_from(grid: Grid, free: np.ndarray, a: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """`visible(a, e)` for every row e of `ends`, in one pass: the same points as linspace over each segment."""
    d = ends - a
    n = np.ceil(np.linalg.norm(d, axis=1) / (grid.cell / 3)).astype(int) + 1
    ends_at = np.cumsum(n)
    starts = ends_at - n
    seg = np.repeat(np.arange(len(ends)), n)
    k = np.arange(int(ends_at[-1])) - starts[seg]
    frac = k * (1.0 / np.maximum(n - 1, 1))[seg]
    frac[ends_at - 1] = 1.0  # linspace's last point is exactly its stop
    # grid.index of a + frac * d, on the two plane coordinates only (the same arithmetic per coordinate)
    (pi, pj), (n0, n1) = grid.plane, grid.shape
    ix = np.rint((a[pi] + frac * d[seg, pi] - grid.origin[0]) / grid.cell).astype(np.intp)
    iy = np.rint((a[pj] + frac * d[seg, pj] - grid.origin[1]) / grid.cell).astype(np.intp)
    np.clip(ix, 0, n0 - 1, out=ix)
    np.clip(iy, 0, n1 - 1, out=iy)
    ok = free.ravel()[ix * n1 + iy]
    return np.logical_and.reduceat(ok, starts)


CHUNK = 32  # segments from one anchor tested at once while string pulling


def straighten(grid: Grid, free: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The fewest of `points` (a cell path, world) whose segments all keep to free cells (greedy string pulling:
    from each anchor, the last point before the first one out of sight becomes the next anchor)."""
    if len(points) <= 2:
        return points
    out, anchor, i = [points[0]], 0, 1
    while i < len(points):
        j = min(i + CHUNK, len(points))
        seen = _visible_from(grid, free, points[anchor], points[i:j])
        if seen.all():
            i = j
            continue
        i += int(np.argmin(seen))  # the first point out of sight from the anchor
        anchor = i - 1
        out.append(points[anchor])
        i += 1
    out.append(points[-1])
    return np.asarray(out)
