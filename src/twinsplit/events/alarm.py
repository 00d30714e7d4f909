"""alarm_reroute: an alarm starts, a light flashes, and a doorway/aisle closes with a blocking collider."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..blocks.attributes import sample_independent
from ..blocks.data import Edit, ParamSpec, PrimDef
from ..blocks.distributions import Dist
from ..blocks.quantize import quantize
from ..blocks.registry import BlockKind, LeakSignature
from ..errors import TwinsplitError
from ..scene.info import Region, SceneInfo
from ..scene.selectors import Selector
from .common import (
    FRAME,
    JUMP,
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
    v3,
    window,
    within_window,
    xform_edits,
)
from .obstacles import kind_obstacles

NAME = "alarm_reroute"
ACTIVE_ATTR = "twinsplit:alarm:active"
CLOSE_KINDS = ("doorway", "aisle")


class AlarmCfg(EventCfg):
    """An alarm starts at a drawn time: a light flashes (intensity on/off), `twinsplit:alarm:active` turns true on
    the alarm prim, and a doorway/aisle region closes with a kinematic blocking box so traffic must reroute."""

    close: str | list[str] | None = Field(None, description="Region(s) that may close: prim path, path glob or kind; "
                                                            "one is drawn per alarm. Default: doorway, else aisle.")
    light: Literal["nearest", "beacon"] | Selector = Field(
        "nearest", description="Which light flashes: nearest (the stage light closest to the closed region, within "
                               "light_radius, else a new beacon), beacon (always a new SphereLight above the closed "
                               "region) or a light selector (the nearest matched light). A light an earlier alarm of "
                               "the same variant flashes is skipped. Default: nearest.")
    light_radius: float = Field(5.0, gt=0.0, description="How far (m) from the closed region's centre a stage light "
                                                         "counts as near. Default: 5.")
    frequency: Dist = Field(default_factory=lambda: Dist(low=1.0, high=3.0),
                            description="Flash frequency in Hz (one on + one off per period). Default: uniform 1-3.")
    intensity: float | None = Field(None, gt=0.0, description="Intensity while flashing on. Default: the light's "
                                                              "authored intensity (30000 for a beacon).")


def _close_regions(scene: SceneInfo, cfg: AlarmCfg, source: str) -> list[Region]:
    ref = cfg.close if cfg.close is not None else first_kind(scene, CLOSE_KINDS)
    if ref is None:
        known = ", ".join(sorted({r.kind for r in scene.regions.values()})) or "none"
        raise TwinsplitError(f"{source}.close: no doorway or aisle region in the stage to close (known kinds: {known})")
    return scene.find_regions(ref, f"{source}.close")


def _candidate_lights(scene: SceneInfo, cfg: AlarmCfg, source: str) -> list[str]:
    if cfg.light == "beacon":
        return []
    if cfg.light == "nearest":
        return [p for p in scene.lights if scene.prims[p].world is not None and scene.prims[p].type_name != "DomeLight"]
    return scene.require(cfg.light, f"{source}.light", default_api="LightAPI", kinds=("light",))


def _light_for(scene: SceneInfo, cfg: AlarmCfg, region: Region, lights: list[str], taken: set[str]) -> str | None:
    """The candidate light nearest the region centre (within light_radius unless a selector named them), skipping
    lights an earlier alarm of this variant already flashes (one attribute cannot carry two square waves)."""
    best, best_d = None, np.inf
    for p in lights:
        world = scene.prims[p].world
        if world is None or p in taken:
            continue
        d = float(np.linalg.norm(np.asarray(world[3][:3]) - np.asarray(region.center)))
        if d < best_d:
            best, best_d = p, d
    if best is not None and cfg.light == "nearest" and best_d > m(scene, cfg.light_radius):
        return None
    return best


def alarm_params(scene: SceneInfo, cfg: AlarmCfg, source: str) -> list[ParamSpec]:
    w = window(scene, cfg, source)
    regions = _close_regions(scene, cfg, source)
    _candidate_lights(scene, cfg, source)  # a selector matching nothing is an error now, not at render time
    start = start_dist(cfg, w, source)
    out = []
    for k in range(cfg.count):
        prim = f"{events_root(scene)}/{instance_name('Alarm', source, k)}"
        out += [pseudo(prim, "start", source, start), pseudo(prim, "frequency", source, cfg.frequency)]
        if (choice := region_choice(regions)) is not None:
            out.append(pseudo(prim, "close", source, choice, "string"))
    return out


def flash(t0: float, t1: float, hz: float, tcps: float, on: float, before: float) -> tuple[tuple[float, float], ...]:
    """Square wave as float samples (intensity interpolates linearly): each edge is a pair of samples 1% of a
    half period apart, so the light is fully on or off for 99% of each half period. The first edge is a JUMP:
    until the alarm starts the light keeps `before` (a ramp would light it on the frame before)."""
    half = tcps / (2 * hz)
    eps = 0.01 * half
    samples = [(t0 - JUMP, before)]
    t, level = t0, on
    while t < t1 - 1e-9:
        samples.append((t, level))
        nxt = min(t + half, t1)
        samples.append((nxt - eps if nxt < t1 else t1, level))
        t, level = nxt, (0.0 if level else on)
    return tuple((float(a), quantize(b, "float")) for a, b in samples)


def alarm_edits(scene: SceneInfo, cfg: AlarmCfg, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    source = params[0].source
    w = window(scene, cfg, source)
    regions = _close_regions(scene, cfg, source)
    lights = _candidate_lights(scene, cfg, source)
    out = root_edits(scene)
    taken: set[str] = set()
    for prim, cols in by_prim(params, draws).items():
        close = choice_value(cols.get("close"), regions[0].path)
        reg = next(r for r in regions if r.path == close)
        start, hz = cols["start"][1], cols["frequency"][1]
        t0, t1 = tc(scene, start), tc(scene, w[1])
        light = _light_for(scene, cfg, reg, lights, taken)
        if light is not None:
            taken.add(light)
        rot = np.asarray(reg.rotation)
        he = np.asarray(reg.half_extents)
        center = np.asarray(reg.center)
        up = np.zeros(3)
        up[scene.up_index] = 1.0
        top = float(np.abs(rot[scene.up_index, :]) @ he)
        meta = event_meta(scene, NAME, source, prim, start, w[1], {
            "closes": close, "frequency_hz": hz, "light": light or f"{prim}/Beacon"})
        out.append(Edit(path=prim, prim_def=PrimDef("Xform"), meta=meta))
        out += tag_edits(prim, NAME, source)
        out.append(Edit(path=prim, attr=ACTIVE_ATTR, type_name="bool", custom=True,
                        time_samples=((t0 - FRAME, False), (t0, True))))
        out.append(Edit(path=prim, attr="twinsplit:alarm:closes", type_name="string", value=close, custom=True,
                        variability_uniform=True))
        # The flashing light: a stage light's inputs:intensity, or a new beacon above the closed region.
        if light is None:
            beacon = f"{prim}/Beacon"
            on = cfg.intensity or 30000.0
            out.append(Edit(path=beacon, prim_def=PrimDef("SphereLight")))
            out += [Edit(path=beacon, attr="inputs:radius", type_name="float", value=quantize(m(scene, 0.08), "float")),
                    Edit(path=beacon, attr="inputs:color", type_name="color3f",
                         value=(1.0, quantize(0.1, "float"), quantize(0.05, "float")))]
            out += xform_edits(beacon, translate=center + up * (top + m(scene, 0.15)))
            out.append(Edit(path=beacon, attr="inputs:intensity", type_name="float",
                            time_samples=flash(t0, t1, hz, scene.time_codes_per_second, quantize(on, "float"), 0.0)))
        else:
            info = scene.prims[light].attrs.get("inputs:intensity")
            base = float(info.value) if info is not None and info.value is not None else 1.0
            on = cfg.intensity or (base if base > 0 else 30000.0)
            type_name = info.type_name if info is not None else "float"
            out.append(Edit(path=light, attr="inputs:intensity", type_name=type_name,
                            time_samples=flash(t0, t1, hz, scene.time_codes_per_second, quantize(on, type_name),
                                               quantize(base, type_name))))
        out.append(Edit(path=prim, attr="twinsplit:alarm:light", type_name="string", value=light or f"{prim}/Beacon",
                        custom=True, variability_uniform=True))
        # The blocker: a kinematic box filling the closed region, parked below the floor until the alarm.
        blocker = f"{prim}/Blocker"
        out += barrier_edits(scene, blocker, center, rot, 2 * he, t0)
        meta["event"]["parameters"]["blocker"] = blocker
        meta["event"]["parameters"]["blocker_at"] = list(v3(center))
    return out


def alarm_starter(scene: SceneInfo) -> str | None:
    kind = first_kind(scene, CLOSE_KINDS)
    if kind is None:
        return None
    return "\n".join([
        f"  # an alarm closes a {kind} and flashes a beacon: only the holdout twin has it (a kind training never saw)",
        "  alarm_reroute:",
        f"    close: {kind}",
        "    light: beacon        # nearest: flash the closest stage light instead (do not also randomize its "
        "intensity)",
        "    frequency: {low: 1, high: 3}     # Hz",
        "    holdout_only: true",
    ])


_EDITS = within_window(alarm_edits)

KIND = BlockKind(
    name=NAME,
    config_model=AlarmCfg,
    params=alarm_params,
    selectors=lambda cfg: [] if isinstance(cfg.light, str) else
    [("light", cfg.light, {"default_api": "LightAPI", "kinds": ("light",)})],
    sample=sample_independent,
    edits=_EDITS,
    obstacles=kind_obstacles(_EDITS, lambda prim, p: f"the alarm closes {p.get('closes', 'a doorway')}"),
    starter=alarm_starter,
    metadata=time_metadata,
    doc=AlarmCfg.__doc__ or "",
    leak=LeakSignature(attrs=("twinsplit:alarm:active", "twinsplit:alarm:closes"), prim_prefix="Alarm"),
)
