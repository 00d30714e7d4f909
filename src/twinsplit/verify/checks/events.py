"""verify: holdout-only events never reach a train variant — checked in the manifest *and* in each train layer;
and every layer's event bodies are parked at the default time (the one parking convention of events.common.park).

What marks a kind in a layer (tags or not) is the kind's own `BlockKind.leak` signature in the events registry,
so a new event kind is checked here without editing this module.
"""

from __future__ import annotations

import numpy as np

from ...blocks.registry import EVENTS, LeakSignature
from ...events.common import EVENTS_SCOPE, KIND_ATTR, PARK_BELOW_M, SOURCE_ATTR, events_root, lowest_point
from ...geometry.support import overlap_tolerance
from ...geometry.xform_ops import quat_matrices
from ...plan.stakes import holdout_only
from ...write.layer import Authored
from ...write.readback import layer_values
from ..core import Check, Context, check


def _event_kinds():
    """The events registry with its kinds loaded (the one call to change if the loader is renamed)."""
    return EVENTS.load()


def leak_signatures(kinds: set[str]) -> dict[str, LeakSignature]:
    """{kind: its leak signature} for the registered kinds among `kinds` that declare one."""
    registry = _event_kinds()
    return {k: registry[k].leak for k in sorted(kinds) if k in registry and registry[k].leak is not None}


def layer_findings(values: dict, kinds: set[str], sources: set[str]) -> list[tuple[str, str, str | None]]:
    """(kind or source, prim, attribute) for every trace of a holdout-only event in one layer's authored values:
    a kind or source tag, an attribute of a kind's signature, or a prim named with a kind's prefix under the
    events scope."""
    signatures = leak_signatures(kinds)
    out = []
    sig_attrs = {a for sig in signatures.values() for a in sig.attrs} | {KIND_ATTR, SOURCE_ATTR}
    for key, value in _items(values, sig_attrs):
        prim, _, attr = key.partition(".")
        if attr in (KIND_ATTR, SOURCE_ATTR) and value in (kinds if attr == KIND_ATTR else sources):
            out.append((value, prim, None))
        for kind, sig in signatures.items():
            if attr and attr in sig.attrs:
                out.append((kind, prim, attr))
            elif not attr and sig.prim_prefix and isinstance(value, dict) and "def" in value:
                parent, _, name = key.rpartition("/")
                if parent.endswith(f"/{EVENTS_SCOPE}") and name.split("_")[0] == sig.prim_prefix:
                    out.append((kind, prim, None))
    return sorted(set(out), key=lambda f: (f[0], _where(f[1], f[2])))


def _items(values, attrs):
    """The (key, value) pairs a check reads: all of a read-back record; of a write.layer.Authored, its Columns'
    only where they author one of `attrs` (the rest are layout's numeric values, never an event's)."""
    return values.items(attrs) if isinstance(values, Authored) else values.items()


def _where(prim: str, attr: str | None) -> str:
    return f"{prim}.{attr}" if attr else prim


@check("holdout-only events", uses=("authored",), order=90)
def holdout_only_events(ctx: Context, c: Check) -> None:
    """Holdout-only event kinds and blocks never reach a train variant: not in a train entry's manifest events,
    and not in a train layer (by tag, by a kind's signature attribute, or by an event prim named like one)."""
    kinds, sources = holdout_only(ctx.manifest.get("config", {}).get("body", {}))
    if not kinds and not sources:
        c.skip("no holdout_only event blocks")
        return
    trains = [v for v in ctx.variants if v.get("split") == "train"]
    for v in trains:
        for e in v.get("events", []):
            if e.get("kind") in kinds or e.get("source") in sources:
                c.fail(f"{v['id']}: manifest lists a holdout-only {e.get('kind')} event at {e.get('prim')}",
                       prim=e.get("prim"))
        path = ctx.path(v["path"])
        if path.is_file():
            values = _authored(ctx, v, path)
            for what, prim, attr in layer_findings(values, kinds, sources):
                c.fail(f"contains holdout-only {what} at {_where(prim, attr)}", file=v["path"], prim=prim,
                       attribute=attr)
    c.detail = (f"{len(trains)} train layers free of {', '.join(sorted(kinds | sources))}; "
                f"{_holdout_count(ctx, kinds, sources)}")


def _authored(ctx: Context, v: dict, path) -> dict:
    """What a layer authors: rederive's reading when it made one (read back, or the re-derived record of a file
    byte-identical to the re-derived layer), else the layer read back here."""
    if ctx.authored is not None and v["id"] in ctx.authored:
        return ctx.authored[v["id"]]
    return layer_values(path)[0]


def _holdout_count(ctx: Context, kinds: set[str], sources: set[str]) -> str:
    """How many holdout-only event prims the holdout layers hold (a sealed manifest lists no holdout events)."""
    if ctx.root_of("holdout") is None:
        return "holdout sealed: not counted"
    n = 0
    for v in ctx.variants:
        path = ctx.path(v["path"], "holdout") if v.get("split") == "holdout" else None
        if path is not None and path.is_file():
            values = _authored(ctx, v, path)
            n += len({key.partition(".")[0] for key, value in _items(values, (KIND_ATTR, SOURCE_ATTR))
                      if (key.endswith(f".{KIND_ATTR}") and value in kinds)
                      or (key.endswith(f".{SOURCE_ATTR}") and value in sources)})
    return f"{n} holdout-only events in holdout"


# ---------------------------------------------------------------------------------------------- parking


def _top(values: dict, prim: str, up: int, translate: list) -> float:
    """The highest point along up of an event body at `translate`, from what its layer authors (extent, scale,
    orient under a reset xform stack: world coordinates)."""
    lo, hi = (np.asarray(values.get(f"{prim}.extent") or ((0, 0, 0), (0, 0, 0)), dtype=float))
    scale = np.asarray(values.get(f"{prim}.xformOp:scale") or (1, 1, 1), dtype=float)
    q = values.get(f"{prim}.xformOp:orient") or (1, 0, 0, 0)
    rot = quat_matrices(np.asarray(q, dtype=float))[0][:3, :3].T  # as USD reads the orient; column convention
    centre, half = (lo + hi) / 2 * scale, (hi - lo) / 2 * scale
    return float(translate[up] + (rot @ centre)[up] + np.abs(rot[up]) @ half)


def parking_findings(values: dict, events_root: str, lowest: float | None, up: int,
                     clearance: float) -> list[tuple[str, str | None, str]]:
    """(prim, attribute, message) for every break of the events' default-time convention in one layer: a
    time-sampled attribute without a default equal to its first sample (the state before the event), and an
    event body that at the default time is collidable, visible, or not parked (its top `clearance` below the
    stage's lowest point, `lowest`; None: not checked)."""
    out = []
    for key, value in _items(values, ("physics:collisionEnabled",)):
        prim, _, attr = key.partition(".")
        if attr and isinstance(value, dict) and value.get("timeSamples"):
            if "default" not in value:
                out.append((prim, attr, "is time-sampled but has no default value (engines read the default time)"))
            elif value["default"] != value["timeSamples"][0][1]:
                out.append((prim, attr, f"default {value['default']!r} is not its state before the event "
                                        f"({value['timeSamples'][0][1]!r})"))
        if attr != "physics:collisionEnabled" or not prim.startswith(events_root + "/"):
            continue
        state = {a: (v.get("default") if isinstance(v, dict) else v)
                 for a in ("physics:collisionEnabled", "visibility", "xformOp:translate")
                 for v in [values.get(f"{prim}.{a}")]}
        if state["physics:collisionEnabled"] is not False:
            out.append((prim, attr, "is collidable at the default time"))
        if state["visibility"] != "invisible":
            out.append((prim, "visibility", "is visible at the default time"))
        where = state["xformOp:translate"]
        if lowest is not None and where is not None and _top(values, prim, up, where) > lowest - clearance:
            out.append((prim, "xformOp:translate", f"is not parked at the default time: its top is not "
                                                   f"{PARK_BELOW_M:g} m below the lowest point of the stage"))
    return out


@check("events parked", needs=("plan",), uses=("authored",), order=91)
def events_parked(ctx: Context, c: Check) -> None:
    """Event bodies read at the default time (as engines that play no time samples read them) are out of the way:
    every time-sampled attribute has a default equal to its state before the event, and each event body is then
    not collidable, invisible and parked with its top PARK_BELOW_M under the lowest point of the source's bounds."""
    if not (ctx.manifest.get("config", {}).get("body", {}).get("events")):
        c.skip("no event blocks")
        return
    n = bodies = 0
    for v in ctx.variants:
        if ctx.root_of(v["split"]) is None:
            continue  # a sealed holdout without --holdout
        scene = ctx.plan.scene_of(v["split"])  # a holdout drawn on a holdout source: that stage
        up = scene.up_index
        lowest = lowest_point(scene)
        clearance = PARK_BELOW_M / scene.meters_per_unit - overlap_tolerance(scene.meters_per_unit)
        path = ctx.path(v["path"], v["split"])
        if not path.is_file():
            continue
        values = _authored(ctx, v, path)
        n += 1
        bodies += sum(1 for k, _ in _items(values, ("physics:collisionEnabled",))
                      if k.endswith(".physics:collisionEnabled"))
        for prim, attr, message in parking_findings(values, events_root(scene), lowest, up, clearance):
            c.fail(f"{prim}.{attr} {message}" if attr else f"{prim} {message}", file=v["path"], prim=prim,
                   attribute=attr)
    c.detail = f"{bodies} event bodies in {n} layers parked at the default time"
