"""`twinsplit verify`: re-derive and re-check a generated set. Never trusts what the manifest claims."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import manifest as mf
from .config import config_body, config_sha256, parse_config
from .errors import TwinsplitError
from .hashing import sha256_file
from .outdir import safe_join
from .plan import Plan, make_plan, normalize
from .readback import first_difference, layer_values
from .render import render_one
from .scene import load
from .stats import distance_report
from .usdtext import stage_metadata, values_record

# Files a set may carry besides the ones the manifest lists (each checked by its own check).
EXTRA_FILES = {mf.MANIFEST, "attestation.json"}


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    detail: str = ""
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Context:
    out: Path
    manifest: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = None
    stage: Any = None

    def path(self, rel: str) -> Path:
        return safe_join(self.out, rel)

    @property
    def variants(self) -> list[dict[str, Any]]:
        return self.manifest["variants"]

    def listed_files(self) -> dict[str, str]:
        files = {f["path"]: f["sha256"] for f in self.manifest["source"]["files"]}
        for v in self.variants:
            files[v["path"]] = v["sha256"]
            if v.get("values_path"):
                files[v["values_path"]] = v["values_sha256"]
        return files


CheckFn = Callable[[Context], Check]
CHECKS: list[CheckFn] = []


def check(fn: CheckFn) -> CheckFn:
    CHECKS.append(fn)
    return fn


@check
def files_present(ctx: Context) -> Check:
    c = Check("files")
    listed = ctx.listed_files()
    for rel in listed:
        ctx.path(rel)  # raises on a path escaping OUT
    on_disk = {p.relative_to(ctx.out).as_posix() for p in ctx.out.rglob("*") if p.is_file()}
    for rel in sorted(set(listed) - on_disk):
        c.problems.append(f"{rel}: listed in the manifest but missing")
    for rel in sorted(on_disk - set(listed) - EXTRA_FILES):
        c.problems.append(f"{rel}: present but not listed in the manifest")
    c.detail = f"{len(listed)} files listed"
    return c


@check
def hashes(ctx: Context) -> Check:
    c = Check("hashes")
    for rel, expected in ctx.listed_files().items():
        p = ctx.path(rel)
        if p.is_file() and (actual := sha256_file(p)) != expected:
            c.problems.append(f"{rel}: sha256 {actual[:12]}… on disk, manifest says {expected[:12]}…")
    digests = [v["sha256"] for v in ctx.variants]
    if len(set(digests)) != len(digests):
        c.problems.append("two variants have the same sha256 in the manifest")
    return c


@check
def config_matches(ctx: Context) -> Check:
    c = Check("config")
    body = ctx.manifest["config"]["body"]
    try:
        config = parse_config(body, "in manifest")
    except TwinsplitError as exc:
        c.problems.append(str(exc))
        return c
    if config_body(config) != body:
        c.problems.append("config body is not in canonical form (edited by hand?)")
    if (sha := config_sha256(config)) != ctx.manifest["config"]["sha256"]:
        c.problems.append(f"config sha256 is {sha[:12]}…, manifest says {ctx.manifest['config']['sha256'][:12]}…")
    ctx.options["config"] = config
    return c


@check
def rederive(ctx: Context) -> Check:
    """Re-run the whole plan from seeds + config + the copied source and compare every file."""
    c = Check("rederive")
    config = ctx.options.get("config")
    seeds = ctx.manifest["seeds"]
    entropy = {s: int(seeds[s]["entropy"]) for s in seeds if seeds[s].get("entropy") is not None}
    if config is None or set(entropy) != {"train", "holdout"}:
        c.problems.append("cannot re-derive: config invalid or a split's entropy is missing")
        return c
    counts = ctx.manifest["counts"]
    stage, scene = load(ctx.path(ctx.manifest["source"]["root"]))
    ctx.stage = stage
    plan = make_plan(scene, config, counts["train"], counts["holdout"], entropy)
    ctx.plan = plan
    if mf.parameters_entry(plan) != ctx.manifest["parameters"]:
        c.problems.append("the parameter table differs from what the config and source give")
    by_id = {v["id"]: v for v in ctx.variants}
    metadata = plan.stage_metadata(stage_metadata(stage.GetRootLayer()))
    sublayer = f"../{ctx.manifest['source']['root']}"
    expected_ids = []
    for split, sp in plan.splits.items():
        for i in range(len(sp.draws)):
            r = render_one(plan, split, i, sublayer, metadata)
            vid = f"{split}-{i:05d}"
            expected_ids.append(vid)
            entry = by_id.get(vid)
            if entry is None:
                c.problems.append(f"{vid}: the seeds give this variant but the manifest does not list it")
                continue
            c.problems += _compare_variant(ctx, plan, entry, r)
            if entry.get("redraws") != int(sp.redraws[i]):
                c.problems.append(f"{vid}: manifest says {entry.get('redraws')} redraws, re-derivation took {int(sp.redraws[i])}")
    for vid in sorted(set(by_id) - set(expected_ids)):
        c.problems.append(f"{vid}: listed in the manifest but not produced by the seeds and counts")
    c.detail = f"{len(expected_ids)} variants re-derived"
    return c


def _compare_variant(ctx: Context, plan: Plan, entry: dict, r) -> list[str]:
    problems = []
    path = ctx.path(entry["path"])
    if not path.is_file():
        return problems  # reported by `files`
    expected = json.loads(json.dumps(values_record(plan.edits(r.split, r.index))))
    actual, sublayers = layer_values(path)
    if sublayers != [f"../{ctx.manifest['source']['root']}"]:
        problems.append(f"{entry['path']}: sublayers {sublayers} are not exactly the copied source")
    if diff := first_difference(expected, actual):
        problems.append(f"{entry['path']}: {diff}")
    elif path.read_bytes() != r.usda:
        problems.append(f"{entry['path']}: authored values match but the file differs from the re-derived layer")
    vpath = ctx.path(entry["values_path"]) if entry.get("values_path") else None
    if vpath is not None and vpath.is_file():
        try:
            recorded = json.loads(vpath.read_text())
        except json.JSONDecodeError:
            problems.append(f"{entry['values_path']}: not valid JSON")
        else:
            if diff := first_difference(expected, recorded):
                problems.append(f"{entry['values_path']}: {diff}")
    if entry.get("events", []) != r.events:
        problems.append(f"{entry['id']}: the events listed in the manifest differ from the re-derived ones")
    return problems


@check
def disjointness(ctx: Context) -> Check:
    c = Check("disjointness")
    if ctx.plan is None:
        c.skipped = True
        return c
    recomputed = mf.disjointness_entry(ctx.plan)
    claimed = ctx.manifest["disjointness"]
    if not recomputed["holds"]:
        c.problems.append(f"a holdout vector lies {recomputed['min_distance']} from a train vector, "
                          f"closer than min_margin {recomputed['min_margin']}")
    for key in sorted(set(recomputed) | set(claimed)):
        if recomputed.get(key) != claimed.get(key):
            c.problems.append(f"disjointness.{key}: manifest says {claimed.get(key)}, recomputed {recomputed.get(key)}")
    c.detail = f"min {recomputed['metric']} distance {recomputed['min_distance']} >= margin {recomputed['min_margin']}"
    return c


@check
def distance(ctx: Context) -> Check:
    c = Check("distance")
    if ctx.plan is None:
        c.skipped = True
        return c
    names = ctx.plan.shared_names()
    recomputed = distance_report(ctx.plan.normalized("train"), ctx.plan.normalized("holdout"), names)
    if json.loads(json.dumps(recomputed)) != ctx.manifest["distance"]:
        c.problems.append("the train/holdout distance figures differ from the recomputed ones")
    return c


def _load_check_modules() -> None:
    """Checks contributed by other capabilities live in twinsplit.checks.* and register with @check."""
    import importlib
    import pkgutil

    from . import checks

    for mod in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{mod.name}")


def verify(out: Path, **options: Any) -> list[Check]:
    _load_check_modules()
    out = Path(out).resolve()
    if not out.is_dir():
        raise TwinsplitError(f"{out}: no such output directory")
    ctx = Context(out, mf.load(out), dict(options))
    results = []
    for fn in CHECKS:
        try:
            results.append(fn(ctx))
        except TwinsplitError as exc:
            results.append(Check(fn.__name__, [str(exc)]))
    return results


def as_json(results: list[Check]) -> dict[str, Any]:
    return {"ok": all(r.ok for r in results),
            "checks": [{"name": r.name, "ok": r.ok, "skipped": r.skipped, "detail": r.detail, "problems": r.problems}
                       for r in results]}
