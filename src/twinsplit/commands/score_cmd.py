from __future__ import annotations

from pathlib import Path

import click


@click.command("score")
@click.argument("out", type=click.Path(path_type=Path))
@click.argument("results", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--metric", help="Metric column to score (default: `success` if present, else the first metric).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print: a summary, or the score record itself.")
@click.option("-o", "--output", "dest", type=click.Path(path_type=Path, dir_okay=False),
              help="Score record to write (default: <OUT parent>/<OUT name>-score.json; never inside OUT).")
@click.option("--reveal", type=click.Path(path_type=Path),
              help="Seal key file that opens a sealed holdout's commitment (its parameter values for attribution).")
def command(out: Path, results: Path, metric: str | None, fmt: str, dest: Path | None, reveal: Path | None) -> None:
    """Score a policy's results (CSV or JSON Lines, a `variant` column) on a set: split means, gap, attribution.

    Per split the mean with a 95 % bootstrap interval and the train -> holdout gap, the same per OOD region and
    holdout-only event kind, and the parameters and event kinds ranked by how much they explain the metric.
    """
    from ..score.compute import of_set
    from ..score.record import check_destination, default_path, dumps, text, write

    dest = Path(dest) if dest is not None else default_path(out)
    check_destination(out, dest)
    rec = of_set(out, results, metric, reveal)
    write(dest, rec)
    click.echo(dumps(rec), nl=False) if fmt == "json" else click.echo(text(rec, dest))
