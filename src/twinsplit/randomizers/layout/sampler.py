"""Placement: world deltas and sequential rejection sampling of unit poses against an overlap index."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from ...geometry import OverlapIndex, Shape, penetration_depth
from ...geometry.prism import KeepOut, Prism
from ...geometry.support import _aabb, centre_xy, over_support
from .units import PLACE_TOL_FACTOR, Geometry, Unit


def yaw_matrix(deg: float, up: int) -> np.ndarray:
    """Row-convention 3x3 rotation by `deg` about the up axis (counter-clockwise seen from above)."""
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    a, b = [(1, 2), (2, 0), (0, 1)][up]  # right-handed pair (a, b) with a x b = up
    r = np.eye(3)  # column convention: a -> c a + s b ; b -> -s a + c b
    r[a, a], r[b, a], r[a, b], r[b, b] = c, s, -s, c
    return r.T


def delta(centre: np.ndarray, yaw_deg: float, shift: np.ndarray, up: int) -> np.ndarray:
    """World delta: turn about the up axis through `centre`, then translate by `shift` (row convention)."""
    r = yaw_matrix(yaw_deg, up)
    d = np.eye(4)
    d[:3, :3] = r
    d[3, :3] = centre - centre @ r + shift
    return d


class Pending:
    """Original poses of units not placed yet (a grid over their AABBs); removable, unlike OverlapIndex."""

    def __init__(self, units: list[Unit], tol: float) -> None:
        self.tol = tol
        self.units = units
        sizes = [float(np.max(_aabb(u.shapes)[1] - _aabb(u.shapes)[0])) for u in units]
        self.cell = max(float(np.median(sizes)) if sizes else 1.0, 1e-9)
        self.grid: dict[tuple, set[int]] = defaultdict(set)
        self.live: set[int] = set(range(len(units)))
        boxes = [_aabb(u.shapes) for u in units]
        self.lo = np.array([b[0] for b in boxes]).reshape(-1, 3)
        self.hi = np.array([b[1] for b in boxes]).reshape(-1, 3)
        for k, b in enumerate(boxes):
            for c in self._cells(*b):
                self.grid[c].add(k)

    def _cells(self, lo, hi):
        a = np.floor(lo / self.cell).astype(int)
        b = np.floor(hi / self.cell).astype(int)
        if np.prod(b - a + 1) > 4096:
            return [("big",)]
        return [(x, y, z) for x in range(a[0], b[0] + 1) for y in range(a[1], b[1] + 1) for z in range(a[2], b[2] + 1)]

    def remove(self, k: int) -> None:
        self.live.discard(k)

    def hit(self, shapes: list[Shape], skip: set[int]) -> int | None:
        lo, hi = _aabb(shapes)
        ids = set(self.grid.get(("big",), ()))
        for c in self._cells(lo, hi):
            ids |= self.grid.get(c, set())
        ids = ids & self.live - skip
        if not ids:
            return None
        cand = np.array(sorted(ids))
        cand = cand[np.all(np.minimum(hi, self.hi[cand]) - np.maximum(lo, self.lo[cand]) > self.tol, axis=1)]
        for k in cand.tolist():
            for a in shapes:
                alo, ahi = a.aabb()
                for b in self.units[k].shapes:
                    olo, ohi = b.aabb()
                    if (np.all(np.minimum(ahi, ohi) - np.maximum(alo, olo) > self.tol)
                            and penetration_depth(a, b) > self.tol):
                        return k
        return None


@dataclass
class Failure:
    leader: str
    tries: int
    reasons: Counter = field(default_factory=Counter)
    fallback: str = ""

    def describe(self) -> str:
        top = ", ".join(f"{r} ×{n}" for r, n in self.reasons.most_common(3))
        return (f"{self.leader} (tried {self.tries} times: {top}; its original pose is not valid either: "
                f"{self.fallback})")


@dataclass
class Placer:
    """Sequential rejection sampling of unit poses against a grid index of everything already fixed."""

    geo: Geometry
    bounds: Prism | None
    keep_out: KeepOut | None
    swap_of: dict[int, set[int]]  # unit -> the other units of its swap group (never block each other's slots)
    index: OverlapIndex = field(init=False)
    pending: Pending = field(init=False)

    def __post_init__(self) -> None:
        tol = self.geo.tol * PLACE_TOL_FACTOR
        self.pending = Pending(self.geo.units, tol)
        # cells sized by what moves (the default, sized by the obstacles, is huge for walls and shelving)
        self.index = OverlapIndex(self.geo.obstacles, tolerance=tol, cell_size=self.pending.cell)

    def moved_shapes(self, k: int, d: np.ndarray) -> list[Shape]:
        return [s.transformed(d) for s in self.geo.units[k].shapes]

    def reject(self, k: int, shapes: list[Shape], supports: dict[str, list[Shape]] | None) -> str | None:
        """Why a candidate pose of unit k is not acceptable, or None."""
        tol = self.geo.tol * PLACE_TOL_FACTOR
        if self.bounds is not None and not all(self.bounds.contains(s, tol) for s in shapes):
            return "outside bounds"
        if self.keep_out is not None:
            for s in shapes:
                if (r := self.keep_out.hit(s)) is not None:
                    return f"in keep-out {r}"
        if supports:
            for member, sup in supports.items():
                mine = [s for s in shapes if s.body == member]
                if mine and not over_support(centre_xy(mine, self.geo.plane), sup, self.geo.plane, self.geo.up):
                    return "off its support"
        if (j := self.pending.hit(shapes, {k} | self.swap_of.get(k, set()))) is not None:
            return f"overlaps {self.geo.units[j].leader}"
        for s in shapes:
            if (b := self.index.collides(s)) is not None:
                return f"overlaps {b}"
        return None

    def fix(self, k: int, shapes: list[Shape]) -> None:
        for s in shapes:
            self.index.add(s)
        self.pending.remove(k)
