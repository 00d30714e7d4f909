from __future__ import annotations

from pathlib import Path

import click

from ..errors import TwinsplitError


@click.command("init")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the config here (default: stdout).")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
def command(source: Path, output: Path | None, force: bool) -> None:
    """Write a commented starter config for SOURCE from what the stage contains."""
    from ..scene.discover import load
    from ..starter import starter_config

    _, scene = load(source)
    text = starter_config(scene, source)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists() and not force:
        raise TwinsplitError(f"{output} exists (use --force to overwrite)")
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    click.echo(f"wrote {output}", err=True)
