from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import click

from ..config import Config, load_config
from ..generate import Request, run
from .common import friendly


def progress_bar():
    """A rich progress bar on a terminal; nothing in CI logs or pipes."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=True)


@click.command("generate")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML config (see `twinsplit init`).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory (must not exist or be empty).")
@click.option("--train", "n_train", type=click.IntRange(min=1), required=True, help="Number of train variants.")
@click.option("--holdout", "n_holdout", type=click.IntRange(min=1), required=True, help="Number of holdout variants.")
@click.option("--seed-train", type=click.IntRange(min=0), help="Train root entropy (default: config, else the OS).")
@click.option("--seed-holdout", type=click.IntRange(min=0), help="Holdout root entropy (default: config, else the OS).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes for writing.")
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
@friendly
def command(source: Path, config_path: Path | None, out: Path, n_train: int, n_holdout: int,
            seed_train: int | None, seed_holdout: int | None, workers: int, force: bool) -> None:
    """Generate train and holdout twin variants of SOURCE, and the manifest that proves independence."""
    config = load_config(config_path) if config_path else Config()
    req = Request(source, config, out, n_train, n_holdout, seed_train, seed_holdout, workers, force)
    with progress_bar() as bar:
        task = bar.add_task("writing variants", total=n_train + n_holdout) if bar else None
        manifest = run(req, (lambda done, total: bar.update(task, completed=done)) if bar else None)
    d = manifest["disjointness"]
    click.echo(f"wrote {manifest['counts']['train']} train + {manifest['counts']['holdout']} holdout variants "
               f"of {len(manifest['parameters'])} parameters to {out}")
    click.echo(f"min train-holdout {d['metric']} distance {d['min_distance']} (margin {d['min_margin']}), "
               f"energy distance {manifest['distance'].get('energy_distance')}")
