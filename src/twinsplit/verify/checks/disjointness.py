"""verify checks `disjointness` and `distance`, recomputed from the re-derived plan."""

from __future__ import annotations

import json

from ...plan.disjoint import disjointness_entry
from ...plan.stats import distance_report
from ..core import (
    Check,
    Context,
    check,
    same,
)


@check
def disjointness(ctx: Context) -> Check:
    c = Check("disjointness")
    if ctx.plan is None or "holdout" not in ctx.plan.splits:
        c.skipped, c.detail = True, "needs the holdout (sealed: pass --holdout DIR --reveal KEY)"
        return c
    recomputed = disjointness_entry(ctx.plan)
    claimed = ctx.manifest["disjointness"]
    nearest, margin = recomputed["min_distance"], recomputed["min_margin"]
    if nearest is not None and nearest < margin:
        c.problems.append(f"a holdout vector lies {nearest} from a train vector, closer than min_margin {margin}")
    if o := recomputed.get("ood"):
        if o["train_inside"]:
            c.problems.append(f"{o['train_inside']} train variant(s) inside holdout-only regions {o['regions']}")
        if o["holdout_outside"]:
            c.problems.append(f"{o['holdout_outside']} holdout variant(s) outside every holdout-only region")
    for key in sorted(set(recomputed) | set(claimed)):
        if not same(recomputed.get(key), claimed.get(key)):
            c.problems.append(f"disjointness.{key}: manifest says {claimed.get(key)}, recomputed {recomputed.get(key)}")
    c.detail = f"min {recomputed['metric']} distance {recomputed['min_distance']} >= margin {recomputed['min_margin']}"
    if "ood" in recomputed:
        o = recomputed["ood"]
        c.detail += f"; ood: {o['train_inside']} train inside, {o['holdout_outside']} holdout outside {o['regions']}"
    return c


@check
def distance(ctx: Context) -> Check:
    c = Check("distance")
    if ctx.plan is None or "holdout" not in ctx.plan.splits:
        c.skipped = True
        return c
    recomputed = distance_report(ctx.plan.normalized("train"), ctx.plan.normalized("holdout"), ctx.plan.shared_names())
    recomputed = json.loads(json.dumps(recomputed))
    if ctx.sealed:  # a sealed manifest carries no holdout statistics; show them now that the key is revealed
        c.detail = f"energy distance {recomputed['energy_distance']} (sealed manifest: computed on reveal)"
    elif not same(recomputed, ctx.manifest["distance"]):
        c.problems.append("the train/holdout distance figures differ from the recomputed ones")
    else:
        c.detail = f"energy distance {recomputed['energy_distance']}"
    return c
