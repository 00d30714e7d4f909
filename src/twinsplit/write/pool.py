"""Render a plan's variants to bytes (usda + values json), in this process or a pool of workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..blocks.data import Columns
from ..plan.bind import bind
from ..plan.draw import Plan
from ..scene.info import SceneInfo
from .layer import render, values_bytes

if TYPE_CHECKING:
    from ..config import Config


@dataclass(frozen=True)
class Rendered:
    split: str
    index: int
    usda: bytes
    values: bytes
    events: list[dict[str, Any]]
    notes: dict[str, Any]
    reactions: list[dict[str, Any]]


def event_entries(edits) -> list[dict[str, Any]]:
    return [e.meta["event"] for e in edits if type(e) is not Columns and "event" in e.meta]


def reaction_entries(edits) -> list[dict[str, Any]]:
    """What people did about the other events (events.person), in block order."""
    return [r for e in edits if type(e) is not Columns for r in e.meta.get("reactions", ())]


def render_one(plan: Plan, split: str, index: int, sublayer: str, metadata: dict[str, Any]) -> Rendered:
    return render_batch(plan, split, index, plan.batch(split, index), sublayer, metadata)


def render_batch(plan: Plan, split: str, index: int, edits: list, sublayer: str, metadata: dict[str, Any]
                 ) -> Rendered:
    """One variant from its Plan.batch (which a caller may keep: verify reads the authored values from it)."""
    return Rendered(split, index, render(edits, sublayer, metadata), values_bytes(edits), event_entries(edits),
                    plan.notes(split, index), reaction_entries(edits))


# Worker state: each worker binds the config to the scene once, then renders many variants.
_WORKER: dict[str, Any] = {}


def _init_worker(scene: SceneInfo, config: Config, draws: dict[str, np.ndarray], sublayer: str, metadata: dict) -> None:
    from ..plan.draw import SplitPlan

    plan = Plan(scene, config, bind(scene, config))
    plan.splits = {s: SplitPlan(s, 0, d, np.zeros(len(d), dtype=np.int64)) for s, d in draws.items()}
    _WORKER.update(plan=plan, sublayer=sublayer, metadata=metadata)


def _render_chunk(jobs: list[tuple[str, int]]) -> list[Rendered]:
    return [render_one(_WORKER["plan"], s, i, _WORKER["sublayer"], _WORKER["metadata"]) for s, i in jobs]


def render_all(plan: Plan, sublayer: str, metadata: dict[str, Any], workers: int = 1,
               on_done: Callable[[int], None] | None = None) -> Iterator[Rendered]:
    """Yield every variant in split/index order. Output is identical whatever the worker count."""
    jobs = [(s, i) for s in plan.splits for i in range(len(plan.splits[s].draws))]
    if workers <= 1 or len(jobs) < 2 * workers:
        for s, i in jobs:
            yield render_one(plan, s, i, sublayer, metadata)
            if on_done:
                on_done(1)
        return
    import multiprocessing

    chunk = max(1, min(64, len(jobs) // (workers * 4)))
    chunks = [jobs[k : k + chunk] for k in range(0, len(jobs), chunk)]
    draws = {s: sp.draws for s, sp in plan.splits.items()}
    ctx = multiprocessing.get_context("spawn")  # fork after USD has started threads is not safe
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(plan.scene, plan.config, draws, sublayer, metadata)) as pool:
        for results in pool.map(_render_chunk, chunks):
            for r in results:
                yield r
            if on_done:
                on_done(len(results))
