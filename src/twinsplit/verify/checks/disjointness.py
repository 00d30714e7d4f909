"""verify checks `disjointness` and `distance`, recomputed from the re-derived plan."""

from __future__ import annotations

import json

from ...plan.disjoint import disjointness_entry
from ..core import Check, Context, check, same


@check("disjointness", needs=("plan",), order=60)
def disjointness(ctx: Context, c: Check) -> None:
    """Recomputed from the re-derived plan: no holdout vector within min_margin of a train vector, OOD regions
    hold, and every recorded disjointness figure equals the recomputed one."""
    if "holdout" not in ctx.plan.splits:
        c.skip("needs the holdout (sealed: pass --holdout DIR --reveal KEY)")
        return
    recomputed = disjointness_entry(ctx.plan)
    claimed = ctx.manifest["disjointness"]
    nearest, margin = recomputed["min_distance"], recomputed["min_margin"]
    if nearest is not None and nearest < margin:
        c.fail(f"a holdout vector lies {nearest} from a train vector, closer than min_margin {margin}")
    if o := recomputed.get("ood"):
        if o["train_inside"]:
            c.fail(f"{o['train_inside']} train variant(s) inside holdout-only regions {o['regions']}")
        if o["holdout_outside"]:
            c.fail(f"{o['holdout_outside']} holdout variant(s) outside every holdout-only region")
    for key in sorted(set(recomputed) | set(claimed)):
        if not same(recomputed.get(key), claimed.get(key)):
            c.fail(f"disjointness.{key}: manifest says {claimed.get(key)}, recomputed {recomputed.get(key)}")
    c.detail = f"min {recomputed['metric']} distance {recomputed['min_distance']} >= margin {recomputed['min_margin']}"
    if "ood" in recomputed:
        o = recomputed["ood"]
        c.detail += f"; ood: {o['train_inside']} train inside, {o['holdout_outside']} holdout outside {o['regions']}"


@check("distance", needs=("plan",), order=70)
def distance(ctx: Context, c: Check) -> None:
    """The train/holdout distance figures (energy distance, MMD, nearest-train, per-parameter statistics)
    recomputed from the re-derived plan and compared with the manifest's."""
    if "holdout" not in ctx.plan.splits:
        c.skip()
        return
    from ...plan.stats import distance_report  # here: plan.stats pulls in scipy.stats (~0.4-1 s a process)

    recomputed = distance_report(ctx.plan.normalized("train"), ctx.plan.normalized("holdout"), ctx.plan.shared_names())
    recomputed = json.loads(json.dumps(recomputed))
    if ctx.sealed:  # a sealed manifest carries no holdout statistics; show them now that the key is revealed
        c.detail = f"energy distance {recomputed['energy_distance']} (sealed manifest: computed on reveal)"
    elif not same(recomputed, ctx.manifest["distance"]):
        c.fail("the train/holdout distance figures differ from the recomputed ones")
    else:
        c.detail = f"energy distance {recomputed['energy_distance']}"
