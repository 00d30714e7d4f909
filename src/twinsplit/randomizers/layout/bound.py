"""A layout block bound to the stage: its units, swap groups, bounds and keep-out regions (cached)."""

from __future__ import annotations

import json
import math

import numpy as np

from ...blocks.distributions import Dist, Range, envelope
from ...errors import TwinsplitError
from ...geometry.prism import prism_from_box, prism_from_region
from ...scene.info import SceneInfo
from .config import KINDS, BoxCfg, LayoutCfg
from .units import Geometry, build_geometry


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
        self.regions = {s: _keep_out(scene, block, s, source) for s in ("train", "holdout")}
        self.bounds = _bounds(scene, block, source)
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
        # every unit's shapes' AABBs in one array (units hold their shapes contiguously), reduced per unit
        boxes = np.array([s.aabb() for u in geo.units for s in u.shapes])  # (shapes, 2, 3)
        starts = np.cumsum([0] + [len(u.shapes) for u in geo.units[:-1]])
        span = (np.maximum.reduceat(boxes[:, 1], starts) - np.minimum.reduceat(boxes[:, 0], starts))[:, p]
        r = np.array([float(np.linalg.norm(d)) for d in span]) / 2 + off
        centres = np.array([u.centre[p] for u in geo.units])
        lo, hi = centres - r[:, None], centres + r[:, None]
        for k, (g, _) in self.slot_of.items():  # a swap unit reaches every slot of its group
            cs = centres[self.groups[g]]
            lo[k], hi[k] = cs.min(0) - r[k], cs.max(0) + r[k]
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


def _keep_out(scene: SceneInfo, block: LayoutCfg, split: str, source: str):
    refs = block.keep_out_for(split)
    regions = scene.find_regions(refs, f"{source}.keep_out") if refs else []
    return [prism_from_region(r, scene.up_index) for r in regions]


def _bounds(scene: SceneInfo, block: LayoutCfg, source: str):
    up = scene.up_index
    if isinstance(block.bounds, BoxCfg):
        k = 1.0 / scene.meters_per_unit
        return prism_from_box("bounds", np.asarray(block.bounds.min) * k, np.asarray(block.bounds.max) * k, up)
    if isinstance(block.bounds, str):
        regions = scene.find_regions(block.bounds, f"{source}.bounds")
        if len(regions) != 1:
            raise TwinsplitError(f"{source}.bounds: {block.bounds!r} names {len(regions)} regions; name one region")
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
