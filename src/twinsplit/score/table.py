"""The set's side of a score: every variant's split, parameter values, event kinds and OOD regions, as arrays.

Parameter values are the plan's draws, re-derived from the manifest's seeds + config and the copied source (the
values files hold the written USD values, and a layout offset or an event's speed is no attribute there): each
in its parameter's own space, under the manifest's parameter names. Event kinds are read from the manifest's
variant entries; a region's members from the draws, by the rule the sampler used (`plan.ood`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..plan.draw import holdout_regions, variant_id


@dataclass
class VariantTable:
    ids: list[str]  # every variant the manifest lists, in its order
    split: np.ndarray  # (n,) "train" / "holdout"
    names: list[str]  # parameter names, the manifest's
    values: np.ndarray  # (n, d) draws; NaN where a split does not draw a block or its draws are sealed
    known: np.ndarray  # (n,) rows whose draws are known (a sealed holdout without its key: False)
    kinds: list[str]  # event kinds met in the set, sorted
    has_kind: np.ndarray  # (n, k) bool: the variant has at least one event of that kind
    regions: list[tuple[str, np.ndarray]]  # (name, (n,) bool: a holdout variant inside the region)
    incidents: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (id, (n,) bool: tagged with it)

    def index(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.ids)}

    def holdout_only_kinds(self) -> list[str]:
        """Kinds some holdout variant has and no train variant has."""
        train, hold = self.split == "train", self.split == "holdout"
        return [k for j, k in enumerate(self.kinds)
                if self.has_kind[hold, j].any() and not self.has_kind[train, j].any()]


def from_plan(manifest: dict, plan) -> VariantTable:
    """The table of a set from its manifest and its re-derived plan (a sealed holdout: train rows only known)."""
    variants = manifest["variants"]
    ids = [v["id"] for v in variants]
    names = [p["name"] for p in manifest["parameters"]]
    values = np.full((len(ids), len(names)), np.nan)
    known = np.zeros(len(ids), dtype=bool)
    row = {v: i for i, v in enumerate(ids)}
    for split, sp in plan.splits.items():
        rows = [row.get(variant_id(split, i), -1) for i in range(len(sp.draws))]
        keep = np.array([r >= 0 for r in rows], dtype=bool)
        at = np.array(rows, dtype=np.int64)[keep]
        values[at] = sp.draws[keep]
        known[at] = True
    kinds = sorted({e.get("kind", "?") for v in variants for e in v.get("events", [])})
    col = {k: j for j, k in enumerate(kinds)}
    has_kind = np.zeros((len(ids), len(kinds)), dtype=bool)
    for i, v in enumerate(variants):
        for e in v.get("events", []):
            has_kind[i, col[e.get("kind", "?")]] = True
    split = np.array([v["split"] for v in variants])
    regions = []
    for r in holdout_regions(plan):
        x = values[:, list(r.columns)]
        inside = np.all((x >= r.low) & (x <= r.high), axis=1) & (split == "holdout") & known
        regions.append((r.name, inside))
    tags = [v.get("incident") for v in variants]
    incidents = [(inc["id"], np.array([t == inc["id"] for t in tags], dtype=bool))
                 for inc in manifest.get("incidents") or []]
    return VariantTable(ids, split, names, values, known, kinds, has_kind, regions, incidents)
