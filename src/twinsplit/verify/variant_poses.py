"""A variant's layout, re-checked from what its layer authors on top of the copied source, without composing it.

The source's collision shapes and body transforms are read once per set; each variant's authored xform op
values (`xformOp:*`, `xformOpOrder`, `active`) give every moved prim's new local transform (numpy, in
`verify.authored_poses`), hence its world delta, which moves the shapes under it. Then the same tests the
sampler uses: no penetration deeper than the source's own for that pair, inside the block's bounds, clear of
the split's keep-out regions, and every moved body that rested on unmoved geometry still resting
(`geometry.resting`). An authored spec on a source prim this cannot evaluate (a time-sampled transform, a
scale that makes the move non-rigid) is a finding, never silently passed.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..geometry.batch import ShapeSet, body_depths, candidate_pairs, overlapping, sinks
from ..geometry.prism import outside
from ..geometry.resting import Footings, Tops, footing, supported
from .authored_poses import PoseTable, layout_finding, parent_path
from .core import Finding


def shapes_under(shapes: list) -> dict[str, list[int]]:
    """prim path -> the indices of the shapes at or below it (every ancestor of each shape's prim)."""
    under: dict[str, list[int]] = defaultdict(list)
    for k, s in enumerate(shapes):
        p = s.path
        while p:
            under[p].append(k)
            p = parent_path(p)
    return under


class SourceShapes:
    """Per set: the source's shapes (as arrays, with the broad-phase index they keep), which prims they sit under,
    and the op-stack table that turns a variant's authored xform values into world deltas of those prims."""

    def __init__(self, shapes: list, xforms_of) -> None:
        self.set = ShapeSet.of(shapes)
        self.xforms_of = xforms_of  # paths -> {path: Xf} (the scene's cached reader)
        self.under = shapes_under(shapes)
        self.poses = PoseTable(self.under, xforms_of)
        self.under_idx = {p: np.array(ks, dtype=np.intp) for p, ks in self.under.items()}
        self._last_moves: tuple | None = None  # (moved prims, (them shallow first, each shape's nearest moved one))

    def deltas(self, authored) -> tuple[dict[str, np.ndarray], set[str], list[Finding]]:
        """(prim -> world delta of every source prim the layer moves, prims it deactivates, findings)."""
        return self.poses.deltas(authored)

    def place(self, deltas: dict[str, np.ndarray], removed: set[str]
              ) -> tuple[np.ndarray, np.ndarray, ShapeSet | None]:
        """(rows of the shapes that moved, rows of those that stay put, the moved ones where they are now; None
        when nothing moved). A deactivated prim's shapes are in neither; each shape follows its nearest moved
        ancestor."""
        n = len(self.set)
        gone = np.zeros(n, dtype=bool)
        for p in removed:
            gone[self.under.get(p, [])] = True
        if not deltas:
            return np.zeros(0, dtype=np.intp), np.flatnonzero(~gone), None
        prims, shape_delta = self._moves(frozenset(deltas))
        moved_idx = np.flatnonzero((shape_delta >= 0) & ~gone)
        still_idx = np.flatnonzero((shape_delta < 0) & ~gone)
        if len(moved_idx) == 0:
            return moved_idx, still_idx, None
        stack = np.array([deltas[p] for p in prims])
        return moved_idx, still_idx, self.set.subset(moved_idx).moved(stack[shape_delta[moved_idx]])


    def _moves(self, moved: frozenset[str]) -> tuple[list[str], np.ndarray]:
        """(the moved prims shallow first, per shape the index among them of its nearest moved ancestor or -1);
        the last variant's kept: the next usually moves the same prims."""
        if self._last_moves is not None and self._last_moves[0] == moved:
            return self._last_moves[1]
        # prims sorted shallow first, so the deepest moved ancestor of a shape is the largest i (ties, which are
        # never ancestors of one another, by path: the same order whatever order the layer lists them in)
        prims = sorted(moved, key=lambda p: (p.count("/"), p))
        lists = [self.under_idx[p] for p in prims]
        shape_delta = np.full(len(self.set), -1)
        np.maximum.at(shape_delta, np.concatenate(lists), np.repeat(np.arange(len(prims)), [len(x) for x in lists]))
        self._last_moves = (moved, (prims, shape_delta))
        return prims, shape_delta


class SourcePoses(SourceShapes):
    """Per set: `SourceShapes`, the pairs that already overlap, and what rests on what, for the layout check."""

    def __init__(self, shapes: list, xforms_of, up: int, tol: float, coms: dict | None = None) -> None:
        super().__init__(shapes, xforms_of)
        self.up, self.plane, self.tol = up, tuple(i for i in range(3) if i != up), tol
        self.coms = coms or {}  # body -> centre of mass the stage gives (scene.mass)
        self.allowed = body_depths(self.set, self.set, tol)
        self.sink = sinks(self.allowed)
        self.tops = Tops.of(self.set, up, self.plane)
        self._feet: dict[str, object] = {}
        self._last_footings: tuple | None = None  # (bodies, (footings, sinks, rested)) of the last variant
        by_body: dict[str, list[int]] = defaultdict(list)
        for k, s in enumerate(shapes):
            by_body[s.body].append(k)
        self.by_body = by_body

    def foot(self, body: str):
        if body not in self._feet:
            self._feet[body] = footing([self.set.shapes[k] for k in self.by_body[body]], self.up, self.plane,
                                       self.tol, self.coms.get(body))
        return self._feet[body]

    def footings(self, bodies: list[str]) -> tuple[Footings, np.ndarray, np.ndarray]:
        """(footings, sinks, rested in the source) of these bodies; kept for the next variant, which usually
        checks the same bodies."""
        key = tuple(bodies)
        if self._last_footings is not None and self._last_footings[0] == key:
            return self._last_footings[1]
        feet = Footings.of([self.foot(b) for b in bodies])
        sink = np.array([self.sink.get(b, 0.0) for b in bodies])
        rested = supported(feet, np.tile(np.eye(4), (len(bodies), 1, 1)), self.tops, self.up, self.plane, self.tol,
                           sink)
        self._last_footings = (key, (feet, sink, rested))
        return feet, sink, rested


def check_variant_poses(src: SourcePoses, authored: dict, blocks: list[tuple[set[str], object, object]]
                        ) -> list[Finding]:
    """Findings for one variant. `blocks`: (bodies the block may move, bounds prism or None, keep-out or None)."""
    deltas, removed, findings = src.deltas(authored)
    if not deltas:
        return findings
    n = len(src.set)
    moved_idx, still_idx, moved = src.place(deltas, removed)
    if moved is None:
        return findings
    still = np.zeros(n, dtype=bool)
    still[still_idx] = True  # the source's shapes that stay put, as a mask on its set (and its index)
    tol = src.tol
    deepest: dict[tuple[str, str], float] = {}
    for b_set, mask in ((src.set, still), (moved, None)):
        for i, j, d in zip(*overlapping(moved, b_set, tol, b_mask=mask), strict=True):
            a, b = sorted((moved.body[i], b_set.body[j]))
            if d > src.allowed.get((a, b), 0.0) + tol:
                deepest[a, b] = max(deepest.get((a, b), 0.0), float(d))
    for a, b in sorted(deepest):
        findings.append(layout_finding(a, f"{a} and {b} interpenetrate by {deepest[a, b]:.4g} stage units at t = 0"))
    bodies = sorted(set(moved.body))
    first_row = dict(zip(moved.body[::-1].tolist(), range(len(moved) - 1, -1, -1), strict=True))  # body -> first row
    for members, bounds, keep in blocks:
        mine = np.fromiter(map(members.__contains__, moved.body), dtype=bool, count=len(moved))
        if bounds is not None and mine.any():
            for body in sorted({moved.body[k] for k in np.flatnonzero(mine & outside(bounds, moved, tol))}):
                findings.append(layout_finding(body, f"{body} lies outside the layout bounds ({bounds.path})"))
        if keep is not None and mine.any():
            named: dict[str, str] = {}
            hit_i, hit_k = keep.hits(moved, tol)
            for t in np.lexsort((hit_k, hit_i)):  # each body names the first region it is in
                if mine[hit_i[t]]:
                    named.setdefault(moved.body[hit_i[t]], keep.prisms[hit_k[t]].path)
            for body in sorted(named):
                findings.append(layout_finding(body, f"{body} is inside keep-out region {named[body]}"))
    # support: a body that rested in the source still rests, whether it moved or what it rested on did
    near_a, near_b = candidate_pairs(src.set.subset(moved_idx), src.set, -tol, still)  # touching in the source
    check = sorted(set(bodies) | set(src.set.body[np.unique(near_b[src.set.dynamic[near_b]])]))
    if not check:
        return findings
    after_tops = Tops.join(src.tops.take(still_idx), Tops.of(moved, src.up, src.plane))
    feet, sink, before = src.footings(check)
    body_delta = np.tile(np.eye(4), (len(check), 1, 1))
    ks = [k for k, b in enumerate(check) if b in first_row]
    body_delta[ks] = moved.delta[[first_row[check[k]] for k in ks]]
    after = supported(feet, body_delta, after_tops, src.up, src.plane, tol, sink)
    for b, was, now in zip(check, before, after, strict=True):
        if was and not now:
            findings.append(layout_finding(b, f"{b} rested on something in the source and is no longer supported "
                                       "(its centre of mass is outside its contact regions)"))
    return findings
