"""Many shapes as arrays: move them all at once, find the pairs that can touch, measure depths in batches.

The batch form of `broad.find_overlaps` / `OverlapIndex` for layout and verify at site scale (thousands of
bodies per variant): a rigid move of every shape is one einsum, the broad phase is one sorted sweep, and box
pairs (the common case) go through the vectorised SAT. Other kinds fall back to the exact per-pair
`penetration_depth`, so every verdict equals the scalar code's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .narrow import box_box_depth, penetration_depth
from .shape import Shape

BIG_FACTOR = 8.0  # shapes wider than this many median widths (floors, walls) are tested against every query


@dataclass(frozen=True, eq=False)
class ShapeSet:
    """Shapes as arrays (stage units, world space). `delta[k]` is the rigid 4x4 (row convention) that moved
    source shape k here (None: not moved); `shape(k)` gives the moved Shape for the exact per-pair test."""

    shapes: tuple[Shape, ...]
    center: np.ndarray  # (n, 3)
    rotation: np.ndarray  # (n, 3, 3), columns = local axes in world
    half: np.ndarray  # (n, 3) box half extents (0 for other kinds)
    is_box: np.ndarray  # (n,)
    lo: np.ndarray  # (n, 3) exact AABBs
    hi: np.ndarray
    body: np.ndarray  # (n,) object: owning body path
    dynamic: np.ndarray  # (n,)
    delta: np.ndarray | None = None  # (n, 4, 4)
    index: np.ndarray | None = None  # (n,) which of `shapes` each row is (None: row k is shapes[k])

    @classmethod
    def of(cls, shapes: Sequence[Shape]) -> ShapeSet:
        shapes = tuple(shapes)
        n = len(shapes)
        lo = np.array([s.aabb()[0] for s in shapes]).reshape(n, 3)
        hi = np.array([s.aabb()[1] for s in shapes]).reshape(n, 3)
        return cls(shapes, np.array([s.center for s in shapes], dtype=float).reshape(n, 3),
                   np.array([s.rotation for s in shapes], dtype=float).reshape(n, 3, 3),
                   np.array([s.half_extents if s.kind == "box" else np.zeros(3) for s in shapes],
                            dtype=float).reshape(n, 3),
                   np.array([s.kind == "box" for s in shapes], dtype=bool),
                   lo, hi, np.array([s.body for s in shapes], dtype=object),
                   np.array([s.dynamic for s in shapes], dtype=bool))

    def __len__(self) -> int:
        return len(self.lo)

    def subset(self, idx: np.ndarray) -> ShapeSet:
        idx = np.asarray(idx, dtype=int)
        return ShapeSet(self.shapes, self.center[idx], self.rotation[idx], self.half[idx], self.is_box[idx],
                        self.lo[idx], self.hi[idx], self.body[idx], self.dynamic[idx],
                        None if self.delta is None else self.delta[idx], self._index()[idx])

    def _index(self) -> np.ndarray:
        return np.arange(len(self.lo)) if self.index is None else self.index

    def moved(self, delta: np.ndarray) -> ShapeSet:
        """Every shape k moved by the rigid world transform delta[k] (n, 4, 4), row convention."""
        d = np.asarray(delta, dtype=float)
        rt, t = d[:, :3, :3], d[:, 3, :3]
        center = np.einsum("ni,nij->nj", self.center, rt) + t
        rotation = np.swapaxes(rt, 1, 2) @ self.rotation
        lo, hi = np.empty_like(self.lo), np.empty_like(self.hi)
        b = self.is_box
        ext = np.einsum("nij,nj->ni", np.abs(rotation[b]), self.half[b])
        lo[b], hi[b] = center[b] - ext, center[b] + ext
        base = d if self.delta is None else self.delta @ d
        for k in np.flatnonzero(~b):  # rare kinds: their own exact AABB
            lo[k], hi[k] = self.shapes[self._index()[k]].transformed(base[k]).aabb()
        return ShapeSet(self.shapes, center, rotation, self.half, b, lo, hi, self.body, self.dynamic, base,
                        self.index)

    def shape(self, k: int) -> Shape:
        """Shape k as it is in this set (moved when the set was)."""
        s = self.shapes[int(self._index()[k])]
        return s if self.delta is None else s.transformed(self.delta[k])


def candidate_pairs(a: ShapeSet, b: ShapeSet, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """(ia, ib): every pair whose AABBs overlap by more than tol on every axis (the test of
    `broad._aabbs_overlap`). b's shapes are binned by their low corner on a 2-D grid over the two axes where
    b spreads most, with cells as wide as its widest shape, so each query looks at its own 3 x 3 cells; b's
    very wide shapes (floors, walls) are tested against every query directly."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    w = b.hi - b.lo
    axes = np.argsort(-np.var((b.lo + b.hi) / 2, axis=0), kind="stable")[:2]
    span = w[:, axes].max(1)
    med = float(np.median(span))
    big = span > med * BIG_FACTOR if med > 0 else np.zeros(len(b), dtype=bool)
    small = np.flatnonzero(~big)
    out_a, out_b = [], []
    if len(small):
        cell = max(float(span[small].max()), 1e-12)
        origin = b.lo[small][:, axes].min(0)
        cb = np.floor((b.lo[small][:, axes] - origin) / cell).astype(np.int64)
        width = int(cb[:, 1].max()) + 3
        key = cb[:, 0] * width + cb[:, 1]
        order = np.argsort(key, kind="stable")
        skey, sidx = key[order], small[order]
        ca = np.floor((a.lo[:, axes] - origin) / cell).astype(np.int64)
        cmax = np.floor((a.hi[:, axes] - origin) / cell).astype(np.int64)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                # the cells a query can reach: its low cell - 1 up to its high cell (a query spanning more
                # cells than that is rare and covered below by scanning its whole range)
                qx, qy = ca[:, 0] + dx, ca[:, 1] + dy
                ok = (qy >= 0) & (qy < width - 2) & (qx >= 0)
                k = qx * width + qy
                first = np.searchsorted(skey, k, side="left")
                last = np.searchsorted(skey, k, side="right")
                counts = np.where(ok, last - first, 0)
                total = int(counts.sum())
                if total:
                    ia = np.repeat(np.arange(len(a)), counts)
                    start = np.repeat(first - (np.cumsum(counts) - counts), counts)
                    out_a.append(ia)
                    out_b.append(sidx[np.arange(total) + start])
        wide = np.flatnonzero(np.any(cmax - ca > 1, axis=1))  # queries wider than two cells: all small b
        if len(wide):
            out_a.append(np.repeat(wide, len(small)))
            out_b.append(np.tile(small, len(wide)))
    bigs = np.flatnonzero(big)
    if len(bigs):
        out_a.append(np.repeat(np.arange(len(a)), len(bigs)))
        out_b.append(np.tile(bigs, len(a)))
    if not out_a:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    ia, ib = np.concatenate(out_a), np.concatenate(out_b)
    ok = np.all((a.hi[ia] - b.lo[ib] > tol) & (b.hi[ib] - a.lo[ia] > tol), axis=1)
    ia, ib = ia[ok], ib[ok]
    if len(wide if len(small) else ()):  # a wide query may have met a shape twice
        pairs = np.unique(np.stack([ia, ib], 1), axis=0)
        ia, ib = pairs[:, 0], pairs[:, 1]
    return ia, ib


def pair_depths(a: ShapeSet, ia: np.ndarray, b: ShapeSet, ib: np.ndarray) -> np.ndarray:
    """Exact penetration depth of each pair (a[ia[k]], b[ib[k]]): box pairs in one vectorised SAT."""
    out = np.empty(len(ia))
    both = a.is_box[ia] & b.is_box[ib]
    if both.any():
        i, j = ia[both], ib[both]
        out[both] = box_box_depth(a.center[i], a.rotation[i], a.half[i], b.center[j], b.rotation[j], b.half[j])
    for k in np.flatnonzero(~both):
        out[k] = penetration_depth(a.shape(int(ia[k])), b.shape(int(ib[k])))
    return out


def overlapping(a: ShapeSet, b: ShapeSet, tol: float, *, dynamic_only: bool = True,
                exclude_same_body: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ia, ib, depth) of the pairs that penetrate by more than tol, with `find_overlaps`' pair rules: pairs of
    two non-dynamic shapes and pairs within one body are not counted."""
    ia, ib = candidate_pairs(a, b, tol)
    keep = np.ones(len(ia), dtype=bool)
    if dynamic_only:
        keep &= a.dynamic[ia] | b.dynamic[ib]
    if exclude_same_body:
        keep &= a.body[ia] != b.body[ib]
    ia, ib = ia[keep], ib[keep]
    d = pair_depths(a, ia, b, ib)
    hit = d > tol
    return ia[hit], ib[hit], d[hit]


def body_depths(a: ShapeSet, b: ShapeSet, tol: float, into: dict | None = None) -> dict[tuple[str, str], float]:
    """(body, body) sorted -> the deepest penetration beyond tol between them (`overlapping`'s pairs), merged into
    `into`: how far pairs already interpenetrate in a source, which layout, verify and validate let them keep."""
    out = {} if into is None else into
    for i, j, d in zip(*overlapping(a, b, tol), strict=True):
        key = (a.body[i], b.body[j]) if a.body[i] <= b.body[j] else (b.body[j], a.body[i])
        out[key] = max(out.get(key, 0.0), float(d))
    return out


def sinks(depths: dict[tuple[str, str], float]) -> dict[str, float]:
    """body -> the deepest of its pairs in `depths` (how far it may sit in what it rests on)."""
    out: dict[str, float] = {}
    for pair, d in depths.items():
        for body in pair:
            out[body] = max(out.get(body, 0.0), d)
    return out
