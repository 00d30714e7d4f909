"""Layout: move, turn, remove and swap rigid bodies so every variant still starts as a valid scene.

Columns per unit (a matched body plus what rests on it, named by the matched body):
``<prim>.layout:dx`` / ``layout:dy`` (stage units along the two horizontal axes: X then Y on Z-up
stages, X then Z on Y-up), ``layout:yaw`` (degrees about the up axis through the unit's centre),
``layout:removed`` (0/1) when ``remove_probability > 0``, ``layout:slot`` (index into its swap group)
for units in a swap group.  `sample` rejection-samples each unit from the variant's own Generator until
the pose is collision-free, in bounds, out of keep-out regions and still on its support; the columns hold
the accepted values (0, 0, 0 when a unit stays where it was).
"""

from __future__ import annotations

import numpy as np

from ...blocks.data import Edit, ParamSpec
from ...blocks.distributions import Dist, inverse_cdf
from ...blocks.registry import BlockKind
from ...errors import TwinsplitError
from ...geometry.prism import KeepOut
from ...scene.info import SceneInfo
from ...scene.joints import joints
from ...scene.xforms import scene_xforms
from .bound import Bound, _scaled, bound
from .config import KINDS, LayoutCfg
from .poses import local_values
from .sampler import Failure, Placer, delta


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
                                 type_name="double", source=source, key=col, dist=dist))
    return out


def _columns(params: list[ParamSpec]) -> dict[str, dict[str, int]]:
    """leader -> {column: index in the block's row}."""
    out: dict[str, dict[str, int]] = {}
    for i, p in enumerate(params):
        out.setdefault(p.prim, {})[p.key] = i
    return out


def layout_sample(scene: SceneInfo, block: LayoutCfg, params: list[ParamSpec], split: str,
                  rng: np.random.Generator) -> np.ndarray:
    b = bound(scene, block, params[0].source)
    geo = b.geo
    cols = _columns(params)
    spec = {p.key: p for p in params}  # one spec per column kind carries the distribution
    res = {k: spec[k].resolved(split) for k in ("dx", "dy", "yaw") if k in spec}  # continuous: inverse CDF as is
    row = np.zeros(len(params))
    n = len(geo.units)
    removed = np.zeros(n, dtype=bool)
    if "removed" in spec:
        removed = spec["removed"].draw(split, rng.random(n)) > 0.5
    slot = list(range(n))  # unit k takes unit slot[k]'s place
    for group in b.groups:
        perm = rng.permutation(len(group))
        for pos, k in enumerate(group):
            slot[k] = group[int(perm[pos])]
    swap_of = {k: set(g) - {k} for g in b.groups for k in g}
    keep = KeepOut(b.regions[split], b.extent(), geo.tol * 0.5) if b.regions[split] else None
    placer = Placer(geo, b.bounds, keep, swap_of)
    for k in np.flatnonzero(removed):
        placer.pending.remove(int(k))
    failures: list[Failure] = []
    up = geo.up
    for k, u in enumerate(geo.units):
        c = cols[u.leader]
        if removed[k]:
            row[c["removed"]] = 1.0
            if "slot" in c:
                row[c["slot"]] = b.slot_of[k][1]
            continue
        target = geo.units[slot[k]]
        base_shift = np.zeros(3)
        supports = u.base
        if slot[k] != k:
            base_shift = target.centre - u.centre
            base_shift[up] = target.bottom - u.bottom
            sup = [s for v in target.base.values() for s in v]
            supports = {m: sup for m in u.base} if sup else {}
        fail = Failure(u.leader, block.max_tries)
        accepted = None
        for _ in range(block.max_tries):
            uu = rng.random(3)
            dx = float(inverse_cdf(res["dx"], uu[0])) if "dx" in res else 0.0
            dy = float(inverse_cdf(res["dy"], uu[1])) if "dy" in res else 0.0
            yaw = float(inverse_cdf(res["yaw"], uu[2])) if "yaw" in res else 0.0
            shift = base_shift.copy()
            shift[geo.plane[0]] += dx
            shift[geo.plane[1]] += dy
            d = delta(u.centre, yaw, shift, up)
            shapes = placer.moved_shapes(k, d)
            reason = placer.reject(k, shapes, supports)
            if reason is None:
                accepted = (dx, dy, yaw, slot[k], shapes)
                break
            fail.reasons[reason] += 1
        if accepted is None:  # stay where it started, if that is still valid
            shapes = list(u.shapes)
            reason = placer.reject(k, shapes, None)
            if reason is None:
                accepted = (0.0, 0.0, 0.0, k, shapes)
            else:
                fail.fallback = reason
                failures.append(fail)
                accepted = (0.0, 0.0, 0.0, k, shapes)
        dx, dy, yaw, s, shapes = accepted
        placer.fix(k, shapes)
        for col, v in (("dx", dx), ("dy", dy), ("yaw", yaw)):
            if col in c:
                row[c[col]] = v
        if "slot" in c:
            row[c["slot"]] = b.slot_of[s][1]
    if failures:
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise TwinsplitError(
            f"{b.source} ({split}): the layout is too crowded to place "
            + "; ".join(f.describe() for f in failures[:3]) + more
            + ". Lower offset/yaw, raise max_tries, or clear the keep-out/bounds conflict")
    return row


def unit_delta(b: Bound, k: int, values: dict[str, float]) -> np.ndarray:
    """The world delta of unit k for one variant's accepted column values."""
    geo = b.geo
    u = geo.units[k]
    shift = np.zeros(3)
    if "slot" in values:
        g, _ = b.slot_of[k]
        target = geo.units[b.groups[g][int(values["slot"])]]
        shift = target.centre - u.centre
        shift[geo.up] = target.bottom - u.bottom
    shift[geo.plane[0]] += values.get("dx", 0.0)
    shift[geo.plane[1]] += values.get("dy", 0.0)
    return u.lift @ delta(u.centre, values.get("yaw", 0.0), shift, geo.up)


def layout_edits(scene: SceneInfo, block: LayoutCfg, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    b = bound(scene, block, params[0].source)
    cols = _columns(params)
    members = [m for u in b.geo.units for m in u.top_members()]
    xfs = scene_xforms(scene, members)
    out: list[Edit] = []
    for k, u in enumerate(b.geo.units):
        values = {col: float(draws[i]) for col, i in cols[u.leader].items()}
        if values.get("removed", 0.0) > 0.5:
            out += [Edit(path=m, attr="active", type_name="bool", value=False) for m in u.top_members()]
            continue
        d = unit_delta(b, k, values)
        if np.array_equal(d, np.eye(4)):
            continue  # stays exactly where it was: nothing to author
        for m in u.top_members():
            for attr, type_name, value in local_values(xfs[m], d):
                out.append(Edit(path=m, attr=attr, type_name=type_name, value=value,
                                variability_uniform=attr == "xformOpOrder"))
    return out


def layout_starter(scene: SceneInfo) -> str | None:
    anchored = joints(scene)[1]  # a fixed-base robot is left where it is: nothing for layout to move
    bodies = [p for p, i in scene.prims.items() if i.is_body and not i.is_kinematic and p not in anchored]
    if not bodies:
        return None
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
    doc=LayoutCfg.__doc__ or "",
)
