"""The stages under the given paths, and one traversal of each composed stage -> StageRecord."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pxr import Usd, UsdLux

from ..errors import InputError
from ..proof.canonical import prim_bytes
from ..scene.discover import applied_schemas, labels_of, open_stage
from ..scene.time import pose_time
from ..validate.engine import discover, label, read_output
from .features import Features

Layout = tuple[tuple[str, int], ...]  # (feature key, dimension) per key, in the order of the values


@dataclass(frozen=True)
class StageRecord:
    """What the audit keeps of one stage: its content hash and feature vectors (no USD handle)."""

    file: str
    content: str  # sha256 of the canonical composed content (canonical.py)
    layout: Layout
    values: np.ndarray  # float64, the layout's vectors concatenated
    prims: int


def stage_files(paths: Iterable[str | Path]) -> list[Path]:
    """Stage files named by `paths` (files, folders searched recursively); a twinsplit output dir gives its
    variants (its copied source is shared by both splits by design, not a contaminant)."""
    files: list[Path] = []
    for target in discover(paths):
        files += read_output(target.path)[1] if target.output else [target.path]
    return list(dict.fromkeys(files))


def read_stage(path: Path) -> StageRecord:
    """Compose `path` (sublayers, references and all) and read its content hash and features in one pass."""
    stage = open_stage(path)
    if errors := stage.GetCompositionErrors():  # a lost sublayer or reference: the content would be partial
        raise InputError(f"{path}: does not compose: {errors[0]}" + (f" (and {len(errors) - 1} more)"
                                                                     if len(errors) > 1 else ""))
    time = pose_time(stage)
    feats = Features(stage, time)
    records: list[tuple[str, bytes]] = []
    for prim in stage.Traverse(Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)):
        schemas = applied_schemas(prim)
        data = prim_bytes(prim, time, schemas, lambda name, samples, p=prim: feats.samples(p, name, samples))
        records.append((str(prim.GetPath()), data))
        if "PhysicsMaterialAPI" in schemas:
            feats.material(prim)
        if "PhysicsRigidBodyAPI" in schemas:
            feats.body(prim, labels_of(prim))
        if prim.HasAPI(UsdLux.LightAPI):
            feats.light(prim)
    if not records:
        raise InputError(f"{path}: the stage composes no prims: nothing to compare")
    h = hashlib.sha256()
    for _, data in sorted(records, key=lambda r: r[0]):
        h.update(data)
    layout, values = feats.done()
    return StageRecord(label(path), h.hexdigest(), layout, values, len(records))


def read_all(paths: list[Path], progress=None, workers: int = 1) -> list[StageRecord]:
    """Every stage read once, in order; `progress(done, total)` after each. `workers` > 1 reads them on that many
    spawned processes (a stage is read alone, so the records are the same; fork after USD started threads is not
    safe). Layouts are interned here: the variants of one twin share one (thousands of keys) in memory."""
    layouts: dict[Layout, Layout] = {}
    out = []
    records: Iterable[StageRecord]
    if workers > 1 and len(paths) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(min(workers, len(paths)), mp_context=multiprocessing.get_context("spawn"))
        records = pool.map(read_stage, paths, chunksize=max(1, min(16, len(paths) // (4 * workers))))
    else:
        pool, records = None, (read_stage(p) for p in paths)
    try:
        for i, rec in enumerate(records):
            out.append(replace(rec, layout=layouts.setdefault(rec.layout, rec.layout)))
            if progress is not None:
                progress(i + 1, len(paths))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return out
