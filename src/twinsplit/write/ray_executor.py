"""--executor ray: the chunk tasks of write.chunks (drawing) and write.pool (rendering; verify's re-derivation,
verify.rederive_pool) on a Ray cluster.

Each of the K actors (`--workers K`) runs the same initializer as a local worker process (the scene description
and the config, shipped once per actor), then the same chunk functions, and the results come back in order: the
output is the same bytes as the local executor's. generate's workers read no file (the driver writes every file
into OUT's staged directory and commits it as a local run does); verify's read the set's variant files, so the
set must be on a path every node sees. Needs the extra: `pip install 'twinsplit[ray]'`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import TwinsplitError
from .chunks import PoolFactory, star

EXECUTORS = ("local", "ray")


def ray_module():
    try:
        import ray
    except ImportError:
        raise TwinsplitError("--executor ray needs Ray: pip install 'twinsplit[ray]'") from None
    return ray


class RayPool:
    """A WorkerPool of `workers` Ray actors (ray.util.multiprocessing.Pool) on the cluster at `address` (None: the
    one this process is connected to, else RAY_ADDRESS, else a new local one)."""

    def __init__(self, workers: int, initializer: Callable[..., None], initargs: tuple,
                 address: str | None = None) -> None:
        ray = ray_module()
        if not ray.is_initialized():
            ray.init(address=address, log_to_driver=False, include_dashboard=False)
        from ray.util.multiprocessing import Pool

        self._pool = Pool(processes=workers, initializer=initializer, initargs=initargs)

    def imap(self, fn: Callable[..., Any], jobs: Iterable[tuple]) -> Iterator[Any]:
        return self._pool.imap(functools.partial(star, fn), list(jobs))

    def close(self) -> None:
        self._pool.terminate()


def pool_of(executor: str, address: str | None = None) -> PoolFactory | None:
    """The PoolFactory chunk tasks run on for `--executor` (None: local processes); raises on an executor not known,
    an address without Ray, or Ray missing (generate's and verify's options)."""
    if executor not in EXECUTORS:
        raise TwinsplitError(f"executor {executor!r} is not one of {', '.join(EXECUTORS)}")
    if address is not None and executor != "ray":
        raise TwinsplitError("--ray-address goes with --executor ray")
    return ray_pool(address) if executor == "ray" else None


def ray_pool(address: str | None = None) -> PoolFactory:
    """A PoolFactory of RayPools on `address`."""
    ray_module()  # fail before any work when the extra is missing
    return functools.partial(_make, address=address)


def _make(workers: int, initializer: Callable[..., None], initargs: tuple, address: str | None = None) -> RayPool:
    return RayPool(workers, initializer, initargs, address)
