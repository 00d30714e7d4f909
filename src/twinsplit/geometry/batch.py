"""Many shapes as arrays: move them all at once, find the pairs that can touch, measure depths in batches.

The batch form of `broad.find_overlaps` / `OverlapIndex` for layout and verify at site scale (thousands of
bodies per variant): a rigid move of every shape is one einsum, the broad phase is a grid index kept with the
set it was built over (`aabb_index`: a set that stays put is binned once, however often it is queried), and
box pairs (the common case) go through the vectorised SAT. Other kinds fall back to the exact per-pair
`penetration_depth`, so every verdict equals the scalar code's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .aabb_index import AabbIndex
from .narrow import box_box_depth, penetration_depth
from .shape import Shape


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

    @cached_property
    def aabb_index(self) -> AabbIndex:
        """The broad-phase index of these AABBs (the set is immutable, so it is built once)."""
        return AabbIndex(self.lo, self.hi)

    @classmethod
    def join(cls, sets: Sequence[ShapeSet]) -> ShapeSet:
        """One set of the rows of several views of the same shapes (subsets, moved or not)."""
        first = sets[0]
        if any(s.shapes is not first.shapes for s in sets):
            raise ValueError("ShapeSet.join needs views of one ShapeSet's shapes")

        def cat(f):
            return np.concatenate([f(s) for s in sets])

        moved = any(s.delta is not None for s in sets)
        return cls(first.shapes, cat(lambda s: s.center), cat(lambda s: s.rotation), cat(lambda s: s.half),
                   cat(lambda s: s.is_box), cat(lambda s: s.lo), cat(lambda s: s.hi), cat(lambda s: s.body),
                   cat(lambda s: s.dynamic),
                   cat(lambda s: np.tile(np.eye(4), (len(s), 1, 1)) if s.delta is None else s.delta) if moved else None,
                   cat(lambda s: s._index()))

    def shape(self, k: int) -> Shape:
        """Shape k as it is in this set (moved when the set was)."""
        s = self.shapes[int(self._index()[k])]
        return s if self.delta is None else s.transformed(self.delta[k])


def candidate_pairs(a: ShapeSet, b: ShapeSet, tol: float, b_mask: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(ia, ib): every pair whose AABBs overlap by more than tol on every axis (the test of
    `broad._aabbs_overlap`), only b's shapes where `b_mask` holds if given, in no particular order. Uses b's
    index (built on first use and kept with b: query a set that stays put many times)."""
    return b.aabb_index.pairs(a.lo, a.hi, tol, b_mask)


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


def overlapping(a: ShapeSet, b: ShapeSet, tol: float, *, dynamic_only: bool = True, exclude_same_body: bool = True,
                keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None, b_mask: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ia, ib, depth) of the pairs that penetrate by more than tol, with `find_overlaps`' pair rules: pairs of
    two non-dynamic shapes and pairs within one body are not counted. `keep(ia, ib)` drops more pairs before
    their depth is measured; `b_mask` restricts b to its rows where it holds. The broad phase uses b's index."""
    ia, ib = candidate_pairs(a, b, tol, b_mask)
    ok = np.ones(len(ia), dtype=bool)
    if dynamic_only:
        ok &= a.dynamic[ia] | b.dynamic[ib]
    if exclude_same_body:
        ok &= a.body[ia] != b.body[ib]
    if keep is not None:
        ok &= keep(ia, ib)
    ia, ib = ia[ok], ib[ok]
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


class PairDepths:
    """`body_depths`' table as sorted integer keys, for looking up many pairs at once: bodies are numbered by
    `ids` (names -> int), a pair's key is (low id, high id)."""

    def __init__(self, depths: dict[tuple[str, str], float], bodies: Sequence[str]) -> None:
        self.number = {b: k for k, b in enumerate(sorted(set(bodies) | {b for pair in depths for b in pair}))}
        self.n = len(self.number)
        keys = np.array([self._key(self.number[a], self.number[b]) for a, b in depths], dtype=np.int64)
        order = np.argsort(keys)
        self.keys = keys[order]
        self.depth = np.array(list(depths.values()), dtype=float)[order]

    def _key(self, i, j):
        return np.minimum(i, j) * self.n + np.maximum(i, j)

    def ids(self, names: np.ndarray) -> np.ndarray:
        return np.array([self.number[b] for b in names], dtype=np.int64)

    def kept(self, ida: np.ndarray, idb: np.ndarray, depth: np.ndarray, tol: float) -> np.ndarray:
        """Per pair: the source already overlaps that deep (depth <= its own depth + tol), so it may stay."""
        if len(self.keys) == 0:
            return np.zeros(len(depth), dtype=bool)
        key = self._key(np.asarray(ida, dtype=np.int64), np.asarray(idb, dtype=np.int64))
        pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        return (self.keys[pos] == key) & (depth <= self.depth[pos] + tol)
