"""Stages and twinsplit output directories -> one validate Report of simulation results (one file per stage or
variant), in this process or in K worker processes (each imports Newton once and uses Warp's kernel cache)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..validate.engine import FileResult, Kind, Report, discover, label, read_target
from .runtime import load


@dataclass(frozen=True)
class Settings:
    seconds: float = 1.0
    hz: float = 240.0


def jobs(paths: Iterable[str | Path]) -> list[tuple[Path, Kind] | FileResult]:
    """(stage, kind) for every stage named, and every variant of every output dir; a broken manifest is an
    unreadable FileResult."""
    out: list[tuple[Path, Kind] | FileResult] = []
    for target in discover(paths):
        if not target.output:
            out.append((target.path, "stage"))
            continue
        read = read_target(target)
        out += [read] if isinstance(read, FileResult) else [(v, "variant") for v in read[1]]
    return out


def check_one(path: Path, kind: Kind, settings: Settings) -> FileResult:
    """Open, simulate and judge one stage (a FileResult with `error` when it cannot be opened)."""
    from ..scene.discover import open_stage
    from .step import simulate
    from .tracks import stage_facts
    from .verdict import judge

    t0 = time.perf_counter()
    name = label(path)
    _reread(path)
    try:
        stage = open_stage(path)
    except InputError as exc:
        return FileResult(name, kind, error=str(exc))
    facts = stage_facts(stage)
    run = simulate(path, stage, facts, settings.seconds, settings.hz)
    return judge(name, kind, facts, run, time.perf_counter() - t0)


def _reread(path: Path) -> None:
    """USD's layer registry hands out a layer still open in this process as it was read, even after its file was
    rewritten (generate --simcheck rewrites a redrawn variant at the same path; the earlier simulation's stage may
    linger until Python's collector frees it). Reload such a layer so this simulation, and Newton's own import of
    the path, see what is on disk now, whatever the process did before."""
    from pxr import Sdf

    layer = Sdf.Layer.Find(str(Path(path).resolve()))
    if layer is not None:
        layer.Reload(force=True)


def _work(job: tuple[Path, Kind, Settings]) -> FileResult:
    return check_one(*job)


def simcheck(paths: Iterable[str | Path], settings: Settings, workers: int = 1) -> Report:
    todo = jobs(paths)
    load()  # the extra's absence is one clear error before any worker starts
    runs = [(j[0], j[1], settings) for j in todo if not isinstance(j, FileResult)]
    if workers > 1 and len(runs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, len(runs)), mp_context=multiprocessing.get_context("spawn")) as pool:
            done = iter(list(pool.map(_work, runs)))
    else:
        done = iter([_work(r) for r in runs])
    return Report(tuple(j if isinstance(j, FileResult) else next(done) for j in todo))
