"""Stakes profiles (`splits.stakes`): the minimum independence a set must show, checked by generate (before
drawing) and by verify (from the set). The table and the reasons for each row are in docs/proof.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..blocks.registry import EVENTS

PROFILES = ("low", "medium", "high")
# The margin floor of each profile (normalized units: a fraction of each parameter's declared range).
MIN_MARGIN = {"low": 0.02, "medium": 0.02, "high": 0.05}
# verify's ceiling on the holdout source's prims identical to the source's, unless splits.max_shared_fraction
# says otherwise (docs/proof.md#a-holdout-from-a-second-stage); `high` may not raise it.
DEFAULT_MAX_SHARED_FRACTION = 0.9


@dataclass(frozen=True)
class Evidence:
    """What a set (or a generate invocation about to make one) shows of its independence."""

    min_margin: float
    ood_regions: bool            # splits.mode ood with holdout_regions
    holdout_only: tuple[str, ...]  # event kinds whose every block is holdout_only and that have a leak signature
    unsigned_kinds: tuple[str, ...]  # holdout-only kinds without one: verify cannot search train layers for them
    signed: bool                 # attestation.json (generate --sign)
    sealed: bool                 # generate --seal
    holdout_source: bool         # generate --holdout-source
    max_shared_fraction: float


def max_shared_fraction(splits: Any) -> float:
    """The configured ceiling (`splits` a config's Splits model or its JSON body), else the default."""
    value = splits.get("max_shared_fraction") if isinstance(splits, dict) else splits.max_shared_fraction
    return DEFAULT_MAX_SHARED_FRACTION if value is None else float(value)


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


def evidence(body: dict[str, Any], *, signed: bool, sealed: bool, holdout_source: bool) -> Evidence:
    """The evidence of a config body (the manifest's, or a config's `config_body`) and how the set is made."""
    splits = body.get("splits") or {}
    kinds = sorted(holdout_only(body)[0])
    registry = EVENTS.load()
    leaks = [k for k in kinds if k in registry and registry[k].leak is not None]
    return Evidence(min_margin=float(splits.get("min_margin", 0.02)),
                    ood_regions=splits.get("mode") == "ood" and bool(splits.get("holdout_regions")),
                    holdout_only=tuple(leaks), unsigned_kinds=tuple(k for k in kinds if k not in leaks),
                    signed=signed, sealed=sealed,
                    holdout_source=holdout_source, max_shared_fraction=max_shared_fraction(splits))


def missing(stakes: str, ev: Evidence) -> list[str]:
    """What `ev` lacks for profile `stakes`, one phrase each naming how to supply it; [] when the profile is met."""
    level = PROFILES.index(stakes)
    out = []
    if ev.min_margin < MIN_MARGIN[stakes]:
        out.append(f"splits.min_margin {ev.min_margin} is below {MIN_MARGIN[stakes]}")
    if level >= 1:
        if not (ev.ood_regions or ev.holdout_only):
            why = (f" (holdout-only {', '.join(ev.unsigned_kinds)} has no leak signature: verify cannot search "
                   "train layers for it)" if ev.unsigned_kinds else "")
            out.append("nothing is held out beyond the margin: add splits.mode ood with holdout_regions, or an "
                       f"event kind whose every block is holdout_only{why}")
        if not ev.signed:
            out.append("the set is not signed: pass --sign KEY")
    if level >= 2:
        if not ev.holdout_source:
            out.append("the holdout is drawn on the training stage: pass --holdout-source OTHER (a second stage "
                       "of the site)")
        if not ev.sealed:
            out.append("the holdout is not sealed: pass --seal KEY --holdout-out DIR")
        if ev.max_shared_fraction > DEFAULT_MAX_SHARED_FRACTION:
            out.append(f"splits.max_shared_fraction {ev.max_shared_fraction} is above "
                       f"{DEFAULT_MAX_SHARED_FRACTION}")
    return out


def met(stakes: str, ev: Evidence) -> str:
    """One line saying what the profile rests on, for verify's detail."""
    parts = [f"independent seeds, margin {ev.min_margin}"]
    if PROFILES.index(stakes) >= 1:
        held = (["ood regions"] if ev.ood_regions else []) + [f"event kind {k}" for k in ev.holdout_only]
        parts += [f"held out: {', '.join(held)}", "signed"]
    if PROFILES.index(stakes) >= 2:
        parts += ["independent holdout source", "sealed"]
    return f"profile {stakes} met: {'; '.join(parts)}"
