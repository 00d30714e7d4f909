"""verify check `rederive`: the whole plan again from seeds + config + copied source."""

from __future__ import annotations

import json

from ... import manifest as mf
from ...plan.draw import Plan, make_plan
from ...scene.discover import load
from ...write.layer import stage_metadata, values_record
from ...write.pool import render_one
from ...write.readback import first_difference, layer_values
from ..core import (
    Check,
    Context,
    check,
    same,
)


def _entropy(ctx: Context) -> dict[str, int]:
    seeds = ctx.manifest["seeds"]
    entropy = {s: int(v["entropy"]) for s, v in seeds.items() if v.get("entropy") is not None}
    if "holdout_entropy" in ctx.options:
        entropy["holdout"] = ctx.options["holdout_entropy"]
    return entropy


@check
def rederive(ctx: Context) -> Check:
    """Re-run the whole plan from seeds + config + the copied source and compare every file."""
    c = Check("rederive")
    config = ctx.options.get("config")
    entropy = _entropy(ctx)
    if config is None or "train" not in entropy:
        c.problems.append("cannot re-derive: config invalid or the train entropy is missing")
        return c
    if "holdout" not in entropy and not ctx.sealed:
        c.problems.append("cannot re-derive: the holdout entropy is missing")
        return c
    holdout_known = "holdout" in entropy and (not ctx.sealed or ctx.holdout_dir is not None)
    counts = ctx.manifest["counts"]
    for split, n in counts.items():
        if n != (listed := sum(1 for v in ctx.variants if v["split"] == split)):
            c.problems.append(f"counts.{split} is {n} but the manifest lists {listed} {split} variants")
    if any(n > len(ctx.variants) for n in counts.values()):
        return c  # a tampered count must not make verify draw 10**30 variants
    stage, scene = load(ctx.path(ctx.manifest["source"]["root"]))
    ctx.stage = stage
    plan = make_plan(scene, config, counts["train"], counts["holdout"] if holdout_known else None, entropy)
    ctx.plan = plan
    for key, actual in (("up_axis", scene.up_axis), ("meters_per_unit", scene.meters_per_unit)):
        if not same(ctx.manifest["source"][key], actual):
            c.problems.append(f"source.{key} is {ctx.manifest['source'][key]!r}, the copied source says {actual!r}")
    if not same(mf.parameters_entry(plan), ctx.manifest["parameters"]):
        c.problems.append("the parameter table differs from what the config and source give")
    by_id = {v["id"]: v for v in ctx.variants}
    metadata = plan.stage_metadata(stage_metadata(stage.GetRootLayer()))
    sublayer = f"../{ctx.manifest['source']['root']}"
    produced = []
    for split, sp in plan.splits.items():
        for i in range(len(sp.draws)):
            r = render_one(plan, split, i, sublayer, metadata)
            vid = f"{split}-{i:05d}"
            produced.append(vid)
            entry = by_id.get(vid)
            if entry is None:
                c.problems.append(f"{vid}: the seeds give this variant but the manifest does not list it")
                continue
            c.problems += _compare_variant(ctx, plan, entry, r)
            if entry.get("redraws") != int(sp.redraws[i]):
                c.problems.append(f"{vid}: manifest says {entry.get('redraws')} redraws, re-derivation took "
                                  f"{int(sp.redraws[i])}")
    listed = {vid for vid, v in by_id.items() if v["split"] in plan.splits}
    for vid in sorted(listed - set(produced)):
        c.problems.append(f"{vid}: listed in the manifest but not produced by the seeds and counts")
    c.detail = f"{len(produced)} variants re-derived" + ("" if holdout_known else " (train only: holdout sealed)")
    return c


def _compare_variant(ctx: Context, plan: Plan, entry: dict, r) -> list[str]:
    problems = []
    path = ctx.path(entry["path"], entry["split"])
    if not path.is_file():
        return problems  # reported by `files`
    expected = json.loads(json.dumps(values_record(plan.edits(r.split, r.index))))
    actual, sublayers = layer_values(path)
    if sublayers != [f"../{ctx.manifest['source']['root']}"]:
        problems.append(f"{entry['path']}: sublayers {sublayers} are not exactly the copied source")
    if diff := first_difference(expected, actual):
        problems.append(f"{entry['path']}: {diff}")
    elif path.read_bytes() != r.usda:  # what values cannot show: formatting, metadata, 1 vs 1.0
        problems.append(f"{entry['path']}: authored values match but the file differs from the re-derived layer")
    vpath = ctx.path(entry["values_path"], entry["split"]) if entry.get("values_path") else None
    if vpath is not None and vpath.is_file():
        try:
            recorded = json.loads(vpath.read_text())
        except json.JSONDecodeError:
            problems.append(f"{entry['values_path']}: not valid JSON")
        else:
            if diff := first_difference(expected, recorded):
                problems.append(f"{entry['values_path']}: {diff}")
            elif vpath.read_bytes() != r.values:
                problems.append(f"{entry['values_path']}: values match but the file differs from the re-derived one")
    sealed_holdout = ctx.sealed and entry["split"] == "holdout"
    if not sealed_holdout and not same(entry.get("events", []), r.events):
        problems.append(f"{entry['id']}: the events listed in the manifest differ from the re-derived ones")
    return problems
