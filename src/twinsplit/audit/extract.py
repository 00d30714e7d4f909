"""The stages under the given paths, and one traversal of each composed stage -> StageRecord."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
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


def read_stage(path: Path, layouts: dict[Layout, Layout] | None = None) -> StageRecord:
    """Compose `path` (sublayers, references and all) and read its content hash and features in one pass.
    `layouts` interns feature layouts: the variants of one twin share one (thousands of keys) in memory."""
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
    if layouts is not None:
        layout = layouts.setdefault(layout, layout)
    return StageRecord(label(path), h.hexdigest(), layout, values, len(records))


def read_all(paths: list[Path], progress=None) -> list[StageRecord]:
    """Every stage read once, in order; `progress(done, total)` after each."""
    layouts: dict[Layout, Layout] = {}
    out = []
    for i, path in enumerate(paths):
        out.append(read_stage(path, layouts))
        if progress is not None:
            progress(i + 1, len(paths))
    return out
