"""Layout: move, turn, remove and swap rigid bodies so every variant still starts as a valid scene.

Columns per unit (a matched body plus what rests on it, named by the matched body):
``<prim>.layout:dx`` / ``layout:dy`` (stage units along the two horizontal axes: X then Y on Z-up
stages, X then Z on Y-up), ``layout:yaw`` (degrees about the up axis through the unit's centre),
``layout:removed`` (0/1) when ``remove_probability > 0``, ``layout:slot`` (index into its swap group)
for units in a swap group.  `sample` places every unit in rounds drawn from the variant's own Generator
(`place.py`) until its pose is collision-free, in bounds, out of keep-out regions and still supported; the
columns hold the accepted values (0, 0, 0 when a unit stays where it was).
"""

from __future__ import annotations

import numpy as np

from ...blocks.data import Columns, Edit, ParamSpec
from ...blocks.distributions import Dist
from ...blocks.registry import BlockKind
from ...blocks.variant import Placed, Way
from ...scene.info import SceneInfo
from ...scene.joints import joints
from ...scene.shapes import scene_shapes
from ...scene.xforms import scene_xforms
from . import place
from .bound import Bound, _scaled, bound
from .config import KINDS, LayoutCfg
from .place import yaw_deltas
from .pose_values import PoseSolver


def layout_params(scene: SceneInfo, block: LayoutCfg, source: str) -> list[ParamSpec]:
    if block.offset is None and block.yaw is None and block.remove_probability == 0 and not block.swap:
        raise ValueError("set at least one of offset, yaw, remove_probability or swap")
    b = bound(scene, block, source)
    offset = _scaled(block.offset, 1.0 / scene.meters_per_unit) if block.offset is not None else None
    removed = Dist(distribution="choice", choices=[0, 1],
                   weights=[1.0 - block.remove_probability, block.remove_probability])
    out: list[ParamSpec] = []
    for k, u in enumerate(b.geo.units):
        cols: list[tuple[str, Dist]] = []
        if offset is not None:
            cols += [("dx", offset), ("dy", offset)]
        if block.yaw is not None:
            cols.append(("yaw", block.yaw))
        if block.remove_probability > 0:
            cols.append(("removed", removed))
        if k in b.slot_of:
            n = len(b.groups[b.slot_of[k][0]])
            cols.append(("slot", Dist(distribution="choice", choices=list(range(n)))))
        for col, dist in cols:
            out.append(ParamSpec(name=f"{u.leader}.layout:{col}", prim=u.leader, attr=f"layout:{col}",
                                 type_name="double", source=source, key=col, dist=dist,
                                 stays=0.0 if col in ("dx", "dy", "yaw") else None))
    return out


def layout_sample(scene: SceneInfo, block: LayoutCfg, params: list[ParamSpec], split: str,
                  rng: np.random.Generator, keep_out: list[Way] = ()) -> np.ndarray:
    """`keep_out`: the ways the variant's events ask to keep clear (people with `keep_clear`), besides the
    split's keep-out regions."""
    extra = [p for w in keep_out for p in w.prisms(scene.up_index)]
    return place.sample(bound(scene, block, params[0].source), block, params, split, rng, extra)


def unit_deltas(b: Bound, params: list[ParamSpec], draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(world deltas (n_units, 4, 4), removed (n_units,)) of every unit for one variant's accepted values."""
    geo = b.geo
    cols = place._column_index(b, params)
    n = len(geo.units)
    draws = np.asarray(draws, dtype=float)

    def col(key: str) -> np.ndarray:
        idx = cols.get(key)
        return np.zeros(n) if idx is None else np.where(idx >= 0, draws[np.maximum(idx, 0)], 0.0)

    centre = np.array([u.centre for u in geo.units]).reshape(n, 3)
    shift = np.zeros((n, 3))
    if "slot" in cols:
        for k in np.flatnonzero(cols["slot"] >= 0):
            g, _ = b.slot_of[k]
            target = geo.units[b.groups[g][int(draws[cols["slot"][k]])]]
            shift[k] = target.centre - geo.units[k].centre
            shift[k, geo.up] = target.bottom - geo.units[k].bottom
    shift[:, geo.plane[0]] += col("dx")
    shift[:, geo.plane[1]] += col("dy")
    deltas = yaw_deltas(centre, col("yaw"), shift, geo.up)
    unmoved = np.all(shift == 0, axis=1) & (col("yaw") == 0)
    deltas[unmoved] = np.eye(4)  # exactly the identity: a unit left where it was authors nothing
    return deltas, col("removed") > 0.5


POSE_TOL_M = 1e-5  # how far USD's reading of a rounded rotation value may put a collider from its drawn pose


def _solver(scene: SceneInfo, b: Bound) -> tuple[list[str], np.ndarray, list[list[str]], PoseSolver]:
    """The bodies whose transforms a layout block writes (top members of every unit), the unit of each, every
    unit's top members, and their pose solver (built once per bound block)."""
    cached = getattr(b, "_solver", None)
    if cached is None:
        tops = [u.top_members() for u in b.geo.units]
        members = [m for top in tops for m in top]
        unit_of = np.repeat(np.arange(len(tops)), [len(t) for t in tops])
        xfs = scene_xforms(scene, members)
        reach = np.zeros(len(members))
        for k, m in enumerate(members):  # how far the colliders under each written prim reach from its origin
            origin = xfs[m].world[3, :3]
            for s in b.geo.units[unit_of[k]].shapes:
                if s.path == m or s.path.startswith(m + "/") or s.body == m:
                    lo, hi = s.aabb()
                    reach[k] = max(reach[k], float(np.linalg.norm(np.maximum(abs(lo - origin), abs(hi - origin)))))
        solver = PoseSolver([xfs[m] for m in members], reach, POSE_TOL_M / scene.meters_per_unit)
        cached = b._solver = (members, unit_of, tops, solver)
    return cached


def layout_edits(scene: SceneInfo, block: LayoutCfg, params: list[ParamSpec], draws: np.ndarray
                 ) -> list[Edit | Columns]:
    b = bound(scene, block, params[0].source)
    members, unit_of, tops, solver = _solver(scene, b)
    unit_d, removed = unit_deltas(b, params, draws)
    moved = ~np.all(unit_d == np.eye(4), axis=(1, 2)) & ~removed  # a unit exactly where it was authors nothing
    out: list[Edit | Columns] = [Edit(path=m, attr="active", type_name="bool", value=False)
                                 for k in np.flatnonzero(removed) for m in tops[k]]
    idx = np.flatnonzero(moved[unit_of])
    if len(idx):
        out += solver.solve(unit_d[unit_of], idx, members)
    return out


def layout_notes(scene: SceneInfo, block: LayoutCfg, params: list[ParamSpec], draws: np.ndarray,
                 keep_out: list[Way] = ()) -> dict:
    """The units this variant leaves exactly at their source pose (not removed): the ones no acceptable pose was
    found for within max_tries (or, in a swap-only block, that drew their own slot); and the ways it kept clear
    (`kept_clear`, what verify's layout check re-checks the written poses against)."""
    kept = {"kept_clear": [w.record() for w in keep_out]} if keep_out else {}
    b = bound(scene, block, params[0].source)
    deltas, removed = unit_deltas(b, params, draws)
    still = np.all(deltas == np.eye(4), axis=(1, 2)) & ~removed
    unmoved = [b.geo.units[k].leader for k in np.flatnonzero(still)]
    return ({"units": len(b.geo.units), "unmoved": unmoved} if unmoved else {}) | kept


def layout_placed(scene: SceneInfo, block: LayoutCfg, params: list[ParamSpec], draws: np.ndarray) -> Placed:
    """Where this variant put the block's units: the moved units' shapes at their new pose; the moved and removed
    units' source shapes are gone from where they were (what events plan around)."""
    b = bound(scene, block, params[0].source)
    deltas, removed = unit_deltas(b, params, draws)
    moved = ~np.all(deltas == np.eye(4), axis=(1, 2)) & ~removed
    arr = place.arrays_of(b)  # every unit's shapes as one set, contiguous per unit
    shape_moved = moved[arr.owner]
    idx = np.flatnonzero(shape_moved)
    paths = _shape_paths(arr)
    return Placed((arr.units.subset(idx).moved(deltas[arr.owner[idx]]),) if len(idx) else (),
                  frozenset(paths[shape_moved | removed[arr.owner]].tolist()))


def _shape_paths(arr) -> np.ndarray:
    """The path of each of a bound block's shapes (object array, cached with its arrays)."""
    cached = getattr(arr, "_paths", None)
    if cached is None:
        cached = np.array([s.path for s in arr.units.shapes], dtype=object)
        arr._paths = cached
    return cached


def layout_starter(scene: SceneInfo) -> str | None:
    if not scene.bodies:
        return None
    anchored = joints(scene)[1]  # a fixed-base robot is left where it is: nothing for layout to move
    with_collider = {s.body for s in scene_shapes(scene) if s.dynamic}
    bodies = [p for p, i in scene.prims.items() if i.is_body and not i.is_kinematic and p not in anchored]
    if not with_collider.intersection(bodies):
        return ("  # layout block left out: every rigid body is jointed to the world, kinematic or has no collider: "
                "nothing to move")
    keep = sorted(p for p, r in scene.regions.items() if r.kind == "keepout")
    lines = [
        f"  # {len(bodies)} non-kinematic rigid bod{'y' if len(bodies) == 1 else 'ies'} found, e.g. {bodies[0]};"
        " what rests on a moved body moves with it",
        "  layout:",
        "    offset: {distribution: uniform, low: -0.3, high: 0.3}   # metres, per horizontal axis",
        "    yaw: {distribution: uniform, low: -15, high: 15}         # degrees about the up axis",
        "    # remove_probability: 0.1                                # removed bodies get active = false",
        "    # swap: [[pallet]]                                       # labels or path globs that may trade places",
    ]
    if keep:
        lines.append(f"    keep_out: [{', '.join(keep)}]")
    else:
        lines.append("    # keep_out: {train: [corridor], holdout: []}          # regions kept clear, per split")
    lines.append("    max_tries: 50")
    return "\n".join(lines)


KIND = BlockKind(
    name="layout",
    config_model=LayoutCfg,
    params=layout_params,
    selectors=lambda block: [("match", block.match, {"kinds": KINDS})]
    + [(f"swap[{g}]", sel, {"kinds": KINDS}) for g, sel in enumerate(block.swap)],
    sample=layout_sample,
    edits=layout_edits,
    starter=layout_starter,
    notes=layout_notes,
    placed=layout_placed,
    keeps_clear=True,
    doc=LayoutCfg.__doc__ or "",
)
