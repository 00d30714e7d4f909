"""Planning in chunks on worker processes (generate --workers K).

A chunk task is a range of variant indices of one split. Each variant draws from its own streams
`SeedSequence(entropy, spawn_key=(i, block))` (plan.draw.stream), so a chunk needs nothing but the scene, the
config and the split's entropy: it returns every variant's first draw and each block's stream state after it.
Margin and OOD rejection then run in the main process in index order (plan.draw.sample_split), and a rejected
variant's redraws continue from its own streams' saved states, so the plan is the same for any worker count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..plan.bind import Block
from ..plan.draw import plan_blocks, stream
from ..plan.keep import draw_variant
from ..scene.info import SceneInfo

if TYPE_CHECKING:
    from ..config import Config

MAX_CHUNK = 64


def draw_chunk(scene: SceneInfo, blocks: list[Block], split: str, entropy: int, start: int,
               stop: int) -> tuple[int, np.ndarray, list[list[dict[str, Any]]]]:
    """Variants start..stop-1 of a split: (start, their first draws, each block's stream state after them)."""
    rows = np.zeros((stop - start, sum(len(b.params) for b in blocks)))
    states = []
    for k, i in enumerate(range(start, stop)):
        gens = [stream(entropy, i, b) for b in blocks]
        rows[k] = draw_variant(scene, blocks, split, gens)
        states.append([g.bit_generator.state for g in gens])
    return start, rows, states


def chunk_ranges(n: int, workers: int) -> list[tuple[int, int]]:
    """[start, stop) ranges covering 0..n-1: about four per worker, at most MAX_CHUNK variants each."""
    size = max(1, min(MAX_CHUNK, -(-n // (workers * 4))))
    return [(k, min(n, k + size)) for k in range(0, n, size)]


class WorkerPool(Protocol):
    """Where chunk tasks run: K local processes (LocalPool) or a Ray cluster (write.ray_executor.RayPool)."""

    def imap(self, fn: Callable[..., Any], jobs: Iterable[tuple]) -> Iterator[Any]:
        """fn(*job) for every job, results in the jobs' order."""
        ...

    def close(self) -> None: ...


# (workers, initializer, initargs) -> a WorkerPool whose every process ran initializer(*initargs) first
PoolFactory = Callable[[int, Callable[..., None], tuple], WorkerPool]


def star(fn: Callable[..., Any], job: tuple) -> Any:
    return fn(*job)


class LocalPool:
    """K spawned processes on this machine (fork after USD has started threads is not safe)."""

    def __init__(self, workers: int, initializer: Callable[..., None], initargs: tuple) -> None:
        import multiprocessing

        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=initializer, initargs=initargs)

    def imap(self, fn: Callable[..., Any], jobs: Iterable[tuple]) -> Iterator[Any]:
        jobs = list(jobs)
        return self._pool.map(star, [fn] * len(jobs), jobs)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def run_chunks(fn: Callable[[list], Any], jobs: list, workers: int, initializer: Callable[..., None],
               initargs: tuple, pool: PoolFactory | None = None) -> Iterator[Any]:
    """fn(chunk) for each chunk of `jobs` (chunk_ranges of `workers`), on a WorkerPool of `workers` whose every
    process ran initializer(*initargs) first (LocalPool unless `pool` says otherwise); each chunk's result in the
    jobs' order. The pool is closed when the results are exhausted or the iterator is closed."""
    running = (pool or LocalPool)(workers, initializer, initargs)
    try:
        yield from running.imap(fn, [(jobs[a:b],) for a, b in chunk_ranges(len(jobs), workers)])
    finally:
        running.close()


# Worker state: each worker binds the config to the scene once, then draws many chunks.
_WORKER: dict[str, Any] = {}


def _init_worker(scene: SceneInfo, config: Config) -> None:
    _WORKER.update(scene=scene, blocks=plan_blocks(scene, config))


def _draw_task(split: str, entropy: int, start: int, stop: int):
    return draw_chunk(_WORKER["scene"], _WORKER["blocks"], split, entropy, start, stop)


class ChunkDrawer:
    """plan.draw.FirstDraws on a WorkerPool of `workers` (LocalPool unless `pool` says otherwise; started on first
    use, close() ends it). `on_done(k)` is told of each chunk of k variants as it comes back."""

    def __init__(self, scene: SceneInfo, config: Config, workers: int,
                 on_done: Callable[[int], None] | None = None, pool: PoolFactory = LocalPool) -> None:
        self.scene, self.config, self.workers, self.on_done = scene, config, workers, on_done
        self._factory, self._pool = pool, None

    def _executor(self) -> WorkerPool:
        if self._pool is None:
            self._pool = self._factory(self.workers, _init_worker, (self.scene, self.config))
        return self._pool

    def __call__(self, split: str, entropy: int, n: int) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
        jobs = [(split, entropy, a, b) for a, b in chunk_ranges(n, self.workers)]
        rows: np.ndarray | None = None
        states: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        for start, chunk, chunk_states in self._executor().imap(_draw_task, jobs):  # in index order
            if rows is None:
                rows = np.zeros((n, chunk.shape[1]))
            rows[start:start + len(chunk)] = chunk
            states[start:start + len(chunk)] = chunk_states
            if self.on_done is not None:
                self.on_done(len(chunk))
        return (rows if rows is not None else np.zeros((0, 0))), states

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> ChunkDrawer:
        return self

    def __exit__(self, *_) -> None:
        self.close()
