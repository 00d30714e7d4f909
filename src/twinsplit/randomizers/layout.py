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

import json
import math
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..distributions import Dist, Range, Strict, envelope, inverse_cdf
from ..errors import TwinsplitError
from ..layout_place import (
    Failure,
    Geometry,
    KeepOut,
    Placer,
    build_geometry,
    delta,
    joints,
    local_values,
    prism_from_box,
    prism_from_region,
    scene_xforms,
)
from ..params import Edit, ParamSpec
from ..scene import SceneInfo
from ..selectors import Selector
from . import Randomizer, register

KINDS = ("body",)


class BoxCfg(Strict):
    """An axis-aligned box in world metres (only its horizontal extent is used)."""

    min: tuple[float, float, float] = Field(description="Lower corner (x, y, z) in metres.")
    max: tuple[float, float, float] = Field(description="Upper corner (x, y, z) in metres.")

    @model_validator(mode="after")
    def _check(self) -> "BoxCfg":
        if not all(a < b for a, b in zip(self.min, self.max, strict=True)):
            raise ValueError(f"bounds: min {list(self.min)} must be below max {list(self.max)} on every axis")
        return self


class SplitRefs(Strict):
    """Keep-out regions per split."""

    train: list[str] = Field(default_factory=list, description="Regions kept clear in train variants. Default: none.")
    holdout: list[str] = Field(default_factory=list,
                               description="Regions kept clear in holdout variants. Default: none.")


def _selector_shorthand(v: Any) -> Any:
    """A swap group given as a string or a list of strings: `/...` are path globs, anything else labels."""
    if isinstance(v, str):
        v = [v]
    if isinstance(v, list):
        return {"paths": [s for s in v if str(s).startswith("/")],
                "labels": [s for s in v if not str(s).startswith("/")]}
    return v


class LayoutCfg(Strict):
    """Rearrange rigid bodies (planar offset, yaw, removal, swaps) without interpenetration at t = 0."""

    match: Selector = Field(default_factory=Selector,
                            description="Which bodies move. Default: every non-kinematic rigid body.")
    offset: Dist | None = Field(None, description="Planar offset in metres, drawn per horizontal axis. Default: no "
                                                  "offset.")
    yaw: Dist | None = Field(None, description="Turn about the up axis in degrees. Default: no turn.")
    remove_probability: float = Field(0.0, ge=0.0, le=1.0,
                                      description="Chance a unit is removed (`active = false`). Default: 0.")
    swap: list[Selector] = Field(default_factory=list,
                                 description="Groups of interchangeable bodies (selector, label or path glob); a "
                                             "variant permutes positions within each group. Default: none.")
    bounds: str | BoxCfg | None = Field(None, description="Region path/kind or {min, max} box in world metres that "
                                                          "bodies must stay inside. Default: the stage bounds; none "
                                                          "when a Plane collider (an infinite ground) is present.")
    keep_out: list[str] | SplitRefs = Field(default_factory=list,
                                            description="Region paths/kinds that must stay clear; or {train: [...], "
                                                        "holdout: [...]}. Default: none.")
    max_tries: int = Field(50, ge=1, le=100000,
                           description="Candidate poses per unit before it stays where it was. Default: 50.")

    @field_validator("swap", mode="before")
    @classmethod
    def _swap(cls, v: Any) -> Any:
        return [_selector_shorthand(g) for g in v] if isinstance(v, list) else v

    @field_validator("offset", "yaw")
    @classmethod
    def _abs(cls, v: Dist | None) -> Dist | None:
        if v is not None and v.operation != "abs":
            raise ValueError("is a displacement drawn as is: operation must be abs")
        return v

    def keep_out_for(self, split: str) -> list[str]:
        return list(self.keep_out) if isinstance(self.keep_out, list) else list(getattr(self.keep_out, split))


# --------------------------------------------------------------------------------------------------
# binding a block to the stage


def _scaled(dist: Dist, k: float) -> Dist:
    """The same distribution in stage units (metres / metersPerUnit)."""
    def sc(r: Range | None) -> dict:
        if r is None:
            return {}
        out = {f: getattr(r, f) * k for f in ("low", "high", "mean", "std") if getattr(r, f) is not None}
        if r.choices is not None:
            out["choices"] = [c * k if isinstance(c, (int, float)) and not isinstance(c, bool) else c
                              for c in r.choices]
        return out

    upd = sc(dist)
    for split in ("train", "holdout"):
        r = getattr(dist, split)
        if r is not None:
            upd[split] = r.model_copy(update=sc(r))
    return dist.model_copy(update=upd)


def _block_key(block: LayoutCfg) -> str:
    return json.dumps(block.model_dump(mode="json", include={"match", "swap"}), sort_keys=True)


class Bound:
    """A block resolved against the stage: geometry, swap groups, regions (cached on the scene)."""

    def __init__(self, scene: SceneInfo, block: LayoutCfg, source: str) -> None:
        self.source = source
        matched = [p for p in scene.require(block.match, f"{source}.match", kinds=KINDS)
                   if not scene.prims[p].is_kinematic]
        if not matched:
            raise TwinsplitError(f"{source}.match: {block.match.describe()} matched only kinematic bodies")
        self.geo: Geometry = build_geometry(scene, matched, source)
        if not self.geo.units:
            raise TwinsplitError(f"{source}.match: none of the {len(matched)} matched bodies can be placed (each has "
                                 "no collider, or is jointed to the world, a static prim or a kinematic body)")
        leaders = {u.leader: k for k, u in enumerate(self.geo.units)}
        self.groups: list[list[int]] = []
        self.slot_of: dict[int, tuple[int, int]] = {}  # unit -> (group, position in group)
        for g, sel in enumerate(block.swap):
            found = [leaders[p] for p in scene.match(sel, kinds=KINDS) if p in leaders]
            if len(found) < 2:
                raise TwinsplitError(f"{source}.swap[{g}]: {sel.describe()} matches {len(found)} movable "
                                     "body; a swap group needs at least 2")
            for pos, k in enumerate(found):
                if k in self.slot_of:
                    raise TwinsplitError(f"{source}.swap[{g}]: {self.geo.units[k].leader} is already in swap group "
                                         f"{self.slot_of[k][0]}")
                self.slot_of[k] = (g, pos)
            self.groups.append(found)
        self.mpu = scene.meters_per_unit
        self.regions = {s: _keep_out(scene, block, s) for s in ("train", "holdout")}
        self.bounds = _bounds(scene, block)
        self.reach = self._reach(block)
        _check_blocks_apart(scene, self)

    def _reach(self, block: LayoutCfg) -> tuple[np.ndarray, np.ndarray]:
        """Planar boxes (n, 2) lo/hi that each unit can reach: its footprint circle grown by the largest
        offset, spanning every slot of its swap group."""
        geo = self.geo
        p = list(geo.plane)
        off = 0.0
        if block.offset is not None:
            lo, hi = envelope(block.offset)
            off = max(abs(lo), abs(hi)) / self.mpu * math.sqrt(2)
        lo = np.empty((len(geo.units), 2))
        hi = np.empty((len(geo.units), 2))
        for k, u in enumerate(geo.units):
            a, b = np.min([s.aabb()[0] for s in u.shapes], axis=0), np.max([s.aabb()[1] for s in u.shapes], axis=0)
            r = float(np.linalg.norm((b - a)[p])) / 2 + off
            slots = self.groups[self.slot_of[k][0]] if k in self.slot_of else [k]
            cs = np.array([geo.units[j].centre[p] for j in slots])
            lo[k], hi[k] = cs.min(0) - r, cs.max(0) + r
        return lo, hi

    def extent(self) -> float:
        """Half height of keep-out prisms along up: far beyond anything in a site (10 km)."""
        return 1e4 / self.mpu


def _check_blocks_apart(scene: SceneInfo, b: Bound) -> None:
    """Blocks sample independently, so bodies of two layout blocks must not be able to reach each other."""
    blocks: dict[str, Bound] = scene.cache.setdefault("layout:blocks", {})
    blocks[b.source] = b
    for source, other in blocks.items():
        if source == b.source:
            continue
        lo1, hi1 = b.reach
        lo2, hi2 = other.reach
        hit = np.all((np.minimum(hi1[:, None], hi2[None]) - np.maximum(lo1[:, None], lo2[None])) > 0, axis=2)
        if hit.any():
            i, j = np.argwhere(hit)[0]
            raise TwinsplitError(
                f"{b.source} and {source} move bodies that can reach each other ({b.geo.units[i].leader} and "
                f"{other.geo.units[j].leader}); blocks are placed independently, so merge them into one block "
                "or narrow their match/offset so their reach does not meet")


def resolve_regions(scene: SceneInfo, refs: list[str], where: str) -> list:
    """Regions by prim path, or every region of a kind."""
    out = []
    for ref in refs:
        if ref in scene.regions:
            out.append(scene.regions[ref])
            continue
        found = [r for r in scene.regions.values() if r.kind == ref]
        if not found:
            known = ", ".join(sorted({r.kind for r in scene.regions.values()} | set(scene.regions))) or "none"
            raise TwinsplitError(f"{where}: region {ref!r} does not exist in the stage (known: {known})")
        out += found
    return out


def _keep_out(scene: SceneInfo, block: LayoutCfg, split: str):
    return [prism_from_region(r, scene.up_index) for r in resolve_regions(scene, block.keep_out_for(split), "keep_out")]


def _bounds(scene: SceneInfo, block: LayoutCfg):
    up = scene.up_index
    if isinstance(block.bounds, BoxCfg):
        k = 1.0 / scene.meters_per_unit
        return prism_from_box("bounds", np.asarray(block.bounds.min) * k, np.asarray(block.bounds.max) * k, up)
    if isinstance(block.bounds, str):
        regions = resolve_regions(scene, [block.bounds], "bounds")
        if len(regions) != 1:
            raise TwinsplitError(f"bounds: {block.bounds!r} names {len(regions)} regions; name one region prim")
        return prism_from_region(regions[0], up)
    if scene.bounds is None or any(i.type_name == "Plane" and i.is_collider and not i.is_body
                                   for i in scene.prims.values()):
        return None  # a Plane collider is an infinite ground (PhysX), whatever its drawn width and length
    return prism_from_box("stage bounds", *scene.bounds, up)


def bound(scene: SceneInfo, block: LayoutCfg, source: str) -> Bound:
    key = f"layout:bound:{source}:{_block_key(block)}:{json.dumps(block.model_dump(mode='json'), sort_keys=True)}"
    if key not in scene.cache:
        scene.cache[key] = Bound(scene, block, source)
    return scene.cache[key]


# --------------------------------------------------------------------------------------------------
# params / sample / edits


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


# --------------------------------------------------------------------------------------------------
# init


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


register(Randomizer(
    name="layout",
    config_model=LayoutCfg,
    params=layout_params,
    selectors=lambda block: [("match", block.match, {"kinds": KINDS})]
    + [(f"swap[{g}]", sel, {"kinds": KINDS}) for g, sel in enumerate(block.swap)],
    sample=layout_sample,
    edits=layout_edits,
    starter=layout_starter,
    doc=LayoutCfg.__doc__ or "",
))
