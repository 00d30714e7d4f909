"""verify check `rederive`: the whole plan again from seeds + config + copied source."""

from __future__ import annotations

import gc
import json
from contextlib import ExitStack, closing
from dataclasses import replace

from ... import manifest as mf
from ...errors import TwinsplitError
from ...plan.draw import make_plan, variant_id
from ...scene.discover import load
from ...write.chunks import ChunkDrawer, LocalPool
from ...write.layer import stage_metadata, values_record
from ...write.layer_format import detect
from ...write.pool import Target
from ...write.readback import first_difference, layer_values
from ...write.recheck import skips_of
from ..core import Check, Context, check, same
from ..rederive_pool import Derived, derive_all


def _entropy(ctx: Context) -> dict[str, int]:
    seeds = ctx.manifest["seeds"]
    entropy = {s: int(v["entropy"]) for s, v in seeds.items() if v.get("entropy") is not None}
    if ctx.holdout_entropy is not None:
        entropy["holdout"] = ctx.holdout_entropy
    return entropy


@check("rederive", needs=("config", "generator"), uses=("holdout_entropy",), provides=("plan", "stage", "authored"),
       order=50)
def rederive(ctx: Context, c: Check) -> None:
    """Re-run the whole plan from seeds + config + the copied source and compare every file: each variant layer
    (in the manifest's `layer_format`, named for it) and values file byte-compared with the re-rendered ones (a
    file that differs is read back value by value to name the first difference); counts and source units match."""
    entropy = _entropy(ctx)
    if "train" not in entropy:
        c.fail("cannot re-derive: the train entropy is missing")
        return
    if "holdout" not in entropy and not ctx.sealed:
        c.fail("cannot re-derive: the holdout entropy is missing")
        return
    holdout_known = "holdout" in entropy and (not ctx.sealed or ctx.holdout_dir is not None)
    counts = ctx.manifest["counts"]
    for split, n in counts.items():
        if n != (listed := sum(1 for v in ctx.variants if v["split"] == split)):
            c.fail(f"counts.{split} is {n} but the manifest lists {listed} {split} variants")
    if any(n > len(ctx.variants) for n in counts.values()):
        return  # a tampered count must not make verify draw 10**30 variants
    stage, scene = load(ctx.path(ctx.manifest["source"]["root"]))
    hs = ctx.manifest.get("holdout_source")
    other = load(ctx.path(hs["root"], "holdout")) if hs is not None and holdout_known else None
    gc.freeze()  # the scene lives all run: keep the collector from rescanning its objects per variant
    ctx.stage = stage
    with ExitStack() as stack:  # verify --workers K / --executor ray: the first draws in chunks (write.chunks)
        drawer = None
        if ctx.workers > 1 or ctx.pool is not None:
            drawer = stack.enter_context(ChunkDrawer(scene, ctx.config, ctx.workers, pool=ctx.pool or LocalPool))
        plan = make_plan(scene, ctx.config, counts["train"], counts["holdout"] if holdout_known else None, entropy,
                         holdout_scene=other and other[1], drawer=drawer, skips=skips_of(ctx.variants))
    ctx.plan = plan
    for key, actual in (("up_axis", scene.up_axis), ("meters_per_unit", scene.meters_per_unit)):
        if not same(ctx.manifest["source"][key], actual):
            c.fail(f"source.{key} is {ctx.manifest['source'][key]!r}, the copied source says {actual!r}")
    if not same(mf.parameters_entry(plan), ctx.manifest["parameters"]):
        c.fail("the parameter table differs from what the config and source give")
    by_id = {v["id"]: v for v in ctx.variants}
    ctx.authored = {}
    target = Target(f"../{ctx.manifest['source']['root']}", plan.stage_metadata(stage_metadata(stage.GetRootLayer())),
                    mf.layer_format(ctx.manifest))
    targets = {"train": target, "holdout": target}
    if other is not None:  # generate --holdout-source: the holdout sublayers the copied second stage
        targets["holdout"] = Target(f"../{hs['root']}", plan.holdout_source.plan.stage_metadata(
            stage_metadata(other[0].GetRootLayer())), target.layer_format)
    # What the writer renders, its layer as usda text whatever the format: a usdc file is compared by content
    # (rederive_pool.same_layer), not re-encoded to crate bytes (2-3x the cost).
    as_text = {s: replace(t, layer_format="usda") for s, t in targets.items()}
    jobs = [(split, i, _where(ctx, entry, "path"), target.layer_format, _where(ctx, entry, "values_path"))
            for split, sp in plan.splits.items() for i in range(len(sp.draws))
            if (entry := by_id.get(variant_id(split, i))) is not None]
    # verify --workers K / --executor ray: re-derived and compared on the pool, in the variants' order
    produced = []
    with closing(derive_all(plan, jobs, as_text, ctx.workers, ctx.pool)) as derived:
        for split, sp in plan.splits.items():
            for i in range(len(sp.draws)):
                vid = variant_id(split, i)
                produced.append(vid)
                entry = by_id.get(vid)
                if entry is None:
                    c.fail(f"{vid}: the seeds give this variant but the manifest does not list it")
                    continue
                _compare_variant(ctx, c, entry, next(derived), targets[split])
                if entry.get("redraws") != (took := int(sp.redraws[i])):
                    c.fail(f"{vid}: manifest says {entry.get('redraws')} redraws, re-derivation took {took}")
    listed = {vid for vid, v in by_id.items() if v["split"] in plan.splits}
    for vid in sorted(listed - set(produced)):
        c.fail(f"{vid}: listed in the manifest but not produced by the seeds and counts")
    c.detail = f"{len(produced)} variants re-derived" + ("" if holdout_known else " (train only: holdout sealed)")


def _where(ctx: Context, entry: dict, key: str) -> str | None:
    """The file a variant's entry names under `key`, for a worker to read; None when it names none or cannot be
    resolved (the comparison resolves it again at the variant's turn and reports it there)."""
    try:
        return str(ctx.path(entry[key], entry["split"])) if entry.get(key) else None
    except Exception:  # noqa: BLE001 - e.g. a path out of the set or a sealed holdout file: reported in order
        return None


def _fail_difference(c: Check, file: str, difference: tuple[str, str]) -> None:
    """A value difference names the prim and attribute of its key (`<prim>` or `<prim>.<attr>`)."""
    key, message = difference
    prim, _, attribute = key.partition(".")
    c.fail(message, file=file, prim=prim or None, attribute=attribute or None)


def _expected(items: list) -> dict:
    """The plan's values record of a variant, as json reads it back (it names a difference)."""
    return json.loads(json.dumps(values_record(items)))


def _compare_variant(ctx: Context, c: Check, entry: dict, d: Derived, target: Target) -> None:
    layer_format = target.layer_format
    path = ctx.path(entry["path"], entry["split"])
    if path.suffix != f".{layer_format}":
        c.fail(f"named {path.suffix or 'without a suffix'}, but the manifest records layer_format {layer_format}",
               file=entry["path"])
    if d.layer is None:
        return  # no file: reported by `files`
    expected = None  # the plan's values record, built only when a file differs (it names the difference)
    if d.layer:  # the writer's own layer: it authors exactly the plan's values
        ctx.authored[entry["id"]] = d.authored
    else:
        if (found := detect(path.read_bytes())) != layer_format:
            c.fail(f"{'not a USD layer' if found is None else f'a {found} layer'}, but the manifest records "
                   f"layer_format {layer_format}: the seeds give its {layer_format} bytes", file=entry["path"])
        expected = _expected(d.items)
        try:
            actual, sublayers = layer_values(path)
        except TwinsplitError as exc:  # unreadable (e.g. text in a file named .usdc): the other variants still count
            c.fail(str(exc), file=entry["path"])
            return
        ctx.authored[entry["id"]] = actual
        if sublayers != [target.sublayer]:
            what = "source" if target.sublayer == f"../{ctx.manifest['source']['root']}" else "holdout source"
            c.fail(f"sublayers {sublayers} are not exactly the copied {what}", file=entry["path"])
        if diff := first_difference(expected, actual):
            _fail_difference(c, entry["path"], diff)
        elif found == layer_format:  # what values cannot show: formatting, metadata, 1 vs 1.0
            c.fail(f"authored values match but the file differs from the re-derived {layer_format} layer",
                   file=entry["path"])
    vpath = ctx.path(entry["values_path"], entry["split"]) if entry.get("values_path") else None
    if vpath is not None and d.values is False:
        try:
            recorded = json.loads(vpath.read_text())
        except json.JSONDecodeError:
            c.fail("not valid JSON", file=entry["values_path"])
        else:
            if expected is None:
                expected = _expected(d.items)
            if diff := first_difference(expected, recorded):
                _fail_difference(c, entry["values_path"], diff)
            else:
                c.fail("values match but the file differs from the re-derived one", file=entry["values_path"])
    sealed_holdout = ctx.sealed and entry["split"] == "holdout"
    if not sealed_holdout and not same(entry.get("events", []), d.events):
        c.fail(f"{entry['id']}: the events listed in the manifest differ from the re-derived ones")
    if not sealed_holdout and not same(entry.get("notes", {}), d.notes):
        c.fail(f"{entry['id']}: the notes in the manifest differ from the re-derived ones")
