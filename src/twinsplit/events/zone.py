"""zone_access_change: an infection-control / restricted zone switches from open to restricted mid-operation."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..blocks.attributes import sample_independent
from ..blocks.data import Edit, ParamSpec, PrimDef
from ..blocks.registry import BlockKind, LeakSignature
from ..blocks.variant import Obstacle
from ..errors import TwinsplitError
from ..scene.info import Region, SceneInfo
from .common import (
    FRAME,
    EventCfg,
    barrier_edits,
    by_prim,
    choice_value,
    event_meta,
    events_root,
    first_kind,
    instance_name,
    m,
    pseudo,
    region_choice,
    root_edits,
    start_dist,
    tag_edits,
    tc,
    time_metadata,
    window,
    within_window,
)
from .obstacles import body_obstacles

NAME = "zone_access_change"
ACCESS_ATTR = "twinsplit:zone:access"
ZONE_KINDS = ("infection_control", "restricted")
DOOR_KINDS = ("doorway",)
TOUCH_M = 0.05  # a doorway within this distance of the zone box belongs to the zone


class ZoneCfg(EventCfg):
    """A zone's `twinsplit:zone:access` (authored on the zone's region prim) flips from `open` to `restricted` at a
    drawn time, and kinematic barriers over its doorways (or around its perimeter) become active then."""

    zone: str | list[str] | None = Field(None, description="Zone region(s): prim path, path glob or kind; several "
                                                           "matches are drawn among. Default: infection_control, else "
                                                           "restricted.")
    boundary: Literal["auto", "doorways", "perimeter"] = Field(
        "auto", description="Barriers: doorways (a box filling each doorway region touching the zone), perimeter "
                            "(thin boxes along the zone box's sides), auto (doorways if any touch the zone, else "
                            "perimeter). Default: auto.")
    barrier_thickness: float = Field(0.1, gt=0.0, le=2.0,
                                     description="Perimeter barrier thickness in metres. Default: 0.1.")


def _zones(scene: SceneInfo, cfg: ZoneCfg, source: str) -> list[Region]:
    ref = cfg.zone if cfg.zone is not None else first_kind(scene, ZONE_KINDS)
    if ref is None:
        known = ", ".join(sorted({r.kind for r in scene.regions.values()})) or "none"
        raise TwinsplitError(f"{source}.zone: no infection_control or restricted region in the stage (known kinds: "
                             f"{known})")
    return scene.find_regions(ref, f"{source}.zone")


def zone_doorways(scene: SceneInfo, zone: Region) -> list[Region]:
    """Doorway regions whose box touches the zone box (oriented-box test from the geometry package)."""
    from ..geometry import box, penetration_depth

    grow = m(scene, TOUCH_M)
    zbox = box(zone.path, zone.center, np.asarray(zone.half_extents) + grow, zone.rotation)
    out = []
    for r in scene.regions.values():
        if r.kind in DOOR_KINDS and r.path != zone.path:
            if penetration_depth(box(r.path, r.center, r.half_extents, r.rotation), zbox) > 0:
                out.append(r)
    return out


def barriers(scene: SceneInfo, cfg: ZoneCfg, zone: Region) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(centre, rotation, full size) of each barrier box, in stage units."""
    doors = zone_doorways(scene, zone) if cfg.boundary != "perimeter" else []
    if cfg.boundary == "doorways" and not doors:
        raise TwinsplitError(f"zone {zone.path}: no doorway region touches it (use boundary: perimeter)")
    if doors:
        return [(np.asarray(d.center), np.asarray(d.rotation), 2 * np.asarray(d.half_extents)) for d in doors]
    rot = np.asarray(zone.rotation)
    he = np.asarray(zone.half_extents)
    c = np.asarray(zone.center)
    up_local = int(np.argmax(np.abs(rot[scene.up_index, :])))
    t = m(scene, cfg.barrier_thickness)
    out = []
    for k in (k for k in range(3) if k != up_local):
        for sign in (-1.0, 1.0):
            size = 2 * he.copy()
            size[k] = t
            out.append((c + sign * he[k] * rot[:, k], rot, size))
    return out


def zone_params(scene: SceneInfo, cfg: ZoneCfg, source: str) -> list[ParamSpec]:
    w = window(scene, cfg, source)
    zones = _zones(scene, cfg, source)
    for z in zones:
        try:
            barriers(scene, cfg, z)
        except TwinsplitError as exc:
            raise TwinsplitError(f"{source}: {exc}") from None
    start = start_dist(cfg, w, source)
    out = []
    for k in range(cfg.count):
        prim = f"{events_root(scene)}/{instance_name('Zone', source, k)}"
        out.append(pseudo(prim, "start", source, start))
        if (choice := region_choice(zones)) is not None:
            out.append(pseudo(prim, "zone", source, choice, "string"))
    return out


def zone_edits(scene: SceneInfo, cfg: ZoneCfg, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    source = params[0].source
    w = window(scene, cfg, source)
    zones = _zones(scene, cfg, source)
    out = root_edits(scene)
    instances = {prim: (choice_value(cols.get("zone"), zones[0].path), cols["start"][1])
                 for prim, cols in by_prim(params, draws).items()}
    # Several instances drawing one zone share its access token: restricted from the earliest of their starts.
    first: dict[str, float] = {}
    for zone_path, start in instances.values():
        first[zone_path] = min(start, first.get(zone_path, start))
    for prim, (zone_path, start) in instances.items():
        zone = next(z for z in zones if z.path == zone_path)
        t0 = tc(scene, start)
        boxes = barriers(scene, cfg, zone)
        names = [f"{prim}/Barrier_{i}" for i in range(len(boxes))]
        meta = event_meta(scene, NAME, source, prim, start, w[1], {
            "zone": zone_path, "access": ["open", "restricted"], "barriers": names})
        out.append(Edit(path=prim, prim_def=PrimDef("Xform"), meta=meta))
        out += tag_edits(prim, NAME, source)
        out.append(Edit(path=prim, attr="twinsplit:zone:region", type_name="string", value=zone_path, custom=True,
                        variability_uniform=True))
        # The access token lives on the zone's own region prim (an `over`), where an evaluator looks it up.
        if zone_path in first:
            t_first = tc(scene, first.pop(zone_path))
            out.append(Edit(path=zone_path, attr=ACCESS_ATTR, type_name="token", custom=True,
                            time_samples=((t_first - FRAME, "open"), (t_first, "restricted"))))
        for name, (center, rot, size) in zip(names, boxes, strict=False):
            out += barrier_edits(scene, name, center, rot, size, t0)
    return out


_EDITS = within_window(zone_edits)


def zone_obstacles(scene: SceneInfo, cfg: ZoneCfg, params: list[ParamSpec], draws: np.ndarray) -> list[Obstacle]:
    """The barriers (bodies) and each zone itself (a no-go area for people once restricted: its token's switch)."""
    edits = _EDITS(scene, cfg, params, draws)
    out = body_obstacles(scene, edits, lambda prim, p: f"zone {p.get('zone', '')} is closed off")
    for e in edits:
        if e.attr == ACCESS_ATTR:
            zone = scene.regions[e.path]
            on = next(t for t, v in e.time_samples if v == "restricted") / scene.time_codes_per_second
            out.append(Obstacle(NAME, params[0].source, zone.path, np.asarray(zone.center, dtype=float),
                                np.asarray(zone.rotation, dtype=float), 2 * np.asarray(zone.half_extents, dtype=float),
                                on, None, False, f"zone {zone.path} becomes restricted"))
    return out


def zone_starter(scene: SceneInfo) -> str | None:
    kind = first_kind(scene, ZONE_KINDS)
    if kind is None:
        return None
    return "\n".join([
        f"  # the {kind} zone switches from open to restricted mid-run; barriers close its doorways",
        "  zone_access_change:",
        f"    zone: {kind}",
        "    # holdout_only: true   # make it a kind only the holdout twin contains",
    ])


KIND = BlockKind(
    name=NAME,
    config_model=ZoneCfg,
    params=zone_params,
    selectors=lambda cfg: [],
    sample=sample_independent,
    edits=_EDITS,
    obstacles=zone_obstacles,
    starter=zone_starter,
    metadata=time_metadata,
    doc=ZoneCfg.__doc__ or "",
    leak=LeakSignature(attrs=("twinsplit:zone:access", "twinsplit:zone:region"), prim_prefix="Zone"),
)
