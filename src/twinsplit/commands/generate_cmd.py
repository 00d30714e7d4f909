from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import click

from ..write.layer_format import DEFAULT_LAYER_FORMAT, LAYER_FORMATS
from .executor_opts import executor_options
from .lineage_opts import apply_lineage, lineage_options


def progress_bar():
    """A rich progress bar on stderr when it is a terminal; nothing in CI logs, pipes or stdout."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=True, console=Console(stderr=True))


PHASES = ("drawing", "writing")  # generate's phases, in order: one bar runs across all of them
SIMCHECK_PHASES = (*PHASES, "simulating")  # with --simcheck


def progress_callback(bar, phases: tuple[str, ...] = PHASES):
    """Report generate's `phases` on one bar task (its ETA across all of them), described by the phase running;
    drawing and writing are ticked as each chunk comes back from the workers, simulating per variant."""
    if bar is None:
        return None
    task: list[int] = []

    def update(phase: str, done: int, total: int) -> None:
        if not task:
            task.append(bar.add_task(f"{phase} variants", total=total * len(phases)))
        k = phases.index(phase) if phase in phases else len(phases) - 1
        bar.update(task[0], description=f"{phase} variants", completed=k * total + done)

    return update


@click.command("generate")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML config (see `twinsplit init`).")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Output directory (must not exist or be empty).")
@click.option("--train", "n_train", type=click.IntRange(min=1), required=True, help="Number of train variants.")
@click.option("--holdout", "n_holdout", type=click.IntRange(min=1), required=True, help="Number of holdout variants.")
@click.option("--seed-train", type=click.IntRange(min=0), help="Train root entropy (default: config, else the OS).")
@click.option("--seed-holdout", type=click.IntRange(min=0), help="Holdout root entropy (default: config, else the OS).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for drawing and writing (same bytes for any K).")
@click.option("--layer-format", type=click.Choice(LAYER_FORMATS), default=DEFAULT_LAYER_FORMAT, show_default=True,
              help="Variant layer file format: usdc (crate: what NVIDIA's validator wants for time samples) or "
                   "usda (text, for reading diffs).")
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
@click.option("--seal", "seal_key", type=click.Path(path_type=Path),
              help="Seal the holdout: write its entropy to this key file; OUT keeps only a commitment.")
@click.option("--holdout-out", type=click.Path(path_type=Path), help="With --seal: where the holdout variants go.")
@click.option("--sign", "sign_key", type=click.Path(path_type=Path),
              help="Ed25519 private key (twinsplit keygen): write OUT/attestation.json.")
@executor_options
@click.option("--resume", is_flag=True,
              help="Continue a killed run of OUT from its completed chunks (same bytes as an uninterrupted run); "
                   "on a complete OUT, do nothing.")
@lineage_options
@click.option("--holdout-source", type=click.Path(path_type=Path),
              help="A second stage of the same site (another scan or model): the holdout is drawn and written on it.")
@click.option("--simcheck", is_flag=True, help="Simulate every variant in Newton (the sim extra) and redraw the "
              "unstable ones from their own streams; the manifest records each variant's result.")
@click.option("--simcheck-tries", type=click.IntRange(min=1), default=3, show_default=True,
              help="With --simcheck: draws a variant may use (the first included) before generate fails.")
@click.option("--sim-seconds", type=click.FloatRange(min=0, min_open=True), default=0.5, show_default=True,
              help="With --simcheck: simulated seconds per variant.")
@click.option("--sim-hz", type=click.FloatRange(min=1), default=240.0, show_default=True,
              help="With --simcheck: simulation steps per second.")
def command(source: Path, config_path: Path | None, out: Path, n_train: int, n_holdout: int,
            seed_train: int | None, seed_holdout: int | None, workers: int, layer_format: str, force: bool,
            seal_key: Path | None, holdout_out: Path | None, sign_key: Path | None, holdout_source: Path | None,
            executor: str, ray_address: str | None, resume: bool, simcheck: bool, simcheck_tries: int,
            sim_seconds: float, sim_hz: float, **lineage_flags) -> None:
    """Generate train and holdout twin variants of SOURCE, and the manifest that proves independence."""
    from ..config import config_model, load_config
    from ..generate import Request, complete_set, run

    config = apply_lineage(load_config(config_path) if config_path else config_model()(), lineage_flags)
    check = None
    if simcheck:
        from ..sim.runner import Settings
        from ..sim.variant_check import NewtonCheck

        check = NewtonCheck(Settings(sim_seconds, sim_hz), simcheck_tries)
    req = Request(source, config, out, n_train, n_holdout, seed_train, seed_holdout, workers, force,
                  seal_key, holdout_out, sign_key, layer_format, holdout_source, resume,
                  executor, ray_address, check)
    if complete_set(req):
        click.echo(f"{out} is complete: nothing to resume")
        return
    with progress_bar() as bar:
        manifest = run(req, progress_callback(bar, SIMCHECK_PHASES if simcheck else PHASES))
    summarize(manifest, out, holdout_out, seal_key, sign_key)
    if "holdout_source" in manifest:
        from ..proof.holdout_source import summary

        for line in summary(manifest["holdout_source"]):
            click.echo(line, err=line.startswith("warning"))


def summarize(manifest: dict, out: Path, holdout_out: Path | None, seal_key: Path | None,
              sign_key: Path | None) -> None:
    d, counts = manifest["disjointness"], manifest["counts"]
    click.echo(f"wrote {counts['train']} train + {counts['holdout']} holdout variants "
               f"of {len(manifest['parameters'])} parameters to {out}")
    if holdout_out is not None:
        click.echo(f"sealed: holdout variants in {holdout_out}, key in {seal_key} (keep it away from trainers)")
    if sign_key is not None:
        click.echo(f"signed: {out / 'attestation.json'}")
    click.echo(f"min train-holdout {d['metric']} distance {d['min_distance']} (margin {d['min_margin']}), "
               f"energy distance {manifest['distance'].get('energy_distance', 'sealed')}")
    events: dict[str, dict[str, int]] = {}
    for v in manifest["variants"]:
        for e in v.get("events", []):
            events.setdefault(e.get("kind", "?"), {"train": 0, "holdout": 0})[v["split"]] += 1
    for kind, n in sorted(events.items()):
        click.echo(f"event {kind}: {n['train']} in train, {n['holdout']} in holdout")
    if "simcheck" in manifest:
        tries = [v["simcheck"]["tries"] for v in manifest["variants"]]
        click.echo(f"simcheck: every variant stable in Newton; {sum(t > 1 for t in tries)} redrawn "
                   f"({sum(tries)} simulated draws for {len(tries)} variants)")
