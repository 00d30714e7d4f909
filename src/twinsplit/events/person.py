"""person_enters_corridor: people (kinematic capsules) walk from an entry to a goal on paths planned around this
variant's site (walkers.py), with roles, a drawn number of people and reactions to the other events."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from pydantic import Field

from ..base import Strict
from ..blocks.data import Edit, ParamSpec, PrimDef
from ..blocks.distributions import Dist, envelope, inverse_cdf, resolve
from ..blocks.registry import BlockKind, LeakSignature
from ..blocks.variant import Placed, Variant
from ..errors import TwinsplitError
from ..scene.info import SceneInfo
from . import keep_clear, walkers
from .common import (
    FRAME,
    EventCfg,
    Lane,
    body_edits,
    body_schemas,
    by_prim,
    capsule_edits,
    choice_value,
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
from .site import Site
from .walkers import Person

NAME = "person_enters_corridor"
CLEARANCE_M = 0.05   # kept between the capsule and the region's ends/sides, and lifted off the floor (m)
ROLE_DEFAULTS = {    # speed (m/s) and pause (s) of each role unless the config gives its own
    "staff": ((1.1, 1.7), (0.0, 2.0)),
    "visitor": ((0.7, 1.4), (0.0, 5.0)),
    "patient": ((0.3, 0.8), (2.0, 10.0)),
}


class RoleCfg(Strict):
    """One role people of a block may have: how often it is drawn, its speed and pause, its semantic label."""

    weight: float = Field(1.0, gt=0.0, description="Relative frequency. Default: 1.")
    speed: Dist | None = Field(None, description="Walking speed in m/s. Default: staff 1.1-1.7, visitor 0.7-1.4, "
                                                 "patient 0.3-0.8 (the block's `speed` for other names).")
    pause: Dist | None = Field(None, description="Pause on the way in s. Default: staff 0-2, visitor 0-5, patient "
                                                 "2-10 (the block's `pause` for other names).")


class SplitFlags(Strict):
    """A yes/no per split."""

    train: bool = Field(False, description="In train variants. Default: false.")
    holdout: bool = Field(False, description="In holdout variants. Default: false.")


class PersonCfg(EventCfg):
    """People (kinematic capsules labelled `person`) enter a region at one end at a drawn time and walk to a goal
    (the region's other end, or a goal region) on a path planned around this variant's colliders, reacting to the
    other events (alarm, zone, obstruction) and keeping clear of each other."""

    region: str | list[str] = Field("corridor", description="Region(s) to enter: prim path, path glob or "
                                                            "region kind; several matches are drawn among. Default: "
                                                            "corridor.")
    goal: str | list[str] | None = Field(None, description="Region(s) to walk to (one drawn per person; the others "
                                                           "are the ways out when it closes). Default: the entry "
                                                           "region's other end.")
    speed: Dist = Field(default_factory=lambda: Dist(low=0.5, high=1.8),
                        description="Walking speed in m/s. Default: uniform 0.5-1.8.")
    lateral: Dist = Field(default_factory=lambda: Dist(low=-1.0, high=1.0), description="Lateral offset as a fraction "
                          "of the free half-width (-1 one side, 1 the other). Default: uniform -1..1.")
    direction: Dist = Field(default_factory=lambda: Dist(distribution="choice", choices=["forward", "backward"]),
                            description="forward: enter at the axis' negative end; backward: the other. Default: "
                                        "either, equally.")
    pause: Dist = Field(default_factory=lambda: Dist(low=0.0, high=3.0),
                        description="A pause on the way, in s (at a drawn point of the route). Default: uniform 0-3.")
    acceleration: float = Field(1.0, gt=0.05, le=10.0, description="Speeding up and slowing down, m/s^2. Default: 1.")
    people: Dist | None = Field(None, description="How many of the `count` slots appear per variant (the draw "
                                                  "rounded down); each slot gets an `event:active` column. Default: "
                                                  "all of them.")
    roles: dict[str, RoleCfg] | None = Field(None, description="Roles drawn per person (e.g. staff, visitor, "
                                                               "patient) with their own speed and pause; each gets "
                                                               "the semantic label `role`. Default: none.")
    keep_clear: bool | SplitFlags | None = Field(
        None, description="true: layout keeps its bodies off each person's way (entry to goal on the static site, one "
                          "radius + 5 cm to each side); or {train: .., holdout: ..}. Default: false.")
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
    goals = scene.find_regions(cfg.goal, f"{source}.goal") if cfg.goal is not None else []
    return w, regions, goals


def _role_dist(cfg: PersonCfg, role: str, key: str) -> Dist:
    own = getattr(cfg.roles[role], key)
    if own is not None:
        return own
    if role in ROLE_DEFAULTS:
        lo, hi = ROLE_DEFAULTS[role][0 if key == "speed" else 1]
        return Dist(low=lo, high=hi)
    return getattr(cfg, key)


def _span(dists: list[Dist]) -> Dist:
    """One column's distribution over several (the union of their ranges): what normalizes it."""
    lo, hi = zip(*(envelope(d) for d in dists), strict=True)
    return Dist(low=min(lo), high=max(hi))


def _site(scene: SceneInfo, cfg: PersonCfg, ln: Lane, placed: Placed, obstacles: list) -> Site:
    lift = m(scene, cfg.height) / 2 + m(scene, CLEARANCE_M) / 5
    return Site(scene, ln.ground, m(scene, cfg.height), m(scene, cfg.radius), ln.ground + lift, placed, obstacles)


def _check_ends(scene: SceneInfo, cfg: PersonCfg, regions: list, source: str) -> None:
    """A region whose both ends are blocked on the source's own site is an error now, not a person who never
    appears: every variant would lose it."""
    site = _site(scene, cfg, lane(scene, regions[0]), Placed(), [])
    for r in regions:
        ln = lane(scene, r)
        ends = [_ends(scene, cfg, ln, 0.0, d)[0] for d in ("forward", "backward")]
        if not any(np.linalg.norm(site.grid.point(np.array([site.snap(frozenset(), e)]), site.h)[0] - e)
                   <= ln.half_width for e in ends):
            raise TwinsplitError(f"{source}: every entry point tried in region {r.path} is inside an object; clear "
                                 "an end of the region")


def person_params(scene: SceneInfo, cfg: PersonCfg, source: str) -> list[ParamSpec]:
    w, regions, goals = _setup(scene, cfg, source)
    _check_ends(scene, cfg, regions, source)
    start = start_dist(cfg, w, source)
    speed, pause = cfg.speed, cfg.pause
    if cfg.roles:
        speed = _span([_role_dist(cfg, r, "speed") for r in cfg.roles])
        pause = _span([_role_dist(cfg, r, "pause") for r in cfg.roles])
    out = []
    for k in range(cfg.count):
        prim = f"{events_root(scene)}/{instance_name('Person', source, k)}"
        out += [pseudo(prim, "start", source, start), pseudo(prim, "speed", source, speed),
                pseudo(prim, "lateral", source, cfg.lateral), pseudo(prim, "direction", source, cfg.direction, "token")]
        if (choice := region_choice(regions)) is not None:
            out.append(pseudo(prim, "region", source, choice, "string"))
        out += [pseudo(prim, "pause", source, pause), pseudo(prim, "pause_at", source, Dist(low=0.2, high=0.8))]
        if (choice := region_choice(goals)) is not None:
            out.append(pseudo(prim, "goal", source, choice, "string"))
        if cfg.roles:
            out.append(pseudo(prim, "role", source, Dist(distribution="choice", choices=list(cfg.roles),
                                                         weights=[r.weight for r in cfg.roles.values()]), "token"))
        if cfg.people is not None:
            out.append(pseudo(prim, "active", source, Dist(distribution="choice", choices=[0, 1]), "int"))
    return out


def person_sample(scene: SceneInfo, cfg: PersonCfg, params: list[ParamSpec], split: str,
                  rng: np.random.Generator) -> np.ndarray:
    """One uniform per column; a role's own speed and pause replace the block's; with `people`, one more uniform
    draws how many slots appear (the first ones)."""
    u = rng.random(len(params))
    draws = np.array([p.draw(split, u[i : i + 1])[0] for i, p in enumerate(params)], dtype=np.float64)
    if cfg.roles:
        for cols in by_prim(params, draws).values():
            role = choice_value(cols["role"])
            for key in ("speed", "pause"):
                j = params.index(cols[key][0])
                draws[j] = inverse_cdf(resolve(_role_dist(cfg, role, key), split), u[j : j + 1])[0]
    if cfg.people is not None:
        n = int(np.floor(inverse_cdf(resolve(cfg.people, split), rng.random(1))[0]))
        active = [i for i, p in enumerate(params) if p.key == "active"]
        for k, j in enumerate(active):
            draws[j] = float(k < n)
    return draws


def _ends(scene: SceneInfo, cfg: PersonCfg, ln: Lane, lateral: float, direction: str):
    """(entry, far end) of the capsule centre along the lane, in stage units."""
    r = m(scene, cfg.radius)
    free = max(ln.half_width - r - m(scene, CLEARANCE_M), 0.0)
    end = ln.half_length - r - m(scene, CLEARANCE_M)
    sign = 1.0 if direction == "forward" else -1.0
    lift = m(scene, cfg.height) / 2 + m(scene, CLEARANCE_M) / 5
    entry = ln.center + ln.axis * (-sign * end) + ln.lateral * (lateral * free) + ln.up * lift
    return entry, entry + ln.axis * (sign * 2 * end)


def plan_people(scene: SceneInfo, cfg: PersonCfg, params: list[ParamSpec], draws: np.ndarray,
                variant: Variant | None):
    """Every slot's walk in this variant (walkers.plan), on the site as this variant's blocks leave it."""
    key = (id(scene), params[0].source, np.asarray(draws).tobytes(), variant.key() if variant else b"")
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is scene:
        return hit[1]
    w, regions, goals = _setup(scene, cfg, params[0].source)
    placed = variant.placed() if variant is not None else Placed()
    obstacles = variant.obstacles() if variant is not None else []
    site = _site(scene, cfg, lane(scene, regions[0]), placed, obstacles)
    people, extra = slot_people(scene, cfg, params, draws, regions, goals)
    walks = walkers.plan(site, people, w[1], cfg.sample_every, scene.time_codes_per_second)
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[key] = (scene, (w, walks, extra))
    return w, walks, extra


def slot_people(scene: SceneInfo, cfg: PersonCfg, params: list[ParamSpec], draws: np.ndarray, regions: list,
                goals: list) -> tuple[list[Person], dict]:
    """The people of the active slots (entry, goals, pace) from their draws, and what the manifest says of each."""
    people, extra = [], {}
    for prim, cols in by_prim(params, draws).items():
        if "active" in cols and cols["active"][1] < 0.5:
            continue
        region = choice_value(cols.get("region"), regions[0].path)
        ln = lane(scene, next(r for r in regions if r.path == region))
        entry, far = _ends(scene, cfg, ln, cols["lateral"][1], choice_value(cols["direction"]))
        if goals:
            first = choice_value(cols.get("goal"), goals[0].path)
            ways = [_goal(scene, g, entry) for g in goals if g.path == first]
            ways += [_goal(scene, g, entry) for g in goals if g.path != first]
        else:
            ways = [(f"{region} (far end)", far, ln.half_width)]
        ways.append((f"{region} (entry)", entry, ln.half_width))
        people.append(Person(prim, cols["start"][1], m(scene, cols["speed"][1]), m(scene, cfg.acceleration),
                             cols["pause"][1], cols["pause_at"][1], entry, ways, m(scene, cfg.radius)))
        extra[prim] = {"region": region, "role": choice_value(cols.get("role")), "cols": cols}
    return people, extra


_PLANS: dict[tuple, tuple] = {}
_STATIC: dict[tuple, tuple] = {}


def person_keep_out(scene: SceneInfo, cfg: PersonCfg, params: list[ParamSpec], draws: np.ndarray,
                    split: str) -> list:
    """With `keep_clear` for this split: every active person's way (events.keep_clear), for layout to avoid."""
    on = bool(cfg.keep_clear) if not isinstance(cfg.keep_clear, SplitFlags) else getattr(cfg.keep_clear, split)
    if not on:
        return []
    _, regions, goals = _setup(scene, cfg, params[0].source)
    key = (id(scene), params[0].source)
    hit = _STATIC.get(key)
    if hit is None or hit[0] is not scene:  # the static site is the same in every variant: built once
        hit = _STATIC[key] = (scene, _site(scene, cfg, lane(scene, regions[0]), keep_clear.static_placed(scene), []))
    people, _ = slot_people(scene, cfg, params, draws, regions, goals)
    return keep_clear.ways(hit[1], people)


def _goal(scene: SceneInfo, region, entry: np.ndarray) -> tuple[str, np.ndarray, float]:
    """(name, point at the person's centre height, reach: how far from its centre a person still is in it)."""
    point = np.asarray(region.center, dtype=float).copy()
    point[scene.up_index] = entry[scene.up_index]
    ln = lane(scene, region)
    return region.path, point, min(ln.half_length, ln.half_width)


def person_edits(scene: SceneInfo, cfg: PersonCfg, params: list[ParamSpec], draws: np.ndarray,
                 variant: Variant | None = None) -> list[Edit]:
    source = params[0].source
    w, walks, extra = plan_people(scene, cfg, params, draws, variant)
    out = root_edits(scene)
    reactions = []
    for walk in walks:
        if walk.track is None:
            reactions.append({"who": walk.person.prim, "at": round(float(walk.person.start), 6), "what": "stay away",
                              "why": walk.why_absent})
            continue
        prim, info = walk.person.prim, extra[walk.person.prim]
        tr = walk.track
        arrive = tr.times[-1]
        end_s = min(arrive, w[1])
        keep = [i for i, t in enumerate(tr.times) if t <= w[1] + 1e-9]
        samples = [(tc(scene, tr.times[i]), tr.points[i]) for i in keep]
        if arrive > w[1] and tr.times[keep[-1]] < w[1] - 1e-9:
            samples.append((tc(scene, w[1]), tr.at(np.array([w[1]]))[0]))
        # switched off one frame after arriving, but never after the window's end (the stage's range ends there)
        on = tc(scene, walk.start)
        off = min(tc(scene, arrive) + FRAME, tc(scene, w[1])) if arrive <= w[1] else None
        role = info["role"]
        meta = event_meta(scene, NAME, source, prim, walk.start, end_s, {
            "region": info["region"], "speed_mps": info["cols"]["speed"][1],
            "direction": choice_value(info["cols"]["direction"]), "lateral": info["cols"]["lateral"][1],
            "entry": [float(c) for c in tr.points[0]], "goal": walk.goal,
            "waypoints": [[float(c) for c in p] for p in tr.corners],
            "pause_s": info["cols"]["pause"][1], "exit": float(arrive) if arrive <= w[1] else None}
            | ({"role": role} if role is not None else {}))
        reactions += walk.reactions
        label = ("SemanticsLabelsAPI:role",) if role is not None else ()
        out.append(Edit(path=prim, prim_def=PrimDef("Capsule", body_schemas() + label), meta=meta))
        out += tag_edits(prim, NAME, source)
        out += body_edits(scene, prim, "person")
        if role is not None:
            out.append(Edit(path=prim, attr="semantics:labels:role", type_name="token[]", value=(role,)))
        out += capsule_edits(scene, prim, cfg.height, cfg.radius, scene.up_axis)
        out += xform_edits(prim, translate_samples=samples)[1:]  # the op order; switch_edits writes the translate
        # visibility, collisionEnabled and the walk, parked before it and after arriving
        out += switch_edits(prim, on, off, samples, park(scene, tr.points[0], m(scene, cfg.height)))
    if reactions:  # the variant's manifest entry lists them (write.pool.reaction_entries)
        out[0] = replace(out[0], meta={"reactions": reactions})
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
    sees_variant=True,
    keep_out=person_keep_out,
    starter=person_starter,
    metadata=time_metadata,
    doc=PersonCfg.__doc__ or "",
    leak=LeakSignature(prim_prefix="Person"),
)
