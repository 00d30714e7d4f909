"""Benchmark: the set-level statistics (`plan.stats.distance_report`) at the size of a 1,000-variant site set.

    python bench/bench_set_stats.py [--rows 500] [--columns 15042]

Two splits of `--rows` uniform rows each (the bench site's normalized parameters have 15,042 columns); wall time
of each piece and of the whole report. Run it on two checkouts (PYTHONPATH=<old>/src) to compare code side by side.
"""

from __future__ import annotations

import os
import time

import click
import numpy as np


@click.command()
@click.option("--rows", default=500, show_default=True, help="rows per split")
@click.option("--columns", default=15_042, show_default=True)
def main(rows: int, columns: int) -> None:
    from twinsplit.plan import stats

    rng = np.random.default_rng(0)
    a, b = rng.random((rows, columns)), rng.random((rows, columns))
    names = [f"p{j}" for j in range(columns)]
    stats.per_parameter(a[:3], b[:3], names)  # scipy.stats imported before timing
    print(f"{rows} + {rows} rows x {columns} columns, load average {os.getloadavg()[0]:.1f}, wall s:")
    pieces = [("energy + MMD", lambda: stats.energy_distance(a, b) + stats.mmd_rbf(a, b)[0]),
              ("per_parameter", lambda: stats.per_parameter(a, b, names)),
              ("nearest_train", lambda: [stats.nearest_train_distance(a, b, m) for m in ("linf", "l2")]),
              ("distance_report", lambda: stats.distance_report(a, b, names))]
    for label, f in pieces:
        t = time.perf_counter()
        f()
        print(f"  {label}: {time.perf_counter() - t:.2f}")


if __name__ == "__main__":
    main()
