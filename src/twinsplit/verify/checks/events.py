"""verify: holdout-only events never reach a train variant — checked in the manifest *and* in each train layer."""

from __future__ import annotations

from ...events.common import KIND_ATTR, SOURCE_ATTR
from ...write.readback import layer_values
from ..core import Check, Context, check

# Attributes that only one event kind authors: a train layer holding one of these has that kind, tagged or not.
SIGNATURE_ATTRS = {
    "alarm_reroute": ("twinsplit:alarm:active", "twinsplit:alarm:closes"),
    "zone_access_change": ("twinsplit:zone:access", "twinsplit:zone:region"),
}
# Prim names event kinds create under the events scope (`<prefix>_<k>` or `<prefix>_<block>_<k>`).
PRIM_PREFIX = {"person_enters_corridor": "Person", "patient_obstructs_path": "Patient",
               "alarm_reroute": "Alarm", "zone_access_change": "Zone"}


def holdout_only(body: dict) -> tuple[set[str], set[str]]:
    """(kinds whose every block is holdout_only, sources `events.<kind>[i]` of holdout-only blocks)."""
    kinds, sources = set(), set()
    for kind, blocks in (body.get("events") or {}).items():
        blocks = [blocks] if isinstance(blocks, dict) else list(blocks or [])
        flags = [bool(b.get("holdout_only")) for b in blocks]
        sources |= {f"events.{kind}[{i}]" for i, f in enumerate(flags) if f}
        if flags and all(flags):
            kinds.add(kind)
    return kinds, sources


def _layer_findings(values: dict, kinds: set[str], sources: set[str]) -> list[tuple[str, str]]:
    """(kind or source, where) for every trace of a holdout-only event in one layer's authored values."""
    out = []
    for key, value in values.items():
        prim, _, attr = key.partition(".")
        if attr == KIND_ATTR and value in kinds:
            out.append((value, prim))
        elif attr == SOURCE_ATTR and value in sources:
            out.append((value, prim))
        for kind in kinds:
            if attr in SIGNATURE_ATTRS.get(kind, ()):
                out.append((kind, key))
            elif not attr and isinstance(value, dict) and "def" in value:
                parent, _, name = key.rpartition("/")
                if parent.endswith("/TwinsplitEvents") and name.split("_")[0] == PRIM_PREFIX.get(kind):
                    out.append((kind, key))
    return sorted(set(out))


@check
def holdout_only_events(ctx: Context) -> Check:
    c = Check("holdout-only events")
    kinds, sources = holdout_only(ctx.manifest.get("config", {}).get("body", {}))
    if not kinds and not sources:
        c.skipped = True
        c.detail = "no holdout_only event blocks"
        return c
    trains = [v for v in ctx.variants if v.get("split") == "train"]
    for v in trains:
        for e in v.get("events", []):
            if e.get("kind") in kinds or e.get("source") in sources:
                c.problems.append(f"{v['id']}: manifest lists a holdout-only {e.get('kind')} event at {e.get('prim')}")
        path = ctx.path(v["path"])
        if path.is_file():
            values, _ = layer_values(path)
            for what, where in _layer_findings(values, kinds, sources):
                c.problems.append(f"{v['path']}: contains holdout-only {what} at {where}")
    c.detail = (f"{len(trains)} train layers free of {', '.join(sorted(kinds | sources))}; "
                f"{_holdout_count(ctx, kinds, sources)}")
    return c


def _holdout_count(ctx: Context, kinds: set[str], sources: set[str]) -> str:
    """How many holdout-only event prims the holdout layers hold (a sealed manifest lists no holdout events)."""
    if ctx.root_of("holdout") is None:
        return "holdout sealed: not counted"
    n = 0
    for v in ctx.variants:
        path = ctx.path(v["path"], "holdout") if v.get("split") == "holdout" else None
        if path is not None and path.is_file():
            values, _ = layer_values(path)
            n += len({key.partition(".")[0] for key, value in values.items()
                      if (key.endswith(f".{KIND_ATTR}") and value in kinds)
                      or (key.endswith(f".{SOURCE_ATTR}") and value in sources)})
    return f"{n} holdout-only events in holdout"
