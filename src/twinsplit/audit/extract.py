"""The stages under the given paths, and one traversal of each composed stage -> StageRecord."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pxr import Sdf, Usd, UsdLux

from ..errors import InputError
from ..proof.canonical import authored, prim_bytes
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


class KeptLayers:
    """The layers (but the root) of the last stage read, kept open: the next stage that uses one (the variants of
    one twin sublayer one source) finds it in Sdf's registry instead of parsing it again; the stage composes
    from the same layer content either way. A layer whose file changed on disk (size or mtime) since is let go
    before the next stage opens, so it is read anew."""

    def __init__(self) -> None:
        self._layers: dict[str, tuple[Sdf.Layer, tuple[int, int] | None]] = {}

    def check(self) -> None:
        self._layers = {k: v for k, v in self._layers.items() if _signature(v[0].realPath) == v[1]}

    def keep(self, stage: Usd.Stage) -> None:
        root, kept = stage.GetRootLayer(), {}
        for layer in stage.GetUsedLayers():  # weak handles: FindOrOpen gives a reference that keeps it open
            if layer != root and not layer.anonymous and layer.realPath:
                held = Sdf.Layer.FindOrOpen(layer.identifier)
                if held is not None:
                    kept[layer.identifier] = (held, _signature(layer.realPath))
        self._layers = kept

    def __len__(self) -> int:
        return len(self._layers)


def _signature(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def read_stage(path: Path, kept: KeptLayers | None = None) -> StageRecord:
    """Compose `path` (sublayers, references and all) and read its content hash and features in one pass.
    `kept`: the layers of the stage read before, kept open for this one (and then this one's)."""
    if kept is not None:
        kept.check()
    stage = open_stage(path)
    if kept is not None:
        kept.keep(stage)
    if errors := stage.GetCompositionErrors():  # a lost sublayer or reference: the content would be partial
        raise InputError(f"{path}: does not compose: {errors[0]}" + (f" (and {len(errors) - 1} more)"
                                                                     if len(errors) > 1 else ""))
    time = pose_time(stage)
    feats = Features(stage, time)
    records: list[tuple[str, bytes]] = []
    for prim in stage.Traverse(Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)):
        schemas = applied_schemas(prim)
        props = authored(prim)
        data = prim_bytes(prim, time, schemas, lambda name, samples, p=prim: feats.samples(p, name, samples), props)
        records.append((str(prim.GetPath()), data))
        if "PhysicsMaterialAPI" in schemas:
            feats.material(prim)
        if "PhysicsRigidBodyAPI" in schemas:
            feats.body(prim, labels_of(prim, [name for name, _ in props]))
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
        records = pool.map(_read_in_worker, paths, chunksize=max(1, min(16, len(paths) // (4 * workers))))
    else:
        kept = KeptLayers()
        pool, records = None, (read_stage(p, kept) for p in paths)
    try:
        for i, rec in enumerate(records):
            out.append(replace(rec, layout=layouts.setdefault(rec.layout, rec.layout)))
            if progress is not None:
                progress(i + 1, len(paths))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return out


_WORKER_KEPT = KeptLayers()  # a worker process's own, for the stages it reads one after another


def _read_in_worker(path: Path) -> StageRecord:
    return read_stage(path, _WORKER_KEPT)
