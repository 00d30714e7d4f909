"""--executor / --ray-address: where generate's and verify's chunk tasks run (write/ray_executor.py)."""

from __future__ import annotations

import click

# write.ray_executor.EXECUTORS, not imported here: it loads the planner (and numpy) when the CLI starts
EXECUTORS = ("local", "ray")


def executor_options(fn):
    fn = click.option("--ray-address", help="With --executor ray: the cluster to join (default: RAY_ADDRESS, else "
                                            "a new local one).")(fn)
    return click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
                        help="Where the chunk tasks run: local processes, or a Ray cluster (needs twinsplit[ray]).")(fn)
