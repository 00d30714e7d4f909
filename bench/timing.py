"""The one timing helper the benches share."""

from __future__ import annotations

import gc
import time


def best(f, n: int = 3) -> tuple[float, object]:
    """(best wall time of n calls of f in seconds, f's last result); a collection before each call, so garbage
    from the previous call is not billed to the next."""
    times = []
    for _ in range(n):
        gc.collect()
        t0 = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t0)
    return min(times), result
