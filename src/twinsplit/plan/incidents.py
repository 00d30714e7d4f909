"""`incidents:` field incidents the holdout is anchored to.

An incident names an event kind configured under `events:` and that event's parameters as observed (by manifest
name, config key, or the name a variant's event record uses, e.g. `speed_mps` for `speed`; a key names every
instance of the kind). Its neighbourhood is the box observed +- spread x
the parameter's configured range (the envelope of both splits, clipped to it). The holdout gains
`holdout_variants` variants per incident, after the regular ones (indices in config order): each is drawn as
usual from the holdout stream and then its incident columns are redrawn uniformly inside the neighbourhood from
`SeedSequence(holdout_entropy, spawn_key=(index, crc32("incident:" + id)))`; the holdout's rejection (margin,
ood regions) applies as to every holdout variant. Train rows inside any incident's neighbourhood are redrawn,
like rows inside a holdout-only region (plan/ood.py).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..blocks.data import ParamSpec
from ..errors import InputError, TwinsplitError
from ..scene.info import SceneInfo
from . import ood
from .bind import Block
from .keep import draw_variant

if TYPE_CHECKING:
    from ..config import Config, Incident


@dataclass(frozen=True)
class BoundIncident:
    id: str
    region: ood.BoundRegion  # the neighbourhood, as a box over the plan's columns
    start: int  # first holdout index of its variants
    count: int

    @property
    def indices(self) -> range:
        return range(self.start, self.start + self.count)

    @property
    def stream_key(self) -> int:
        return zlib.crc32(f"incident:{self.id}".encode())


# the unit suffixes of a variant's event record (`speed_mps`, `pause_s`, `duration_s`) over the config keys
RECORD_SUFFIXES = ("_mps", "_s")


def _columns(inc: Incident, key: str, params: list[ParamSpec]) -> list[int]:
    """The columns `key` names among the event's parameters: a config key, a manifest parameter name, or the name
    a variant's event record gives it (a config key plus its unit)."""
    prefix = f"events.{inc.event}["
    for k in [key] + [key.removesuffix(s) for s in RECORD_SUFFIXES if key.endswith(s)]:
        if hits := [j for j, p in enumerate(params) if p.source.startswith(prefix) and k in (p.key, p.name)]:
            return hits
    return []


def total(config: Config) -> int:
    return sum(inc.holdout_variants for inc in config.incidents or [])


def bind_incidents(config: Config, params: list[ParamSpec], n_regular: int) -> list[BoundIncident]:
    """The incidents over the plan's columns; a duplicate id, an event kind not configured, a parameter not of the
    event, a choice, or an observed value outside the parameter's range is an InputError (exit 2) naming the
    incident."""
    out, start, seen = [], n_regular, set()
    for inc in config.incidents or []:
        if inc.id in seen:
            raise InputError(f"incident {inc.id}: the id is listed twice under incidents:")
        seen.add(inc.id)
        if not getattr(config.events, inc.event, None):
            raise InputError(f"incident {inc.id}: event {inc.event!r} is not a kind configured under events:")
        cols, lo, hi = [], [], []
        for key, value in inc.observed.items():
            hits = _columns(inc, key, params)
            if not hits:
                names = sorted({p.key for p in params if p.source.startswith(f"events.{inc.event}[")})
                raise InputError(f"incident {inc.id}: {key!r} is not a parameter of event {inc.event} "
                                 f"(its parameters: {', '.join(names)})")
            for j in hits:
                p = params[j]
                if p.dist.distribution == "choice":
                    raise InputError(f"incident {inc.id}: {key} is a choice, not a numeric parameter")
                a, b = p.normalize_range
                if not a <= value <= b:
                    raise InputError(f"incident {inc.id}: observed {key} = {value:g} lies outside the parameter's "
                                     f"range [{a:g}, {b:g}]")
                half = inc.spread * (b - a)
                cols.append(j)
                lo.append(max(a, value - half))
                hi.append(min(b, value + half))
        region = ood.BoundRegion(f"incident {inc.id}", tuple(cols), np.array(lo), np.array(hi))
        out.append(BoundIncident(inc.id, region, start, inc.holdout_variants))
        start += inc.holdout_variants
    return out


def regions(bound: list[BoundIncident]) -> list[ood.BoundRegion]:
    return [b.region for b in bound]


def sample(scene: SceneInfo, config: Config, blocks: list[Block], entropy: int, bound: list[BoundIncident],
           normalize, reject, stream) -> tuple[np.ndarray, np.ndarray]:
    """The incident variants' rows and redraw counts, in holdout index order after the regular variants.
    `normalize(row) -> shared normalized row` for `reject(shared normalized, raw) -> reason|None`; `stream(entropy,
    index, block)`: a variant's block stream (plan.draw.stream)."""
    rows, redraws = [], []
    for inc in bound:
        cols = list(inc.region.columns)
        for i in inc.indices:
            gens = [stream(entropy, i, b) for b in blocks]
            near = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(i, inc.stream_key))))
            for attempt in range(config.splits.max_redraws + 1):  # noqa: B007 (read after the loop)
                row = draw_variant(scene, blocks, "holdout", gens)
                row[cols] = inc.region.low + near.random(len(cols)) * (inc.region.high - inc.region.low)
                reason = reject(normalize(row), row) if reject is not None else None
                if reason is None:
                    break
            else:
                raise TwinsplitError(f"holdout-{i:05d} (incident {inc.id}): no acceptable draw after "
                                     f"{config.splits.max_redraws} redraws ({reason}); lower splits.min_margin or "
                                     "widen the incident's spread")
            rows.append(row)
            redraws.append(attempt)
    d = sum(len(b.params) for b in blocks)
    return np.asarray(rows, dtype=np.float64).reshape(-1, d), np.asarray(redraws, dtype=np.int64)


def tags(bound: list[BoundIncident]) -> dict[int, str]:
    """holdout index -> incident id."""
    return {i: b.id for b in bound for i in b.indices}


def manifest_entry(bound: list[BoundIncident], params: list[ParamSpec], config: Config) -> list[dict[str, Any]]:
    """Per incident: its config block, the neighbourhood per parameter name and its variant ids."""
    by_id = {inc.id: inc for inc in config.incidents or []}
    out = []
    for b in bound:
        inc = by_id[b.id]
        out.append({
            "id": b.id, "event": inc.event, "observed": dict(inc.observed), "spread": inc.spread,
            "neighbourhood": {params[j].name: [float(lo), float(hi)]
                              for j, lo, hi in zip(b.region.columns, b.region.low, b.region.high, strict=True)},
            "variants": [f"holdout-{i:05d}" for i in b.indices],
        })
    return out


def lineage_entry(config: Config, bound: list[BoundIncident]) -> list[dict[str, Any]]:
    """What the lineage records of each incident: where the edge case comes from, and which variants anchor it."""
    ids = {b.id: [f"holdout-{i:05d}" for i in b.indices] for b in bound}
    return [{"id": inc.id, "description": inc.description, "source": inc.source, "event": inc.event,
             "observed": dict(inc.observed), "variants": ids[inc.id]} for inc in config.incidents or []]
