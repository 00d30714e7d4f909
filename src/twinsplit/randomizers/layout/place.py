"""Vectorised placement: every unit of a variant proposes a pose at once; colliding proposals are redrawn.

Round r draws one candidate (dx, dy, yaw) for every unit still unplaced, from the variant's own Generator
in unit order, and tests all candidates at once against: the block's bounds and the split's keep-out
regions, the static obstacles, support (`geometry.resting`), the source poses of the units still
unplaced (so a unit that is never placed can always stay where it was), the poses accepted in earlier
rounds, and the other candidates of the round (a lower unit index wins). A unit with no acceptable pose
after `max_tries` rounds stays at its source pose; the variant's manifest entry lists it. Pairs that
already overlap in the source (jointed links, a base sunk into the ground) may keep that overlap, never
deepen it, and a unit is never moved into a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...blocks.distributions import inverse_cdf
from ...geometry.batch import PairDepths, ShapeSet, body_depths, overlapping, sinks
from ...geometry.prism import KeepOut, outside
from ...geometry.resting import Footings, Tops, footing, supported
from .units import PLACE_TOL_FACTOR


@dataclass
class Arrays:
    """A bound layout block as arrays, built once per scene."""

    units: ShapeSet  # every unit's shapes, unit by unit
    owner: np.ndarray  # (n_shapes,) unit index of each shape
    start: np.ndarray  # (n_units + 1,) shape range of each unit
    centre: np.ndarray  # (n_units, 3)
    obstacles: ShapeSet
    tops: Tops
    allowed: PairDepths  # body pair -> overlap depth the source already has
    unit_body: np.ndarray  # (n_shapes,) `allowed`'s number of each unit shape's body
    obstacle_body: np.ndarray  # (n_obstacles,) and of each obstacle's
    checked_unit: np.ndarray  # (c,) unit of each body that must stay supported
    feet: Footings  # their footings
    sink: np.ndarray  # (c,) how far each sits in its support in the source
    tol: float


def arrays_of(b) -> Arrays:
    """The arrays of a Bound (cached on it: a scene's bound block is reused by every variant)."""
    cached = getattr(b, "_arrays", None)
    if cached is not None:
        return cached
    geo = b.geo
    tol = geo.tol * PLACE_TOL_FACTOR
    shapes, owner, start = [], [], [0]
    for k, u in enumerate(geo.units):
        shapes += u.shapes
        owner += [k] * len(u.shapes)
        start.append(len(shapes))
    units = ShapeSet.of(shapes)
    obstacles = ShapeSet.of(geo.obstacles)
    depths = body_depths(units, units, tol, body_depths(units, obstacles, tol))
    tops = Tops.of(obstacles, geo.up, geo.plane)
    sink_of = sinks(depths)
    allowed = PairDepths(depths, [*units.body, *obstacles.body])
    candidates = []
    for k, u in enumerate(geo.units):
        by_body: dict[str, list] = {}
        for s in u.shapes:
            by_body.setdefault(s.body, []).append(s)
        for body, own in by_body.items():
            foot = footing(own, geo.up, geo.plane, geo.tol, geo.coms.get(body))
            candidates.append((k, body, foot, sink_of.get(body, 0.0)))
    feet = Footings.of([c[2] for c in candidates])
    sink = np.array([c[3] for c in candidates])
    ok = supported(feet, np.tile(np.eye(4), (len(candidates), 1, 1)), tops, geo.up, geo.plane, geo.tol, sink)
    keep = np.flatnonzero(ok)
    out = Arrays(units, np.array(owner, dtype=int), np.array(start, dtype=int),
                 np.array([u.centre for u in geo.units]).reshape(-1, 3), obstacles, tops, allowed,
                 allowed.ids(units.body), allowed.ids(obstacles.body),
                 np.array([candidates[k][0] for k in keep], dtype=int), feet.take(keep), sink[keep], tol)
    b._arrays = out
    return out


def yaw_deltas(centre: np.ndarray, yaw_deg: np.ndarray, shift: np.ndarray, up: int) -> np.ndarray:
    """(m, 4, 4) world deltas: turn about the up axis through each centre, then translate (row convention)."""
    t = np.radians(yaw_deg)
    c, s = np.cos(t), np.sin(t)
    a, b = [(1, 2), (2, 0), (0, 1)][up]
    m = len(t)
    r = np.tile(np.eye(3), (m, 1, 1))  # row convention: the transpose of the column rotation
    r[:, a, a], r[:, a, b], r[:, b, a], r[:, b, b] = c, s, -s, c
    d = np.tile(np.eye(4), (m, 1, 1))
    d[:, :3, :3] = r
    d[:, 3, :3] = centre - np.einsum("ni,nij->nj", centre, r) + shift
    return d


def _shape_index(arr: Arrays, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shape indices, position in `units`) of the shapes of the given units."""
    counts = arr.start[units + 1] - arr.start[units]
    pos = np.repeat(np.arange(len(units)), counts)
    first = np.repeat(arr.start[units] - (np.cumsum(counts) - counts), counts)
    return np.arange(int(counts.sum())) + first, pos


def _fails(n: int, pos: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[pos] = True
    return out


def _hit_units(arr: Arrays, a: ShapeSet, pos_a: np.ndarray, body_a: np.ndarray, b: ShapeSet, body_b: np.ndarray,
               tol: float, **rules) -> np.ndarray:
    """Positions (into the candidate list) of candidates that penetrate something of `b` more than the
    source already does. `body_a`/`body_b`: `arr.allowed`'s body numbers of the rows; `rules`: `overlapping`'s."""
    ia, ib, d = overlapping(a, b, tol, **rules)
    return pos_a[ia[~arr.allowed.kept(body_a[ia], body_b[ib], d, tol)]]


def _other_slot(unit_a: np.ndarray, unit_b: np.ndarray, group_of: np.ndarray):
    """Pair filter: another unit, and not of the same swap group (they never block each other's slots)."""
    def keep(ia, ib):
        ua, ub = unit_a[ia], unit_b[ib]
        return (ua != ub) & ~((group_of[ua] >= 0) & (group_of[ua] == group_of[ub]))
    return keep


def _other_good(good: np.ndarray, pos: np.ndarray):
    """Pair filter: two good candidates of different units."""
    return lambda ia, ib: good[ia] & (pos[ia] != pos[ib])


def _winners(n: int, good: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Candidates accepted among the good ones when pairs (lo < hi) conflict: a candidate loses to a lower
    one that was accepted (in order, so a loser frees its own higher partners)."""
    accepted = np.zeros(n, dtype=bool)
    accepted[good] = True
    order = np.lexsort((lo, hi))
    for low, high in zip(lo[order].tolist(), hi[order].tolist(), strict=True):
        if accepted[low]:
            accepted[high] = False
    return accepted


def place(b, block, split: str, rng: np.random.Generator, res: dict, removed: np.ndarray,
          slot: list[int], extra: list = ()) -> tuple[np.ndarray, np.ndarray]:
    """(values (n_units, 3) of dx, dy, yaw, placed (n_units,) bool) for one variant; removed units are skipped.
    `extra`: this variant's own keep-out prisms (the ways its events ask to keep clear)."""
    arr = arrays_of(b)
    geo = b.geo
    n = len(geo.units)
    up, plane, tol = geo.up, geo.plane, arr.tol
    values = np.zeros((n, 3))
    placed = np.zeros(n, dtype=bool)
    final = np.tile(np.eye(4), (n, 1, 1))
    group_of = np.full(n, -1)
    for g, members in enumerate(b.groups):
        group_of[members] = g
    base_shift = np.zeros((n, 3))
    for k in np.flatnonzero(np.asarray(slot) != np.arange(n)).tolist():  # units that take another's slot
        target = geo.units[slot[k]]
        base_shift[k] = target.centre - geo.units[k].centre
        base_shift[k, up] = target.bottom - geo.units[k].bottom
    keep = _keep_out(b, split) if not extra else KeepOut(list(b.regions[split]) + list(extra), b.extent())
    cpos_of_unit = np.full(n, -1)
    pending = np.zeros(len(arr.units), dtype=bool)  # shapes of the units still unplaced (at their source poses)
    fins: list[ShapeSet] = []  # the shapes of the units placed so far, at their new poses (each set keeps its index)

    active = np.flatnonzero(~removed)
    for _ in range(block.max_tries):
        if len(active) == 0:
            break
        m = len(active)
        u = rng.random((m, 3))
        draw = np.zeros((m, 3))
        for col, key in enumerate(("dx", "dy", "yaw")):
            if key in res:
                draw[:, col] = inverse_cdf(res[key], u[:, col])
        shift = base_shift[active].copy()
        shift[:, plane[0]] += draw[:, 0]
        shift[:, plane[1]] += draw[:, 1]
        d = yaw_deltas(arr.centre[active], draw[:, 2], shift, up)
        sidx, pos = _shape_index(arr, active)
        cand = arr.units.subset(sidx).moved(d[pos])
        cbody = arr.unit_body[sidx]
        bad = np.zeros(m, dtype=bool)
        if b.bounds is not None:
            bad |= _fails(m, pos[outside(b.bounds, cand, tol)])
        if keep is not None:
            bad |= _fails(m, pos[keep.hits(cand, tol)[0]])
        bad |= _fails(m, _hit_units(arr, cand, pos, cbody, arr.obstacles, arr.obstacle_body, tol))
        # support: bodies that rested on something must still rest
        cpos_of_unit[:] = -1
        cpos_of_unit[active] = np.arange(m)
        rows = np.flatnonzero(cpos_of_unit[arr.checked_unit] >= 0)
        if len(rows):
            cpos = cpos_of_unit[arr.checked_unit[rows]]
            ok = supported(arr.feet.take(rows), d[cpos], arr.tops, up, plane, geo.tol, arr.sink[rows])
            bad |= _fails(m, cpos[~ok])
        # the source poses of every other unit still unplaced (one index over all source poses, masked)
        pending[:] = False
        pending[sidx] = True

        bad |= _fails(m, _hit_units(arr, cand, pos, cbody, arr.units, arr.unit_body, tol, b_mask=pending,
                                    keep=_other_slot(active[pos], arr.owner, group_of)))
        for fin in fins:  # the poses accepted in earlier rounds
            bad |= _fails(m, _hit_units(arr, cand, pos, cbody, fin, arr.unit_body[fin.index], tol))
        # candidates against each other: the lower unit index wins
        good = np.flatnonzero(~bad)
        gmask = ~bad[pos]
        ia, ib, dd = overlapping(cand, cand, tol, b_mask=gmask, keep=_other_good(gmask, pos))
        hit = ~arr.allowed.kept(cbody[ia], cbody[ib], dd, tol)
        pa, pb = pos[ia[hit]], pos[ib[hit]]
        accepted = _winners(m, good, np.minimum(pa, pb), np.maximum(pa, pb))
        units = active[accepted]
        values[units] = draw[accepted]
        final[units] = d[accepted]
        placed[units] = True
        won = np.flatnonzero(accepted[pos])
        if len(won):  # the first round's set is most of them; later rounds' few winners share one set
            new = cand.subset(won)
            fins = [*fins, new] if len(fins) < 2 else [fins[0], ShapeSet.join([fins[1], new])]
        active = active[~accepted]
    _revert_swaps(arr, b, placed, final, values, removed)
    return values, placed


def _keep_out(b, split: str) -> KeepOut | None:
    """The split's keep-out regions of a bound block (cached on it)."""
    cache = b.__dict__.setdefault("_keep_out", {})
    if split not in cache:
        cache[split] = KeepOut(b.regions[split], b.extent()) if b.regions[split] else None
    return cache[split]


def _revert_swaps(arr: Arrays, b, placed, final, values, removed) -> None:
    """A unit left unplaced stays at its source pose, which a swap-group member may have taken: such a member
    goes back to its own source pose too, and so on until nothing overlaps (each unit reverts at most once)."""
    if not b.groups:
        return
    n = len(placed)
    stay = [k for k in range(n) if not placed[k] and not removed[k]]
    while stay:
        ssidx, _ = _shape_index(arr, np.array(stay))
        src = arr.units.subset(ssidx)
        done = np.flatnonzero(placed)
        if not len(done):
            return
        fsidx, fpos = _shape_index(arr, done)
        fin = arr.units.subset(fsidx).moved(final[done][fpos])
        ia, ib, _ = overlapping(fin, src, arr.tol)
        hit = sorted({int(done[fpos[i]]) for i in ia})
        if not hit:
            return
        for k in hit:
            placed[k] = False
            final[k] = np.eye(4)
            values[k] = 0.0
        stay = hit


def _column_index(b, params) -> dict[str, np.ndarray]:
    """column kind -> (n_units,) index into the block's row (-1 where a unit has no such column); cached."""
    cached = getattr(b, "_columns", None)
    if cached is not None and cached[0] is params[0]:
        return cached[1]
    unit_of = {u.leader: k for k, u in enumerate(b.geo.units)}
    out: dict[str, np.ndarray] = {}
    for i, p in enumerate(params):
        out.setdefault(p.key, np.full(len(b.geo.units), -1))[unit_of[p.prim]] = i
    b._columns = (params[0], out)
    return out


def _spec_of(b, params) -> dict:
    """column kind -> the spec that carries its distribution (the last of that kind; every one has it); cached."""
    cached = getattr(b, "_specs", None)
    if cached is None or cached[0] is not params[0]:
        cached = b._specs = (params[0], {p.key: p for p in params})
    return cached[1]


def sample(b, block, params, split: str, rng: np.random.Generator, extra: list = ()) -> np.ndarray:
    """One variant's row for a layout block: removals, swap slots, then every unit placed in rounds."""
    cols = _column_index(b, params)
    spec = _spec_of(b, params)
    res = {k: spec[k].resolved(split) for k in ("dx", "dy", "yaw") if k in spec}
    n = len(b.geo.units)
    removed = np.zeros(n, dtype=bool)
    if "removed" in spec:
        removed = spec["removed"].draw(split, rng.random(n)) > 0.5
    slot = list(range(n))  # unit k takes unit slot[k]'s place
    for group in b.groups:
        perm = rng.permutation(len(group))
        for pos, k in enumerate(group):
            slot[k] = group[int(perm[pos])]
    values, placed = place(b, block, split, rng, res, removed, slot, extra)
    row = np.zeros(len(params))
    if "removed" in cols:
        row[cols["removed"][removed]] = 1.0
    for j, col in enumerate(("dx", "dy", "yaw")):
        if col in cols:
            row[cols[col]] = values[:, j]
    if "slot" in cols:  # a unit left unplaced keeps its own slot
        for k in np.flatnonzero(cols["slot"] >= 0):
            row[cols["slot"][k]] = b.slot_of[slot[k] if placed[k] else k][1]
    return row
