"""Out-of-distribution splits: holdout-only regions of parameter space.

A region is a box: one interval per matched parameter. A row is inside when every matched parameter lies in
its interval. In `splits.mode: ood`, train rows inside any region are redrawn from the train stream, and holdout
rows must lie inside at least one region (redrawn from the holdout stream until they do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..blocks.data import ParamSpec
from ..config import HoldoutRegion
from ..errors import TwinsplitError
from ..scene.selectors import path_matches


@dataclass(frozen=True)
class BoundRegion:
    name: str
    columns: tuple[int, ...]
    low: np.ndarray
    high: np.ndarray

    def contains(self, raw_row: np.ndarray) -> bool:
        x = raw_row[list(self.columns)]
        return bool(np.all((x >= self.low) & (x <= self.high)))


def _matches(pattern: str, p: ParamSpec) -> bool:
    if "/" not in pattern and "." not in pattern:
        return p.key == pattern
    return path_matches(p.name, [pattern])


def bind_regions(regions: list[HoldoutRegion], params: list[ParamSpec]) -> list[BoundRegion]:
    out = []
    for region in regions:
        cols, lo, hi = [], [], []
        for pattern, interval in region.params.items():
            hits = [i for i, p in enumerate(params) if _matches(pattern, p)]
            if not hits:
                raise TwinsplitError(f"splits.holdout_regions[{region.name!r}]: {pattern!r} matches no parameter")
            cols += hits
            lo += [interval.low] * len(hits)
            hi += [interval.high] * len(hits)
        out.append(BoundRegion(region.name, tuple(cols), np.array(lo), np.array(hi)))
    return out


def train_rejector(regions: list[BoundRegion]):
    def reject(_normalized: np.ndarray, raw: np.ndarray) -> str | None:
        for r in regions:
            if r.contains(raw):
                return f"train draw inside holdout-only region {r.name!r}"
        return None

    return reject


def holdout_rejector(regions: list[BoundRegion]):
    def reject(_normalized: np.ndarray, raw: np.ndarray) -> str | None:
        if any(r.contains(raw) for r in regions):
            return None
        return "holdout draw outside every holdout-only region (do the holdout ranges reach the regions?)"

    return reject


def combine(*rejectors):
    """The first reason any rejector gives, or None."""
    active = [r for r in rejectors if r is not None]
    if not active:
        return None

    def reject(normalized: np.ndarray, raw: np.ndarray) -> str | None:
        for r in active:
            if (reason := r(normalized, raw)) is not None:
                return reason
        return None

    return reject


def membership(regions: list[BoundRegion], draws: np.ndarray) -> list[list[str]]:
    """For each row, the names of the regions it lies in."""
    return [[r.name for r in regions if r.contains(row)] for row in draws]
