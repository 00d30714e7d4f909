"""person_enters_corridor: a kinematic person capsule walks along a region's longest horizontal axis."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..blocks.data import Edit, ParamSpec, PrimDef
from ..blocks.distributions import Dist
from ..blocks.registry import BlockKind, LeakSignature
from ..errors import TwinsplitError
from ..scene.info import SceneInfo
from .common import (
    FRAME,
    EventCfg,
    Lane,
    body_edits,
    body_schemas,
    by_prim,
    capsule_edits,
    choice_value,
    collision_index,
    event_meta,
    events_root,
    first_kind,
    instance_name,
    lane,
    m,
    park,
    pseudo,
    region_choice,
    root_edits,
    start_dist,
    switch_edits,
    tag_edits,
    tc,
    time_metadata,
    window,
    within_window,
    xform_edits,
)

NAME = "person_enters_corridor"
CLEARANCE_M = 0.05   # kept between the capsule and the region's ends/sides, and lifted off the floor (m)
MAX_TRIES = 64       # lateral redraws before a blocked entry is an error


class PersonCfg(EventCfg):
    """A person (kinematic capsule labelled `person`) enters a region at one end at a drawn time and walks along
    its longest horizontal axis at a drawn speed and lateral offset."""

    region: str | list[str] = Field("corridor", description="Region(s) to walk through: prim path, path glob or "
                                                            "region kind; several matches are drawn among. Default: "
                                                            "corridor.")
    speed: Dist = Field(default_factory=lambda: Dist(low=0.5, high=1.8),
                        description="Walking speed in m/s. Default: uniform 0.5-1.8.")
    lateral: Dist = Field(default_factory=lambda: Dist(low=-1.0, high=1.0), description="Lateral offset as a fraction "
                          "of the free half-width (-1 one side, 1 the other). Default: uniform -1..1.")
    direction: Dist = Field(default_factory=lambda: Dist(distribution="choice", choices=["forward", "backward"]),
                            description="forward: enter at the axis' negative end; backward: the other. Default: "
                                        "either, equally.")
    height: float = Field(1.7, gt=0.3, le=2.5, description="Person height in metres, caps included. Default: 1.7.")
    radius: float = Field(0.25, gt=0.05, le=0.6, description="Capsule radius in metres. Default: 0.25.")
    sample_every: float = Field(0.5, gt=0.0, le=5.0,
                                description="Seconds between translate time samples. Default: 0.5.")


def _setup(scene: SceneInfo, cfg: PersonCfg, source: str):
    w = window(scene, cfg, source)
    regions = scene.find_regions(cfg.region, f"{source}.region")
    for r in regions:
        ln = lane(scene, r)
        if ln.half_length <= m(scene, cfg.radius + CLEARANCE_M):
            raise TwinsplitError(f"{source}.region: {r.path} is too short for a person of radius {cfg.radius} m")
    return w, regions


def person_params(scene: SceneInfo, cfg: PersonCfg, source: str) -> list[ParamSpec]:
    w, regions = _setup(scene, cfg, source)
    start = start_dist(cfg, w, source)
    out = []
    for k in range(cfg.count):
        prim = f"{events_root(scene)}/{instance_name('Person', source, k)}"
        out += [pseudo(prim, "start", source, start), pseudo(prim, "speed", source, cfg.speed),
                pseudo(prim, "lateral", source, cfg.lateral), pseudo(prim, "direction", source, cfg.direction, "token")]
        if (choice := region_choice(regions)) is not None:
            out.append(pseudo(prim, "region", source, choice, "string"))
    return out


def _walk(scene: SceneInfo, cfg: PersonCfg, ln: Lane, lateral: float, direction: str):
    """(entry point of the capsule centre, unit walking direction, path length) in stage units."""
    r = m(scene, cfg.radius)
    free = max(ln.half_width - r - m(scene, CLEARANCE_M), 0.0)
    end = ln.half_length - r - m(scene, CLEARANCE_M)
    sign = 1.0 if direction == "forward" else -1.0
    lift = m(scene, cfg.height) / 2 + m(scene, CLEARANCE_M) / 5
    entry = ln.center + ln.axis * (-sign * end) + ln.lateral * (lateral * free) + ln.up * lift
    return entry, ln.axis * sign, 2 * end


def _capsule_shape(scene: SceneInfo, cfg: PersonCfg, center: np.ndarray, up: np.ndarray):
    from ..geometry import Shape

    r = m(scene, cfg.radius)
    return Shape("__person__", "capsule", np.asarray(center, dtype=float), radius=r,
                 half_height=max(m(scene, cfg.height) / 2 - r, 0.0), axis=up, dynamic=True)


def person_sample(scene: SceneInfo, cfg: PersonCfg, params: list[ParamSpec], split: str,
                  rng: np.random.Generator) -> np.ndarray:
    """One uniform per column; an entry point inside an object redraws that person's lateral offset (same stream)."""
    u = rng.random(len(params))
    draws = np.array([p.draw(split, u[i : i + 1])[0] for i, p in enumerate(params)], dtype=np.float64)
    _, regions = _setup(scene, cfg, params[0].source)
    index = None
    for prim, cols in by_prim(params, draws).items():
        region = choice_value(cols.get("region"), regions[0].path)
        ln = lane(scene, next(r for r in regions if r.path == region))
        j = next(i for i, p in enumerate(params) if p.prim == prim and p.key == "lateral")
        direction = choice_value(cols["direction"])
        for _ in range(MAX_TRIES):
            entry, _, _ = _walk(scene, cfg, ln, draws[j], direction)
            index = collision_index(scene) if index is None else index
            if index.collides(_capsule_shape(scene, cfg, entry, ln.up)) is None:
                break
            draws[j] = params[j].draw(split, rng.random(1))[0]
        else:
            raise TwinsplitError(f"{params[0].source}: every entry point tried in region {region} is inside an object "
                                 f"({MAX_TRIES} lateral offsets drawn); clear an end of the region or narrow `lateral`")
    return draws


def person_edits(scene: SceneInfo, cfg: PersonCfg, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    source = params[0].source
    w, regions = _setup(scene, cfg, source)
    out = root_edits(scene)
    for prim, cols in by_prim(params, draws).items():
        region = choice_value(cols.get("region"), regions[0].path)
        ln = lane(scene, next(r for r in regions if r.path == region))
        start, speed = cols["start"][1], cols["speed"][1]
        lateral, direction = cols["lateral"][1], choice_value(cols["direction"])
        entry, heading, length = _walk(scene, cfg, ln, lateral, direction)
        exit_s = start + length / m(scene, speed)
        end_s = min(exit_s, w[1])
        times = [float(t) for t in np.arange(start, end_s, cfg.sample_every)] or [start]
        if end_s - times[-1] > 1e-9:
            times.append(end_s)
        samples = tuple((tc(scene, t), entry + heading * m(scene, speed) * (t - start)) for t in times)
        # switched off one frame after the exit, but never after the window's end (the stage's range ends there)
        on, off = tc(scene, start), (min(tc(scene, exit_s) + FRAME, tc(scene, w[1])) if exit_s <= w[1] else None)
        meta = event_meta(scene, NAME, source, prim, start, end_s, {
            "region": region, "speed_mps": speed, "direction": direction, "lateral": lateral,
            "entry": [float(c) for c in entry], "heading": [float(c) for c in heading],
            "exit": float(exit_s) if exit_s <= w[1] else None})
        out.append(Edit(path=prim, prim_def=PrimDef("Capsule", body_schemas()), meta=meta))
        out += tag_edits(prim, NAME, source)
        out += body_edits(scene, prim, "person")
        out += capsule_edits(scene, prim, cfg.height, cfg.radius, scene.up_axis)
        out += xform_edits(prim, translate_samples=samples)[1:]  # the op order; switch_edits writes the translate
        # visibility, collisionEnabled and the walk, parked before it and after the exit
        out += switch_edits(prim, on, off, samples, park(scene, entry, m(scene, cfg.height)))
    return out


def person_starter(scene: SceneInfo) -> str | None:
    kind = first_kind(scene, ("corridor", "route", "aisle"))
    if kind is None:
        return None
    return "\n".join([
        f"  # a person walks through the {kind} (train and holdout)",
        "  person_enters_corridor:",
        f"    region: {kind}",
        "    speed:                      # m/s",
        "      low: 0.5",
        "      high: 1.8",
        "      # holdout: {low: 1.8, high: 2.5}   # runners: a speed range training never saw",
    ])


KIND = BlockKind(
    name=NAME,
    config_model=PersonCfg,
    params=person_params,
    selectors=lambda cfg: [],
    sample=person_sample,
    edits=within_window(person_edits),
    starter=person_starter,
    metadata=time_metadata,
    doc=PersonCfg.__doc__ or "",
    leak=LeakSignature(prim_prefix="Person"),
)
