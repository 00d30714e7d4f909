from __future__ import annotations

from pathlib import Path

import click

from ..errors import Failed


@click.command("report")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("-o", "--output", "dest", type=click.Path(path_type=Path, dir_okay=False),
              help="HTML file to write (default: <OUT parent>/<OUT name>-report.html; never inside OUT).")
@click.option("--holdout", "holdout", type=click.Path(path_type=Path),
              help="Sealed holdout directory (generate --holdout-out).")
@click.option("--reveal", type=click.Path(path_type=Path),
              help="Seal key file that opens the commitment (shows the holdout).")
@click.option("--pubkey", type=click.Path(path_type=Path),
              help="Public key: also check OUT/attestation.json's signature.")
@click.option("--results", type=click.Path(path_type=Path, dir_okay=False),
              help="A policy's results (as for `twinsplit score`): adds the score section.")
def command(out: Path, dest: Path | None, holdout: Path | None, reveal: Path | None, pubkey: Path | None,
            results: Path | None) -> None:
    """Write one self-contained HTML report of a generated set (verify's checks, train vs holdout plots).

    The report is written even when verification fails; the exit code is then 1.
    """
    from ..report.page import write

    path, report = write(out, dest, holdout=holdout, reveal=reveal, pubkey=pubkey, results=results)
    click.echo(f"report: {path} ({report.images} figures)")
    for note in report.notes:
        click.echo(f"note: {note}")
    if not report.ok:
        click.echo("verification FAILED (see the report's check table)")
        raise Failed(1)
