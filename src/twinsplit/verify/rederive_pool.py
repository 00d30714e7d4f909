"""verify's re-derivation of the variants, in this process or on generate's worker pool (write.pool, write.chunks).

A job is one variant the manifest lists: (split, index, its layer's path, the set's layer format, its values
file's path); the paths are on the output directory, which every worker reads itself. `derive` re-derives the
variant (Plan.batch, the expensive part, and its layer rendered as usda text) and compares it with the files
there; what comes back (`Derived`) is all the check needs of it: whether each file is exactly the re-derived one,
the events and notes it gives, what its layer authors, and, when a file differs, the variant's batch, from which
the main process names the first difference. The same function runs for every worker count and executor, so the
findings are the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..plan.draw import Plan
from ..write.chunks import PoolFactory, run_chunks
from ..write.layer import Authored
from ..write.layer_format import detect
from ..write.pool import Target, init_worker, render_batch, worker_plan

# (split, index, layer path or None, layer format, values path or None)
Job = tuple[str, int, str | None, str, str | None]


@dataclass(frozen=True)
class Derived:
    """One variant re-derived and compared with its files."""
    split: str
    index: int
    layer: bool | None  # the layer file is exactly the re-derived layer (None: no file at its path)
    values: bool | None  # the values file is byte for byte the re-derived one (None: none listed, or no file)
    events: list[dict[str, Any]]
    notes: dict[str, Any]
    authored: Authored | None  # what the layer authors, when it is the re-derived layer
    items: list | None  # the variant's Plan.batch when a file differs (it names the first difference)


def same_layer(path: Path, data: bytes, text: bytes, layer_format: str) -> bool:
    """Is the file exactly the re-derived layer? usda: byte for byte. usdc: a crate file whose layer, exported as
    text by Sdf, is the re-derived text byte for byte (every spec, field, value and metadata; Sdf's crate writer
    is deterministic, so the same content is the same crate bytes, which the `files` check holds to the
    manifest's sha256)."""
    if layer_format != "usdc":
        return data == text
    if detect(data) != "usdc":
        return False
    from pxr import Sdf

    try:
        layer = Sdf.Layer.OpenAsAnonymous(str(path))
    except Exception:  # pxr raises Tf errors as plain exceptions: unreadable is not the same layer
        return False
    return layer is not None and layer.ExportToString().encode("utf-8") == text


def derive(plan: Plan, target: Target, split: str, index: int, layer_path: str | None, layer_format: str,
           values_path: str | None) -> Derived:
    """One variant re-derived on `target` (a usda one: the layer as text, see `same_layer`) and compared."""
    items = plan.batch(split, index)
    r = render_batch(plan, split, index, items, target)
    layer = values = None
    if layer_path is not None and (path := Path(layer_path)).is_file():
        layer = same_layer(path, path.read_bytes(), r.layer, layer_format)
    if values_path is not None and (vpath := Path(values_path)).is_file():
        values = vpath.read_bytes() == r.values
    differs = layer is False or values is False
    return Derived(split, index, layer, values, r.events, r.notes, Authored(items) if layer else None,
                   items if differs else None)


def _derive_chunk(jobs: list[Job]) -> list[Derived | Exception]:
    """On a worker: each job's Derived, or the exception it raised (raised again in the main process, at that
    variant's turn, so the findings before it are made as with one process)."""
    plan, target = worker_plan()
    out: list[Derived | Exception] = []
    for job in jobs:
        try:
            out.append(derive(plan, target, *job))
        except Exception as exc:  # noqa: BLE001 - re-raised by derive_all in the variant's order
            out.append(exc)
    return out


def derive_all(plan: Plan, jobs: list[Job], targets: dict[str, Target], workers: int = 1,
               pool: PoolFactory | None = None) -> Iterator[Derived]:
    """Every job's Derived, in the jobs' order (train jobs before holdout jobs). In this process with one worker
    and no pool, or fewer than 2 × `workers` jobs; else in chunks on `workers` processes (write.chunks.LocalPool)
    or `pool` (write.ray_executor: Ray), whose workers bind the config to the scene once (write.pool.init_worker).
    With a holdout source, the holdout's jobs run on a pool of its own plan (its stage, its blocks)."""
    if pool is None and (workers <= 1 or len(jobs) < 2 * workers):
        for job in jobs:
            yield derive(plan, targets[job[0]], *job)
        return
    hs = plan.holdout_source
    groups = [(plan, None)] if hs is None else [(plan, "train"), (hs.plan, "holdout")]
    for on, split in groups:
        mine = [j for j in jobs if split is None or j[0] == split]
        if not mine:
            continue
        draws = {s: on.splits[s].draws for s in dict.fromkeys(j[0] for j in mine)}
        initargs = (on.scene, on.config, draws, targets[mine[0][0]])
        with closing(run_chunks(_derive_chunk, mine, workers, init_worker, initargs, pool)) as chunks:
            for results in chunks:
                for d in results:
                    if isinstance(d, Exception):
                        raise d
                    yield d
