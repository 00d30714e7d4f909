"""verify: holdout-only events never reach a train variant — checked in the manifest *and* in each train layer.

What marks a kind in a layer (tags or not) is the kind's own `BlockKind.leak` signature in the events registry,
so a new event kind is checked here without editing this module.
"""

from __future__ import annotations

from ...blocks.registry import EVENTS, LeakSignature
from ...events.common import EVENTS_SCOPE, KIND_ATTR, SOURCE_ATTR
from ...write.readback import layer_values
from ..core import Check, Context, check


def _event_kinds():
    """The events registry with its kinds loaded (the one call to change if the loader is renamed)."""
    return EVENTS.load()


def leak_signatures(kinds: set[str]) -> dict[str, LeakSignature]:
    """{kind: its leak signature} for the registered kinds among `kinds` that declare one."""
    registry = _event_kinds()
    return {k: registry[k].leak for k in sorted(kinds) if k in registry and registry[k].leak is not None}


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


def layer_findings(values: dict, kinds: set[str], sources: set[str]) -> list[tuple[str, str, str | None]]:
    """(kind or source, prim, attribute) for every trace of a holdout-only event in one layer's authored values:
    a kind or source tag, an attribute of a kind's signature, or a prim named with a kind's prefix under the
    events scope."""
    signatures = leak_signatures(kinds)
    out = []
    for key, value in values.items():
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
            n += len({key.partition(".")[0] for key, value in values.items()
                      if (key.endswith(f".{KIND_ATTR}") and value in kinds)
                      or (key.endswith(f".{SOURCE_ATTR}") and value in sources)})
    return f"{n} holdout-only events in holdout"
