"""`twinsplit simcheck PATH...`: step stages and every variant of output dirs in Newton and judge each body."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Failed, InputError


@click.command("simcheck")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Simulated time from the stage's start time.")
@click.option("--hz", type=click.FloatRange(min=1), default=240.0, show_default=True, help="Steps per second.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (one stage or variant each).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github"]), default="text",
              show_default=True, help="Report format (validate's).")
def command(paths: tuple[Path, ...], seconds: float, hz: float, workers: int, fmt: str) -> None:
    """Simulate stages, folders of stages or twinsplit output dirs (every variant) in Newton on the CPU.

    Per stage: the active rigid bodies load, nothing turns NaN, explodes, falls through its support or out of
    the scene, and resting bodies stay at rest; kinematic bodies follow their time samples. Needs the sim extra
    (pip install 'twinsplit[sim]').

    Exit status: 0 all stable; 1 a body is unstable (the report names the variant and the bodies); 2 unusable
    input or no simulator.
    """
    from ..sim.runner import Settings, simcheck
    from ..sim.runtime import kernel_cache, versions
    from ..validate.formats import FORMATS

    report = simcheck(paths, Settings(seconds, hz), workers)
    if fmt == "text":  # what the verdict was simulated with (the other formats keep validate's shapes)
        engine = ", ".join(f"{k} {v}" for k, v in versions().items())
        click.echo(f"simcheck: {seconds:g} s at {hz:g} Hz; {engine}; kernel cache {kernel_cache()}")
    click.echo(FORMATS[fmt](report), nl=False)
    if report.unreadable:
        raise InputError("; ".join(f.error for f in report.unreadable))
    if code := report.exit_code():
        raise Failed(code)
