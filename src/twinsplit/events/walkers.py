"""People of one block in one variant: each walks from its entry to its goal on the variant's site, reacts to what
the other events switch on (an alarm's blocker, a zone becoming restricted, a bed in the way) and keeps clear of
the people planned before it (a later start, else it stays away). Deterministic: a pure function of the draws."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .pace import Track, along, arclength
from .site import Site

STEP_S = 0.04        # how finely a track is checked against obstacles and other people (s)
REACT_S = 0.3        # a person clears what is about to close this long before it does (s)
DETOUR = 1.5         # going around an obstruction is preferred to waiting while it is at most this much longer
DELAYS = 10          # later starts (one second apart) tried before a person stays away from a crowded site
CROWD_MARGIN_M = 0.02


@dataclass
class Person:
    prim: str
    start: float        # s
    speed: float        # stage units per s
    accel: float        # stage units per s^2
    pause: float        # s
    pause_at: float     # fraction of the first route
    entry: np.ndarray
    goals: list[tuple[str, np.ndarray, float]]  # (name, point, reach): the drawn goal first, then other ways out
    radius: float


@dataclass
class Walk:
    person: Person
    start: float | None = None   # None: the person stays away
    track: Track | None = None
    goal: str | None = None
    reactions: list[dict] = field(default_factory=list)
    why_absent: str | None = None


def plan(site: Site, people: list[Person], window_end: float, every: float, tcps: float) -> list[Walk]:
    done: list[Walk] = []
    for p in people:
        walk = Walk(p, why_absent="no way from its entry to any goal")
        for d in range(DELAYS + 1):
            t0 = p.start + d
            if t0 >= window_end:
                break
            got = _walk(site, p, t0, window_end, every)
            if isinstance(got, str):
                walk.why_absent = got
                continue
            track, goal, reactions = got
            gap = p.radius + site.m(CROWD_MARGIN_M)
            if not any(_crowded(track, w.track, gap + w.person.radius, 1.0 / tcps, site.grid.plane)
                       for w in done if w.track is not None):
                walk = Walk(p, t0, track, goal, reactions)
                break
            walk.why_absent = "crowded: every start tried meets another person"
        done.append(walk)
    return done


def _crowded(a: Track, b: Track, gap: float, frame: float, plane: tuple[int, int]) -> bool:
    """Are two people ever closer than `gap` (horizontal; stage units) while both are on the site?"""
    t0, t1 = max(a.times[0], b.times[0]), min(a.times[-1], b.times[-1]) + frame
    if t1 < t0:
        return False
    ts = np.arange(t0, t1 + STEP_S, STEP_S)
    d = a.at(ts) - b.at(ts)
    return bool(np.min(np.hypot(d[:, plane[0]], d[:, plane[1]])) < gap)


def _first_route(site: Site, state, start: np.ndarray, goals: list[tuple[str, np.ndarray, float]]):
    """(goal, waypoints) of the first goal reachable in `state` (a goal whose free cells nearest its point are
    farther than its reach, e.g. a closed zone, does not count); (None, None) when none is."""
    for name, point, reach in goals:
        cell = site.snap(state, point)
        if np.linalg.norm(site.grid.point(np.array([cell]), site.h)[0] - point) > reach:
            continue
        poly = site.route(state, start, cell)
        if poly is not None:
            return name, poly
    return None, None


def _walk(site: Site, p: Person, t0: float, t_end: float, every: float):
    """(track, goal, reactions) of one person starting at t0, or why it cannot start then."""
    obs = site.obstacles
    state = frozenset(k for k, o in enumerate(obs) if o.on_s <= t0 and (o.off_s is None or o.off_s > t0))
    entry = site.grid.point(np.array([site.snap(state, p.entry)]), site.h)[0]
    goal, poly = _first_route(site, state, entry, p.goals)
    if poly is None:
        return "no way from its entry to any goal"
    track = Track()
    s_of = arclength(poly)
    cut = p.pause_at * s_of[-1]
    if p.pause > 0 and 0 < cut < s_of[-1]:
        k = int(np.searchsorted(s_of, cut))
        mid = along(poly, s_of, np.array([cut]))[0]
        track.walk(np.vstack([poly[:k], mid]), t0, 0.0, p.speed, p.accel, every)
        track.wait(track.times[-1] + p.pause)
        track.walk(np.vstack([mid, poly[k:]]), track.times[-1], 0.0, p.speed, p.accel, every)
    else:
        track.walk(poly, t0, 0.0, p.speed, p.accel, every)
    reactions: list[dict] = []
    for k in sorted((k for k, o in enumerate(obs) if o.on_s > t0), key=lambda k: (obs[k].on_s, k)):
        o = obs[k]
        if o.on_s >= min(track.times[-1], t_end):
            continue
        until = min(o.off_s if o.off_s is not None else np.inf, track.times[-1])
        ts = np.append(np.arange(o.on_s, until, STEP_S), until)
        if not site.inside(k, track.at(ts)).any():
            state = state | {k} if o.off_s is None else state
            continue
        got = _react(site, p, track, state, k, goal, every, t_end)
        if isinstance(got, str):
            return got
        goal, reaction = got
        reactions.append(reaction)
        if o.off_s is None:
            state = state | {k}
    return track, goal, reactions


def _react(site: Site, p: Person, track: Track, state, k: int, goal: str, every: float, t_end: float):
    """Change `track` so the person keeps out of obstacle k from its switch on; (goal, the reaction record)."""
    o = site.obstacles[k]
    t_r, exit_poly = None, None
    after = site.free(state | {k})
    for t in np.arange(o.on_s, track.times[0] - 1e-9, -0.1):  # the latest moment that still clears it in time
        here = track.at(np.array([t]))
        if not site.inside(k, here)[0]:
            if not after.flat[site.grid.flat(here)[0]]:
                continue  # in the reach of what switches on with it (a doorway's barrier): no way on from there
            t_r = float(t)
            break
        poly, length = site.exit(state, k, here[0])
        if poly is not None and t + length / p.speed + p.speed / p.accel + REACT_S <= o.on_s:
            t_r, exit_poly = float(t), poly
            break
    if t_r is None:
        return f"cannot clear {o.prim} before it switches on"
    here = track.at(np.array([t_r]))[0]
    v0 = track.speed_at(t_r)
    new = state | {k}
    start = exit_poly[-1] if exit_poly is not None else here
    name, poly = _first_route(site, new, start, [g for g in p.goals if g[0] == goal] + p.goals)
    what = "leave" if exit_poly is not None else "reroute"
    if o.off_s is not None and exit_poly is None:  # a passing obstruction: around it, or wait until it is gone
        ahead = arclength(track.remaining(t_r))[-1]
        if poly is None or name != goal or arclength(poly)[-1] > DETOUR * ahead + site.m(5.0):
            ts = np.arange(t_r, track.times[-1], STEP_S)
            hit = ts[np.argmax(site.inside(k, track.at(ts)))]
            t_w = max(t_r, hit - 0.1)
            rest = track.remaining(t_w)
            track.cut(t_w)
            track.wait(o.off_s + REACT_S)
            if len(rest) > 1:
                track.walk(rest, track.times[-1], 0.0, p.speed, p.accel, every)
            return goal, _record(p, t_w, "wait", o, f"until {o.off_s:g} s")
        what = "go around"
    if exit_poly is not None:
        poly = exit_poly if poly is None else np.vstack([exit_poly, poly[1:]])
    track.cut(t_r)
    if poly is None:  # nowhere to go: stays where it is
        track.wait(t_end)
        return goal, _record(p, t_r, "stop", o, "no way to any goal")
    if what == "reroute" and name != goal:
        what = "reroute to another exit"
    track.walk(np.vstack([here, poly]) if np.linalg.norm(poly[0] - here) > 1e-9 else poly, t_r, v0, p.speed,
               p.accel, every)
    return name or goal, _record(p, t_r, what, o, f"to {name}" if name else "")


def _record(p: Person, t: float, what: str, o, detail: str) -> dict:
    return {"who": p.prim, "at": round(float(t), 6), "what": what, "why": o.why, "trigger": o.prim,
            "trigger_at": float(o.on_s)} | ({"detail": detail} if detail else {})
