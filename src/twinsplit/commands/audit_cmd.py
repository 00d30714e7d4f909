"""`twinsplit audit A... --against B...`: train/test contamination between two sets of USD stages."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Failed
from . import emit


class _Against(click.Command):
    """`--against B1 B2 ...`: every path after --against, up to the next option, is one more --against (click's
    options take a fixed number of values)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out, against = [], False
        for arg in args:
            if arg == "--against":
                against = True
                continue
            if arg.startswith("-"):
                against = False
            elif against:
                out.append("--against")
            out.append(arg)
        return super().parse_args(ctx, out)


@click.command("audit", cls=_Against)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--against", "against", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
              help="The set to audit against (e.g. the training files): stages, folders or twinsplit output dirs, "
                   "every path up to the next option.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              help="Near-duplicate distance: L-inf over shared feature values scaled to [0, 1] over both sets. "
                   "0 looks for exact duplicates only.  [default: 0.01]")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here (the verdict line still goes to stdout).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes reading stages (the same report for any K).")
def command(paths: tuple[Path, ...], against: tuple[Path, ...], threshold: float | None, fmt: str,
            output: Path | None, workers: int) -> None:
    """Audit stages for contamination against other stages: exact and near duplicates of composed content.

    PATHS (e.g. a holdout) and --against (e.g. the training files) are stages, folders or twinsplit output
    dirs, made by any tool: each stage is composed, so a flattened or re-exported copy is still caught.

    Exit status: 0 clean; 1 contamination found (each pair named); 2 usage error or unusable input.
    """
    from ..audit.compare import DEFAULT_THRESHOLD, audit
    from ..audit.extract import read_all, stage_files
    from ..audit.formats import FORMATS, verdict

    a_files, b_files = stage_files(paths), stage_files(against)
    result = audit(read_all(a_files, workers=workers), read_all(b_files, workers=workers),
                   DEFAULT_THRESHOLD if threshold is None else threshold)
    emit(FORMATS[fmt](result), output, verdict(result))
    if result.contaminated:
        raise Failed(1)
