"""`twinsplit generate`: source + config + seeds -> OUT with train/, holdout/, source/ and manifest.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import manifest as mf
from .config import Config, config_body, config_sha256
from .errors import TwinsplitError
from .hashing import sha256_bytes
from .outdir import staged
from .plan import Plan, fresh_entropy, make_plan, variant_id
from .render import render_all
from .scene import load
from .sourcecopy import copy_source
from .stats import distance_report
from .usdtext import stage_metadata


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


def resolve_entropy(req: Request) -> dict[str, int]:
    seeds = req.config.seeds
    train = req.seed_train if req.seed_train is not None else seeds.train
    holdout = req.seed_holdout if req.seed_holdout is not None else seeds.holdout
    entropy = {"train": fresh_entropy() if train is None else train,
               "holdout": fresh_entropy() if holdout is None else holdout}
    if entropy["train"] == entropy["holdout"]:
        raise TwinsplitError("train and holdout seeds are equal: the splits would share their streams")
    return entropy


def build_plan(req: Request) -> tuple[Any, Plan, dict[str, int]]:
    if req.n_train < 1 or req.n_holdout < 1:
        raise TwinsplitError("--train and --holdout must each be at least 1")
    stage, scene = load(req.source)
    entropy = resolve_entropy(req)
    return stage, make_plan(scene, req.config, req.n_train, req.n_holdout, entropy), entropy


def run(req: Request, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Generate the whole set atomically; returns the manifest written."""
    stage, plan, entropy = build_plan(req)
    metadata = plan.stage_metadata(stage_metadata(stage.GetRootLayer()))
    total = req.n_train + req.n_holdout
    with staged(req.out, req.force) as tmp:
        copy = copy_source(req.source, tmp / "source")
        sublayer = f"../source/{copy.root}"
        variants, seen = [], {}
        done = 0

        def tick(k: int) -> None:
            nonlocal done
            done += k
            if progress:
                progress(done, total)

        for r in render_all(plan, sublayer, metadata, req.workers, tick):
            vid = variant_id(r.split, r.index)
            (tmp / r.split).mkdir(exist_ok=True)
            rel, vrel = f"{r.split}/{vid}.usda", f"{r.split}/{vid}.values.json"
            (tmp / rel).write_bytes(r.usda)
            (tmp / vrel).write_bytes(r.values)
            digest = sha256_bytes(r.usda)
            if digest in seen:
                raise TwinsplitError(f"{vid} is byte-identical to {seen[digest]}: the config draws too few distinct values")
            seen[digest] = vid
            variants.append({"id": vid, "split": r.split, "path": rel, "sha256": digest, "values_path": vrel,
                             "values_sha256": sha256_bytes(r.values),
                             "redraws": int(plan.splits[r.split].redraws[r.index]), "events": r.events})
        manifest = assemble(plan, entropy, copy, req.source.name, variants)
        (tmp / mf.MANIFEST).write_bytes(mf.dumps(manifest))
    return manifest


def assemble(plan: Plan, entropy: dict[str, int], copy, source_name: str, variants: list[dict]) -> dict[str, Any]:
    names = plan.shared_names()
    return {
        "schema_version": mf.SCHEMA_VERSION,
        "tool": mf.tool_entry(),
        "usd_version": mf.usd_version(),
        "source": mf.source_entry(copy, source_name, plan.scene),
        "config": {"sha256": config_sha256(plan.config), "body": config_body(plan.config)},
        "seeds": {s: {"entropy": str(e)} for s, e in entropy.items()},
        "counts": {s: len(sp.draws) for s, sp in plan.splits.items()},
        "parameters": mf.parameters_entry(plan),
        "variants": variants,
        "disjointness": mf.disjointness_entry(plan),
        "distance": distance_report(plan.normalized("train"), plan.normalized("holdout"), names),
        "lineage": plan.config.lineage.model_dump(),
    }
