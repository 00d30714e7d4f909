"""`twinsplit verify`: re-derive and re-check a generated set. Never trusts what the manifest claims."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import manifest as mf
from .config import config_body, config_sha256, parse_config
from .errors import TwinsplitError
from .hashing import sha256_file
from .outdir import safe_join
from .plan import Plan, make_plan
from .readback import first_difference, layer_values
from .render import render_one
from .scene import load
from .stats import distance_report
from .usdtext import stage_metadata, values_record

ATTESTATION = "attestation.json"
# Files a set may carry besides the ones the manifest lists (each checked by its own check).
EXTRA_FILES = {mf.MANIFEST, ATTESTATION}


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
    holdout_dir: Path | None = None
    reveal: Path | None = None
    pubkey: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = None
    stage: Any = None

    @property
    def sealed(self) -> bool:
        return "commitment" in self.manifest["seeds"].get("holdout", {})

    def root_of(self, split: str) -> Path | None:
        """Where a split's files live: OUT, or the sealed holdout directory (None when not given)."""
        if split == "holdout" and self.sealed:
            return self.holdout_dir
        return self.out

    def path(self, rel: str, split: str = "train") -> Path:
        root = self.root_of(split)
        if root is None:
            raise TwinsplitError(f"{rel}: sealed holdout file, pass --holdout DIR to check it")
        return safe_join(root, rel)

    @property
    def variants(self) -> list[dict[str, Any]]:
        return self.manifest["variants"]

    def listed_files(self, root: Path) -> dict[str, str]:
        """{relative path: sha256} of every file the manifest places under `root`."""
        files = {f["path"]: f["sha256"] for f in self.manifest["source"]["files"]}
        for v in self.variants:
            if self.root_of(v["split"]) != root:
                continue
            files[v["path"]] = v["sha256"]
            if v.get("values_path"):
                files[v["values_path"]] = v["values_sha256"]
        return files

    def roots(self) -> list[Path]:
        return [r for r in dict.fromkeys([self.out, self.root_of("holdout")]) if r is not None]


def same(a: Any, b: Any) -> bool:
    """Equal as JSON: unlike ==, true is not 1 and 1 is not 1.0 (a hand-edited manifest must not pass)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


CheckFn = Callable[[Context], Check]
CHECKS: list[CheckFn] = []


def check(fn: CheckFn) -> CheckFn:
    CHECKS.append(fn)
    return fn


def _label(ctx: Context, root: Path) -> str:
    return "" if root == ctx.out else f"{root.name}/"


@check
def files_present(ctx: Context) -> Check:
    c = Check("files")
    total = 0
    for root in ctx.roots():
        listed = ctx.listed_files(root)
        total += len(listed)
        for rel in listed:
            safe_join(root, rel)  # raises on a path escaping its directory
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        extras = EXTRA_FILES if root == ctx.out else set()
        for rel in sorted(set(listed) - on_disk):
            c.problems.append(f"{_label(ctx, root)}{rel}: listed in the manifest but missing")
        for rel in sorted(on_disk - set(listed) - extras):
            c.problems.append(f"{_label(ctx, root)}{rel}: present but not listed in the manifest")
    c.detail = f"{total} files listed"
    return c


@check
def hashes(ctx: Context) -> Check:
    c = Check("hashes")
    for root in ctx.roots():
        for rel, expected in ctx.listed_files(root).items():
            p = safe_join(root, rel)
            if p.is_file() and (actual := sha256_file(p)) != expected:
                c.problems.append(f"{_label(ctx, root)}{rel}: sha256 {actual[:12]}… on disk, manifest says "
                                  f"{expected[:12]}…")
    src = ctx.manifest["source"]
    root = safe_join(ctx.out, src["root"])
    if not src["localized"] and root.is_file() and (actual := sha256_file(root)) != src["sha256"]:
        c.problems.append(f"source.sha256 says {src['sha256'][:12]}…, the byte-copied root {src['root']} is "
                          f"{actual[:12]}…")
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
    if not same(ctx.manifest["lineage"], config.lineage.model_dump()):
        c.problems.append("lineage differs from the config's lineage block")
    ctx.options["config"] = config
    return c


@check
def seal(ctx: Context) -> Check:
    """A sealed holdout: the commitment is well formed; with --reveal, the key opens it."""
    c = Check("seal")
    if not ctx.sealed:
        if ctx.reveal is not None:
            c.problems.append("--reveal given but the manifest is not sealed")
        else:
            c.skipped, c.detail = True, "not sealed"
        return c
    from .seal import check_reveal, read_key

    commitment = ctx.manifest["seeds"]["holdout"]["commitment"]
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", commitment):
        c.problems.append(f"holdout commitment {commitment!r} is not sha256:<64 hex>")
        return c
    if ctx.reveal is None:
        c.detail = "commitment well formed; holdout not checked (pass --holdout DIR --reveal KEY)"
        return c
    key = read_key(ctx.reveal)
    check_reveal(key, commitment)
    ctx.options["holdout_entropy"] = key.entropy
    c.detail = "revealed key matches the commitment"
    return c


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


@check
def disjointness(ctx: Context) -> Check:
    c = Check("disjointness")
    if ctx.plan is None or "holdout" not in ctx.plan.splits:
        c.skipped, c.detail = True, "needs the holdout (sealed: pass --holdout DIR --reveal KEY)"
        return c
    recomputed = mf.disjointness_entry(ctx.plan)
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


@check
def attestation(ctx: Context) -> Check:
    c = Check("attestation")
    path = ctx.out / ATTESTATION
    if ctx.pubkey is None:
        c.skipped = True
        c.detail = "present, not checked (pass --pubkey)" if path.exists() else "none"
        return c
    if not path.is_file():
        c.problems.append(f"{ATTESTATION}: missing, but --pubkey asks for a signed set")
        return c
    from .attest import check_subjects, verify_envelope
    from .generate import attestation_subjects
    from .hashing import sha256_bytes

    try:
        envelope = json.loads(path.read_text())
    except json.JSONDecodeError:
        c.problems.append(f"{ATTESTATION}: not valid JSON")
        return c
    statement = verify_envelope(envelope, ctx.pubkey)
    c.problems += [f"{ATTESTATION}: {line}" for line in check_subjects(statement, attestation_subjects(ctx.out))]
    manifest_sha = sha256_bytes((ctx.out / mf.MANIFEST).read_bytes())
    if statement.get("predicate", {}).get("manifest_sha256") != manifest_sha:
        c.problems.append(f"{ATTESTATION}: the signed manifest digest is not this manifest's")
    c.detail = "signature valid; every file matches its signed digest"
    return c


def _load_check_modules() -> None:
    """Checks contributed by other capabilities live in twinsplit.checks.* and register with @check."""
    import importlib
    import pkgutil

    from . import checks

    for mod in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{mod.name}")


def verify(out: Path, holdout: Path | None = None, reveal: Path | None = None,
           pubkey: Path | None = None) -> list[Check]:
    return run_checks(out, holdout, reveal, pubkey)[0]


def run_checks(out: Path, holdout: Path | None = None, reveal: Path | None = None,
               pubkey: Path | None = None) -> tuple[list[Check], Context]:
    """verify's checks and the context they filled (its re-derived plan, for the report to reuse)."""
    _load_check_modules()
    out = Path(out).resolve()
    if not out.is_dir():
        raise TwinsplitError(f"{out}: no such output directory")
    if (holdout is None) != (reveal is None):
        raise TwinsplitError("--holdout and --reveal go together")
    if holdout is not None and not Path(holdout).is_dir():
        raise TwinsplitError(f"{holdout}: no such holdout directory")
    ctx = Context(out, mf.load(out), Path(holdout).resolve() if holdout else None, reveal, pubkey)
    results = []
    for fn in CHECKS:
        try:
            results.append(fn(ctx))
        except TwinsplitError as exc:
            results.append(Check(fn.__name__, [str(exc)]))
        except Exception as exc:  # noqa: BLE001 - a malformed output must give a FAIL line, not a traceback
            text = " ".join(str(exc).split())[:200]
            results.append(Check(fn.__name__, [f"check crashed on this output ({type(exc).__name__}: {text})"]))
    return results, ctx


def as_json(results: list[Check]) -> dict[str, Any]:
    return {"ok": all(r.ok for r in results),
            "checks": [{"name": r.name, "ok": r.ok, "skipped": r.skipped, "detail": r.detail, "problems": r.problems}
                       for r in results]}
