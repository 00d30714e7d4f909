"""Disjointness: the margin between splits (KD-tree) and the evidence the manifest records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import ood

if TYPE_CHECKING:
    from .draw import Plan


def margin_rejector(train_normalized: np.ndarray, margin: float, metric: str):
    """Reject holdout rows closer than `margin` to any train row (KD-tree, O(log n) per query)."""
    if margin <= 0 or len(train_normalized) == 0 or train_normalized.shape[1] == 0:
        return None
    from scipy.spatial import cKDTree  # here: scipy.spatial costs ~0.3 s to import; only a min_margin needs it

    tree = cKDTree(train_normalized)
    p = np.inf if metric == "linf" else 2

    def reject(row: np.ndarray, raw: np.ndarray | None = None) -> str | None:
        d, _ = tree.query(row, k=1, p=p)
        return f"nearest train vector at {metric} distance {d:.4g} < min_margin {margin}" if d < margin else None

    return reject


def disjointness_entry(plan: Plan, sealed: bool = False, normalized: dict[str, np.ndarray] | None = None
                       ) -> dict[str, Any]:
    """`normalized`: the splits' `plan.normalized` rows when the caller has them already."""
    from scipy.spatial import cKDTree  # here, not at module level: scipy.spatial costs ~0.3 s to import

    cfg = plan.config.splits
    rows = normalized or {s: plan.normalized(s) for s in plan.splits}
    train = rows["train"]
    holdout = rows["holdout"] if "holdout" in plan.splits else train[:0]
    nearest = None
    if len(train) and len(holdout) and train.shape[1]:
        d, _ = cKDTree(train).query(holdout, k=1, p=np.inf if cfg.metric == "linf" else 2)
        nearest = float(np.min(d))
    entry = {
        "metric": cfg.metric,
        "min_margin": cfg.min_margin,
        "min_distance": None if nearest is None else round(nearest, 9),
        "holds": nearest is None or nearest >= cfg.min_margin,
        "redraws": {s: int(plan.splits[s].redraws.sum()) for s in plan.splits},
        "holdout_only_blocks": [b.source for b in plan.blocks if b.splits == ("holdout",)],
    }
    if cfg.mode == "ood":
        from .ood import membership

        regions = ood.bind_regions(cfg.holdout_regions, plan.params)
        inside = {s: membership(regions, plan.splits[s].draws) for s in plan.splits}
        entry["ood"] = {
            "regions": [r.name for r in regions],
            "train_inside": sum(1 for m in inside["train"] if m),
            # Without regions, the holdout is held out by its holdout-only blocks alone: none is "outside".
            "holdout_outside": sum(1 for m in inside.get("holdout", []) if not m) if regions else 0,
        }
        entry["holds"] = entry["holds"] and entry["ood"]["train_inside"] == 0 and entry["ood"]["holdout_outside"] == 0
    return entry
