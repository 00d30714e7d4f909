"""Render a plan's variants to bytes (the layer in its format + values json), in this process or a pool of workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..blocks.data import Columns
from ..plan.bind import bind
from ..plan.draw import Plan
from ..scene.info import SceneInfo
from .chunks import PoolFactory, run_chunks
from .layer import render, values_bytes
from .layer_format import encode

if TYPE_CHECKING:
    from ..config import Config


@dataclass(frozen=True)
class Rendered:
    split: str
    index: int
    layer: bytes  # in the plan's layer format (write.layer_format)
    values: bytes
    events: list[dict[str, Any]]
    notes: dict[str, Any]
    reactions: list[dict[str, Any]]


def event_entries(edits) -> list[dict[str, Any]]:
    return [e.meta["event"] for e in edits if type(e) is not Columns and "event" in e.meta]


@dataclass(frozen=True)
class Target:
    """How every variant layer of a set is written: its sublayer path, stage metadata and file format."""
    sublayer: str
    metadata: dict[str, Any]
    layer_format: str


def reaction_entries(edits) -> list[dict[str, Any]]:
    """What people did about the other events (events.person), in block order."""
    return [r for e in edits if type(e) is not Columns for r in e.meta.get("reactions", ())]


def render_one(plan: Plan, split: str, index: int, target: Target) -> Rendered:
    return render_batch(plan, split, index, plan.batch(split, index), target)


def render_batch(plan: Plan, split: str, index: int, edits: list, target: Target) -> Rendered:
    """One variant from its Plan.batch (which a caller may keep: verify reads the authored values from it)."""
    layer = encode(render(edits, target.sublayer, target.metadata), target.layer_format)
    return Rendered(split, index, layer, values_bytes(edits), event_entries(edits), plan.notes(split, index),
                    reaction_entries(edits))


# Worker state: each worker binds the config to the scene once, then renders many variants.
_WORKER: dict[str, Any] = {}


def init_worker(scene: SceneInfo, config: Config, draws: dict[str, np.ndarray], target: Target) -> None:
    """A worker's plan of the draws given ({split: rows}) and the target it renders to (also verify's workers)."""
    from ..plan.draw import SplitPlan

    plan = Plan(scene, config, bind(scene, config))
    plan.splits = {s: SplitPlan(s, 0, d, np.zeros(len(d), dtype=np.int64)) for s, d in draws.items()}
    _WORKER.update(plan=plan, target=target)


def worker_plan() -> tuple[Plan, Target]:
    """In a worker process, after init_worker: its plan and target."""
    return _WORKER["plan"], _WORKER["target"]


def _render_chunk(jobs: list[tuple[str, int]]) -> list[Rendered]:
    plan, target = worker_plan()
    return [render_one(plan, s, i, target) for s, i in jobs]


def render_all(plan: Plan, target: Target, workers: int = 1, on_done: Callable[[int], None] | None = None,
               holdout_target: Target | None = None, skip: frozenset[tuple[str, int]] = frozenset(),
               pool: PoolFactory | None = None) -> Iterator[Rendered]:
    """Yield every variant in split/index order, but those in `skip` (split, index): written by a run resumed.
    Output is identical whatever the worker count. With a holdout source the holdout is rendered from its own
    plan (its stage, its blocks) with `holdout_target`. `pool`: where the chunks render (write.chunks.LocalPool
    processes by default; write.ray_executor.RayPool), used whatever the count of variants."""
    if (hs := plan.holdout_source) is not None:
        train = Plan(plan.scene, plan.config, plan.blocks, {s: sp for s, sp in plan.splits.items() if s != "holdout"})
        yield from render_all(train, target, workers, on_done, skip=skip, pool=pool)
        if "holdout" in hs.plan.splits:
            yield from render_all(hs.plan, holdout_target, workers, on_done, skip=skip, pool=pool)
        return
    jobs = [(s, i) for s in plan.splits for i in range(len(plan.splits[s].draws)) if (s, i) not in skip]
    if pool is None and (workers <= 1 or len(jobs) < 2 * workers):
        for s, i in jobs:
            yield render_one(plan, s, i, target)
            if on_done:
                on_done(1)
        return
    draws = {s: sp.draws for s, sp in plan.splits.items()}
    with closing(run_chunks(_render_chunk, jobs, workers, init_worker, (plan.scene, plan.config, draws, target),
                            pool)) as chunks:
        for results in chunks:
            yield from results
            if on_done:
                on_done(len(results))
