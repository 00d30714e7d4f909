"""Broad phase + pair rules: batch overlap search (sweep and prune) and an incremental grid index."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .narrow import box_box_depth, penetration_depth
from .shape import Shape, box

DEFAULT_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Overlap:
    """Two rigid bodies interpenetrating: ``a < b`` are body paths (a static collider is its own body),
    ``depth`` the deepest penetration among their collider pairs, ``collider_a/b`` that pair."""

    a: str
    b: str
    depth: float
    collider_a: str = ""
    collider_b: str = ""


def _aabbs_overlap(lo_a, hi_a, lo_b, hi_b, tol: float):
    """Boxes that could hold a penetration deeper than tol: on every axis *both* one-sided overlaps
    exceed tol (not the intersection length: a zero-thickness floor inside a box has none)."""
    return np.all((hi_a - lo_b > tol) & (hi_b - lo_a > tol), axis=-1)


def _depths(pairs: Sequence[tuple[Shape, Shape]]) -> np.ndarray:
    """Penetration depth for each pair; box–box pairs in one vectorised SAT call."""
    out = np.empty(len(pairs))
    boxes = [k for k, (a, b) in enumerate(pairs) if a.kind == "box" and b.kind == "box"]
    if boxes:
        A = [pairs[k][0] for k in boxes]
        B = [pairs[k][1] for k in boxes]
        out[boxes] = box_box_depth(
            np.array([s.center for s in A]), np.array([s.rotation for s in A]),
            np.array([s.half_extents for s in A]), np.array([s.center for s in B]),
            np.array([s.rotation for s in B]), np.array([s.half_extents for s in B]))
    for k, (a, b) in enumerate(pairs):
        if not (a.kind == "box" and b.kind == "box"):
            out[k] = penetration_depth(a, b)
    return out


def _candidate_pairs(lo: np.ndarray, hi: np.ndarray, tol: float, chunk: int = 4096):
    """Index pairs (i<j by sort order) whose AABBs overlap by more than tol on every axis.

    Sweep and prune along the axis where the AABB centres spread most; yields arrays per chunk."""
    n = len(lo)
    ax = int(np.argmax(np.var((lo + hi) / 2, axis=0)))
    order = np.argsort(lo[:, ax], kind="stable")
    slo, shi = lo[order, ax], hi[order, ax]
    end = np.searchsorted(slo, shi - tol, side="left")  # j < end  <=>  lo_j < hi_i - tol
    for start in range(0, n, chunk):
        idx = np.arange(start, min(start + chunk, n))
        counts = np.maximum(end[idx] - idx - 1, 0)
        total = int(counts.sum())
        if total == 0:
            continue
        i = np.repeat(idx, counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        j = np.arange(total) - first + i + 1
        gi, gj = order[i], order[j]
        ok = _aabbs_overlap(lo[gi], hi[gi], lo[gj], hi[gj], tol)
        yield gi[ok], gj[ok]


def find_overlaps(shapes: Sequence[Shape], *, tolerance: float = DEFAULT_TOLERANCE) -> list[Overlap]:
    """All interpenetrating body pairs (depth > tolerance, stage units), one Overlap per body pair
    (deepest collider pair), sorted by (a, b).  Pairs of two non-dynamic shapes (static or kinematic)
    and pairs within one body are ignored."""
    if len(shapes) < 2:
        return []
    lo = np.array([s.aabb()[0] for s in shapes])
    hi = np.array([s.aabb()[1] for s in shapes])
    dyn = np.array([s.dynamic for s in shapes])
    body_id = {b: k for k, b in enumerate(sorted({s.body for s in shapes}))}
    bid = np.array([body_id[s.body] for s in shapes])
    best: dict[tuple[str, str], Overlap] = {}
    for gi, gj in _candidate_pairs(lo, hi, tolerance):
        keep = (dyn[gi] | dyn[gj]) & (bid[gi] != bid[gj])
        pairs = [(shapes[i], shapes[j]) for i, j in zip(gi[keep], gj[keep], strict=True)]
        if not pairs:
            continue
        for (a, b), d in zip(pairs, _depths(pairs), strict=True):
            if d <= tolerance:
                continue
            if b.body < a.body:
                a, b = b, a
            key = (a.body, b.body)
            if key not in best or d > best[key].depth:
                best[key] = Overlap(a.body, b.body, float(d), a.path, b.path)
    return [best[k] for k in sorted(best)]


class OverlapIndex:
    """Uniform grid hash for incremental placement; each query touches ~O(1) shapes.

    Build it with the geometry that stays put, then per moved body: draw candidates until
    ``collides(c)`` is None, then ``add(c)``.  Same pair rules and tolerance as ``find_overlaps``.
    The cell size defaults to the median AABB size of the shapes (re-derived, with a rebuild, each time
    the population doubles unless ``cell_size`` is given); shapes spanning more than
    ``max_cells`` cells (floors, planes) go to a short list tested against every query."""

    def __init__(self, shapes: Iterable[Shape] = (), tolerance: float = DEFAULT_TOLERANCE, *,
                 cell_size: float | None = None, max_cells: int = 512) -> None:
        self.tolerance = tolerance
        self.max_cells = max_cells
        self._auto = cell_size is None  # re-derive the cell size as the population grows
        self.cell_size = cell_size
        self._shapes: list[Shape] = []
        self._rebuild(list(shapes))

    def __len__(self) -> int:
        return len(self._shapes)

    def _rebuild(self, shapes: list[Shape]) -> None:
        if self._auto and shapes:
            sizes = np.array([np.max(s.aabb()[1] - s.aabb()[0]) for s in shapes])
            sizes = sizes[sizes > 0]
            self.cell_size = float(np.median(sizes)) if len(sizes) else self.cell_size
        # next re-derivation when the population doubles: amortised O(1) per add, and an index
        # seeded with one big floor does not keep floor-sized cells for thousands of small boxes
        self._next_rebuild = max(16, 2 * len(shapes))
        self._shapes = []
        self._grid: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        self._big: list[int] = []
        cap = max(16, len(shapes))  # AABBs and dynamic flags as arrays: one vectorised filter per query
        self._lo, self._hi, self._dyn = np.empty((cap, 3)), np.empty((cap, 3)), np.empty(cap, dtype=bool)
        for s in shapes:
            self._insert(s)

    def _range(self, shape: Shape) -> tuple[np.ndarray, np.ndarray]:
        if self.cell_size is None:  # empty index: size cells from the first shape seen
            self.cell_size = float(np.max(shape.aabb()[1] - shape.aabb()[0])) or 1.0
        lo, hi = shape.aabb()
        return np.floor(lo / self.cell_size).astype(int), np.floor(hi / self.cell_size).astype(int)

    @staticmethod
    def _cells(ilo: np.ndarray, ihi: np.ndarray):
        for x in range(ilo[0], ihi[0] + 1):
            for y in range(ilo[1], ihi[1] + 1):
                for z in range(ilo[2], ihi[2] + 1):
                    yield (x, y, z)

    def add(self, shape: Shape) -> None:
        """Insert a shape (no collision check)."""
        if self._auto and len(self._shapes) + 1 >= self._next_rebuild:
            self._rebuild([*self._shapes, shape])
            return
        self._insert(shape)

    def _insert(self, shape: Shape) -> None:
        k = len(self._shapes)
        self._shapes.append(shape)
        if k == len(self._lo):
            self._lo, self._hi = np.resize(self._lo, (2 * k, 3)), np.resize(self._hi, (2 * k, 3))
            self._dyn = np.resize(self._dyn, 2 * k)
        self._lo[k], self._hi[k] = shape.aabb()
        self._dyn[k] = shape.dynamic
        ilo, ihi = self._range(shape)
        if math.prod((ihi - ilo + 1).tolist()) > self.max_cells:
            self._big.append(k)
            return
        for c in self._cells(ilo, ihi):
            self._grid[c].append(k)

    def _hits(self, shape: Shape, first: bool) -> list[str]:
        ilo, ihi = self._range(shape)
        if math.prod((ihi - ilo + 1).tolist()) > self.max_cells:
            ids = np.arange(len(self._shapes))  # a huge query: just test everything
        else:
            found = set(self._big)
            for c in self._cells(ilo, ihi):
                found.update(self._grid.get(c, ()))
            ids = np.array(sorted(found), dtype=int)
        if len(ids) == 0:
            return []
        lo, hi = shape.aabb()
        tol = self.tolerance
        keep = _aabbs_overlap(lo, hi, self._lo[ids], self._hi[ids], tol)
        if not shape.dynamic:
            keep &= self._dyn[ids]
        hits = [o for o in (self._shapes[k] for k in ids[keep]) if o.body != shape.body]
        out: list[str] = []
        if not hits:
            return out
        for o, d in zip(hits, _depths([(shape, o) for o in hits]), strict=True):
            if d > tol and o.body not in out:
                out.append(o.body)
                if first:
                    break
        return out

    def collides(self, shape: Shape) -> str | None:
        """Body path of the first indexed shape that ``shape`` penetrates by more than the tolerance."""
        found = self._hits(shape, first=True)
        return found[0] if found else None

    def hits(self, shape: Shape) -> list[str]:
        """Body paths of every indexed shape that ``shape`` penetrates by more than the tolerance (index order)."""
        return self._hits(shape, first=False)


def within_bounds(shape: Shape, box_min, box_max, *, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """True if the shape lies inside the world AABB [box_min, box_max] (sticking out <= tolerance)."""
    lo, hi = shape.aabb()
    return bool(np.all(lo >= np.asarray(box_min) - tolerance) and np.all(hi <= np.asarray(box_max) + tolerance))


def intersects_box(shape: Shape, box_min, box_max, rotation=None, *,
                   tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """True if the shape penetrates (depth > tolerance) the region {x : box_min <= R^T x <= box_max}.

    ``rotation`` (3x3, columns = region axes in world) makes box_min/box_max coordinates in that rotated
    frame; without it the region is the world AABB.  For a guide cube prim, ``shape_from_prim`` gives an
    oriented box directly: use ``penetration_depth(shape, region) > tol``."""
    rot = np.eye(3) if rotation is None else np.asarray(rotation, dtype=float)
    lo, hi = np.asarray(box_min, dtype=float), np.asarray(box_max, dtype=float)
    region = box("__region__", rot @ ((lo + hi) / 2), (hi - lo) / 2, rot)
    return penetration_depth(shape, region) > tolerance
