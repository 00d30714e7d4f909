"""`twinsplit generate`: source + config + seeds -> OUT with train/, holdout/, source/, manifest.json and
croissant.json.

With a seal, the holdout variants (and a copy of the source they sublayer) go to a separate directory and the
holdout entropy to a key file; OUT keeps only a commitment to that entropy and the holdout files' hashes.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import GENERATOR_REVISION
from . import manifest as mf
from .config import config_body, config_sha256
from .errors import InputError, TwinsplitError
from .hashing import sha256_bytes, sha256_file
from .lineage import check_stages, lineage_entry
from .plan import anchors, incidents, reference
from .plan.disjoint import disjointness_entry
from .plan.draw import Plan, fresh_entropy, make_plan, variant_id
from .proof import croissant, holdout_source
from .proof.attest import ATTESTATION, sign_output
from .proof.seal import seal_manifest
from .scene.discover import load
from .write import resume
from .write.chunks import ChunkDrawer, LocalPool
from .write.layer import stage_metadata
from .write.layer_format import DEFAULT_LAYER_FORMAT, LAYER_FORMATS
from .write.outdir import check_target, staged
from .write.pool import Target, render_all
from .write.ray_executor import pool_of
from .write.recheck import VariantCheck, redraw_until_stable
from .write.sourcecopy import copy_source, dependencies

if TYPE_CHECKING:
    from .config import Config


@dataclass(frozen=True)
class Request:
    source: Path
    config: Config
    out: Path
    n_train: int
    n_holdout: int
    seed_train: int | None = None
    seed_holdout: int | None = None
    workers: int = 1
    force: bool = False
    seal_key: Path | None = None      # write the holdout entropy here, and only a commitment in the manifest
    holdout_out: Path | None = None   # where sealed holdout variants go
    sign_key: Path | None = None      # Ed25519 private key: write OUT/attestation.json
    layer_format: str = DEFAULT_LAYER_FORMAT  # the variant layers' file format: usdc or usda
    holdout_source: Path | None = None  # a second stage of the site the holdout is drawn on (proof/holdout_source)
    resume: bool = False  # continue a killed run staged in .<OUT>.partial (write/resume)
    executor: str = "local"  # where chunk tasks run: local processes, or "ray" (write/ray_executor)
    ray_address: str | None = None
    simcheck: VariantCheck | None = None  # generate --simcheck: simulate every variant, redraw the unstable ones


def resolve_entropy(req: Request, recorded: dict[str, str] | None = None) -> dict[str, int]:
    """The seeds asked for, else (resuming) the ones the staged run drew from the OS, else fresh ones."""
    seeds, recorded = req.config.seeds, recorded or {}
    train = req.seed_train if req.seed_train is not None else seeds.train
    holdout = req.seed_holdout if req.seed_holdout is not None else seeds.holdout
    entropy = {s: int(recorded[s]) if v is None and s in recorded else fresh_entropy() if v is None else v
               for s, v in (("train", train), ("holdout", holdout))}
    if entropy["train"] == entropy["holdout"]:
        raise TwinsplitError("train and holdout seeds are equal: the splits would share their streams")
    return entropy


def _check_request(req: Request) -> None:
    if req.n_train < 1 or req.n_holdout < 1:
        raise TwinsplitError("--train and --holdout must each be at least 1")
    if req.simcheck is not None and req.resume:
        raise TwinsplitError("--simcheck with --resume is not supported yet: rerun without --resume")
    if req.layer_format not in LAYER_FORMATS:
        raise TwinsplitError(f"layer format {req.layer_format!r} is not one of {', '.join(LAYER_FORMATS)}")
    if (req.seal_key is None) != (req.holdout_out is None):
        raise TwinsplitError("--seal and --holdout-out go together: the sealed holdout needs its own directory")
    if req.seal_key is not None:
        if req.seal_key.exists():
            raise TwinsplitError(f"seal key {req.seal_key} already exists; refusing to overwrite a key")
        out, hold = req.out.resolve(), req.holdout_out.resolve()
        if hold == out or hold.is_relative_to(out) or out.is_relative_to(hold):
            raise TwinsplitError("--holdout-out must be outside --out: the sealed holdout is kept apart from OUT")
        if req.seal_key.resolve().is_relative_to(out):
            raise TwinsplitError("--seal key must be outside --out: OUT is what gets shared")
        check_target(req.holdout_out, req.force)
    pool_of(req.executor, req.ray_address)  # an unknown executor, or an address without Ray, or Ray missing
    _check_resume(req)
    if req.sign_key is not None and not req.sign_key.is_file():
        raise TwinsplitError(f"signing key {req.sign_key}: no such file")
    try:
        check_stages(req.config.lineage, [req.source.name])
    except ValueError as exc:
        raise TwinsplitError(f"config: {exc}") from None
    if not (req.resume and resume.recorded_inputs(req.out) is not None):
        check_target(req.out, req.force)
    holdout_source.check_request(req)


# Below this, a trainer could regenerate holdout candidates from guessed seeds and match the listed hashes.
MIN_SEALED_ENTROPY = 2**64


Progress = Callable[[str, int, int], None]  # (phase "drawing" | "writing", done, total)


def build_plan(req: Request, progress: Progress | None = None) -> tuple[Any, Plan, dict[str, int]]:
    return build_planner(req, progress)[:3]


def build_planner(req: Request, progress: Progress | None = None):
    """(source stage, plan, entropy, replan): `replan(skips)` plans the set again, in this process, with
    write.recheck's skips (generate --simcheck)."""
    _check_request(req)
    stage, scene = load(req.source)
    other = load(req.holdout_source)[1] if req.holdout_source is not None else None
    gc.freeze()  # the scene lives all run: keep the collector from rescanning its objects per variant
    recorded = resume.recorded_inputs(req.out) if req.resume else None
    entropy = resolve_entropy(req, (recorded or {}).get("seeds"))
    config = req.config
    if (moved := reference.in_set(config)) is not None:  # OUT/reference/<name>, not the user's path
        config = moved[0]
    if req.seal_key is not None:
        if entropy["holdout"] < MIN_SEALED_ENTROPY:
            raise TwinsplitError("a sealed holdout needs unguessable entropy: omit --seed-holdout and seeds.holdout "
                                 "so it comes from the OS")
        # The manifest's config body must not carry the sealed seed.
        config = config.model_copy(update={"seeds": config.seeds.model_copy(update={"holdout": None})})
    if recorded is not None:  # refused before drawing anything (staged_resumable checks again, and keeps it)
        resume.check_same(req.out, recorded, run_inputs(req, config, entropy))
    total = req.n_train + req.n_holdout
    tick = _ticker(progress, "drawing", total)
    with ExitStack() as stack:
        drawer = None
        if (pool := worker_pool(req)) is not None or (req.workers > 1 and total >= 2 * req.workers):
            # the first draws in chunks on workers (write.chunks)
            drawer = stack.enter_context(ChunkDrawer(scene, config, req.workers, tick, pool or LocalPool))
        n_holdout = req.n_holdout + incidents.total(config)  # the incidents' variants come after the regular ones
        plan = make_plan(scene, config, req.n_train, n_holdout, entropy, lambda: tick(1), other, drawer)

    def replan(skips) -> Plan:
        return make_plan(scene, config, req.n_train, n_holdout, entropy, None, other, skips=skips)

    return stage, plan, entropy, replan


def worker_pool(req: Request):
    """The PoolFactory chunk tasks run on with --executor ray; None: local processes."""
    return pool_of(req.executor, req.ray_address)


def run(req: Request, progress: Progress | None = None) -> dict[str, Any]:
    """Generate the whole set atomically; returns the manifest written."""
    stage, plan, entropy, replan = build_planner(req, progress)
    metadata = plan.stage_metadata(stage_metadata(stage.GetRootLayer()))
    total = sum(len(sp.draws) for sp in plan.splits.values())  # with the incidents' holdout variants
    sealed = req.seal_key is not None
    written: list[Path] = []  # the seal key, once written: removed again if anything after it fails
    with ExitStack() as stack:
        stack.push(_remove_on_error(written))
        deps = dependencies(req.source)  # once: the resume record hashes them, copy_source copies them
        if sealed:
            box, tmp = None, stack.enter_context(staged(req.out, req.force))
        else:  # resumable: .<OUT>.partial records the inputs and every chunk written (write/resume)
            box = stack.enter_context(resume.staged_resumable(req.out, req.force, req.resume,
                                                              run_inputs(req, plan.config, entropy, deps[0])))
            tmp = box.dir
        htmp = stack.enter_context(staged(req.holdout_out, req.force)) if sealed else tmp
        copy = copy_source(req.source, tmp / "source", deps)
        ref = _copy_reference(plan, tmp)
        if sealed:
            shutil.copytree(tmp / "source", htmp / "source")
        target = Target(f"../source/{copy.root}", metadata, req.layer_format)
        # --holdout-source: copied beside the holdout; its manifest entry, and the Target holdout layers use
        held, htarget = holdout_source.copy_beside(req, plan, tmp / "source" / copy.root, htmp) or (None, None)
        roots = {"train": tmp, "holdout": htmp}
        variants = _write_variants(plan, target, req.workers, roots, _ticker(progress, "writing", total), htarget,
                                   box, worker_pool(req))
        if req.simcheck is not None:
            def rewrite(skips):
                nonlocal plan
                if skips:
                    plan = replan(skips)
                    vs = _write_variants(plan, target, req.workers, roots, _ticker(None, "", 0), htarget)
                else:
                    vs = variants
                return vs, {v["id"]: roots[v["split"]] / v["path"] for v in vs}

            variants = redraw_until_stable(rewrite, req.simcheck, _ticker(progress, "simulating", total))[0]
        if box is not None:
            box.finish()
        manifest = assemble(plan, entropy, copy, req.source, variants, req.layer_format, sealed=sealed,
                            holdout_source=held, reference_sha256=ref)
        if req.simcheck is not None:
            manifest["simcheck"] = req.simcheck.record() | {"tries": req.simcheck.tries}
        key = seal_manifest(manifest, entropy["holdout"]) if sealed else None
        manifest_bytes = mf.dumps(manifest)
        (tmp / mf.MANIFEST).write_bytes(manifest_bytes)
        (tmp / croissant.CROISSANT).write_bytes(croissant.dumps(manifest, manifest_bytes))
        if req.sign_key is not None:
            (tmp / ATTESTATION).write_bytes(sign_output(tmp, manifest, req.sign_key))
        if key is not None:  # last, just before both directories move into place
            from .proof.seal import write_key

            write_key(req.seal_key, key)
            written.append(req.seal_key)
    return manifest


def _copy_reference(plan: Plan, tmp: Path) -> str | None:
    """The config's reference file copied into OUT at the path the recorded config names; its sha256."""
    config = plan.config
    if config.reference is None:
        return None
    data = config._reference_bytes
    dest = tmp / config.reference
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return sha256_bytes(data)


def _remove_on_error(paths: list[Path]):
    """An ExitStack exit callback: delete `paths` when the block (or a directory commit) failed."""
    def exit_(exc_type, *_):
        if exc_type is not None:
            for path in paths:
                path.unlink(missing_ok=True)
        return False

    return exit_


def _ticker(progress: Progress | None, phase: str, total: int):
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress:
            progress(phase, done, total)

    return tick


def _check_resume(req: Request) -> None:
    if req.resume and req.seal_key is not None:
        raise TwinsplitError("--resume does not continue a sealed run (--seal): its holdout entropy is never "
                             "written down before the end; generate it again")


def source_layers(files: list[tuple[str, str]]) -> str:
    """One sha256 over the source's (relative path, sha256) of every layer and asset: a changed sublayer,
    reference or texture changes it, not only the root layer."""
    return sha256_bytes("".join(f"{rel}\0{sha}\n" for rel, sha in sorted(files)).encode())


def _source_files(root: Path, files: list[Path] | None = None) -> list[tuple[str, str]]:
    """(path relative to the root's folder, sha256) of the source's layers and assets (`files`: its dependencies,
    when the caller has them)."""
    base = root.resolve().parent
    return [(os.path.relpath(f, base), sha256_file(f)) for f in (dependencies(root)[0] if files is None else files)]


def run_inputs(req: Request, config: Config, entropy: dict[str, int], files: list[Path] | None = None,
               ) -> dict[str, Any]:
    """What a staged run records, and --resume must find the same (write/resume); `files`: the source's
    dependencies, when the caller has them."""
    return {"source_sha256": sha256_file(req.source),
            "source_layers_sha256": source_layers(_source_files(req.source, files)),
            "config_sha256": config_sha256(config),
            "seeds": {s: str(e) for s, e in entropy.items()},
            "counts": {"train": req.n_train, "holdout": req.n_holdout},
            "generator": GENERATOR_REVISION, "layer_format": req.layer_format,
            "holdout_source_sha256": sha256_file(req.holdout_source) if req.holdout_source is not None else None,
            "signed": req.sign_key is not None}


def complete_set(req: Request) -> bool:
    """--resume on OUT already generated (a manifest and no staged run): True when its inputs are the request's,
    refused naming the difference otherwise."""
    path = req.out / mf.MANIFEST
    if not req.resume or resume.recorded_inputs(req.out) is not None or not path.is_file():
        return False
    _check_resume(req)
    import json

    m = json.loads(path.read_text())
    asked = resolve_entropy(req, {s: e["entropy"] for s, e in m.get("seeds", {}).items() if "entropy" in e})
    have = {"source_sha256": m["source"]["sha256"], "config_sha256": m["config"]["sha256"], "counts": m["counts"],
            "generator": m["tool"]["generator"], "layer_format": m["layer_format"],
            "seeds": {s: e.get("entropy") for s, e in m["seeds"].items()}}
    if not m["source"].get("localized"):  # the copies are the source's bytes: their hashes are the source's
        have["source_layers_sha256"] = source_layers([(f["path"].removeprefix("source/"), f["sha256"])
                                                      for f in m["source"]["files"]])
    config = moved[0] if (moved := reference.in_set(req.config)) is not None else req.config
    now = {k: v for k, v in run_inputs(req, config, asked).items() if k in have}  # what a manifest can tell
    if diff := resume.differences(have, now):
        raise InputError(f"--resume: {req.out} is a complete set made with other inputs ({'; '.join(diff)})")
    return True


RECORD_EVERY = 8  # variants per resume record (write/resume): a killed run loses at most this many per split


def _write_variants(plan: Plan, target: Target, workers: int, roots: dict[str, Path], tick,
                    holdout_target: Target | None = None, box: resume.Staged | None = None,
                    pool=None) -> list[dict]:
    done = box.done if box is not None else {}
    order = [variant_id(s, i) for s in plan.splits for i in range(len(plan.splits[s].draws))]
    skip = frozenset((e["split"], int(vid.rsplit("-", 1)[1])) for vid, e in done.items())
    entries, seen, chunk = dict(done), {e["sha256"]: vid for vid, e in done.items()}, []
    tags = incidents.tags(plan.incidents)
    if done:
        tick(len(done))
    for r in render_all(plan, target, workers, tick, holdout_target, skip, pool):
        vid = variant_id(r.split, r.index)
        root = roots[r.split]
        (root / r.split).mkdir(exist_ok=True)
        rel, vrel = f"{r.split}/{vid}.{target.layer_format}", f"{r.split}/{vid}.values.json"
        (root / rel).write_bytes(r.layer)
        (root / vrel).write_bytes(r.values)
        digest = sha256_bytes(r.layer)
        if digest in seen:
            raise TwinsplitError(f"{vid} is byte-identical to {seen[digest]}: the config draws too few distinct values")
        seen[digest] = vid
        entries[vid] = entry = (
            {"id": vid, "split": r.split, "path": rel, "sha256": digest, "values_path": vrel,
             "values_sha256": sha256_bytes(r.values), "redraws": int(plan.splits[r.split].redraws[r.index]),
             "events": r.events}
            | ({"incident": tag} if r.split == "holdout" and (tag := tags.get(r.index)) else {})
            | ({"notes": r.notes} if r.notes else {}) | ({"reactions": r.reactions} if r.reactions else {}))
        chunk.append(entry)
        if box is not None and ((r.index + 1) % RECORD_EVERY == 0 or r.index + 1 == len(plan.splits[r.split].draws)):
            box.record(f"{r.split}-{r.index + 1 - len(chunk):05d}", chunk)
            chunk = []
    return [entries[vid] for vid in order]


def _distance_report(train, holdout, names):
    from .plan.stats import distance_report  # here: plan.stats pulls in scipy.stats (~0.4-1 s); a sealed set skips it

    return distance_report(train, holdout, names)


def assemble(plan: Plan, entropy: dict[str, int], copy, source: Path, variants: list[dict], layer_format: str,
             sealed: bool = False, holdout_source: dict[str, Any] | None = None,
             reference_sha256: str | None = None) -> dict[str, Any]:
    names = plan.shared_names()
    rows = {s: plan.normalized(s) for s in plan.splits}  # once: the disjointness and the distance figures read them
    return {
        "schema_version": mf.SCHEMA_VERSION,
        "tool": mf.tool_entry(),
        "usd_version": mf.usd_version(),
        "source": mf.source_entry(copy, source, plan.scene),
        "config": {"sha256": config_sha256(plan.config), "body": config_body(plan.config)},
        "seeds": {s: {"entropy": str(e)} for s, e in entropy.items()},
        "counts": {s: len(sp.draws) for s, sp in plan.splits.items()},
        "layer_format": layer_format,
        "parameters": mf.parameters_entry(plan),
        "variants": variants,
        "disjointness": disjointness_entry(plan, normalized=rows),
        # A sealed manifest carries no holdout statistics: per-parameter figures would leak its marginals.
        "distance": ({"sealed": True} if sealed
                     else _distance_report(rows["train"], rows["holdout"], names)),
        "lineage": lineage_entry(plan.config.lineage) | anchors.lineage_extra(plan, reference_sha256),
    } | ({"holdout_source": holdout_source} if holdout_source is not None else {}) | anchors.manifest_extra(
        plan, reference_sha256, sealed)
