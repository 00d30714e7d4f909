from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import Failed
from ..verify.core import as_json, verify


@click.command("verify")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--json", "as_json_flag", is_flag=True, help="Print the checks as JSON.")
@click.option("--holdout", "holdout", type=click.Path(path_type=Path),
              help="Sealed holdout directory (generate --holdout-out).")
@click.option("--reveal", type=click.Path(path_type=Path),
              help="Seal key file (generate --seal) that opens the commitment.")
@click.option("--pubkey", type=click.Path(path_type=Path),
              help="Public key: check OUT/attestation.json's signature and subjects.")
def command(out: Path, as_json_flag: bool, holdout: Path | None, reveal: Path | None, pubkey: Path | None) -> None:
    """Re-derive and re-check a generated set; exit 1 naming every check that fails."""
    results = verify(out, holdout=holdout, reveal=reveal, pubkey=pubkey)
    ok = all(r.ok for r in results)
    if as_json_flag:
        click.echo(json.dumps(as_json(results), indent=2))
    else:
        for r in results:
            status = "skip" if r.skipped else ("ok  " if r.ok else "FAIL")
            click.echo(f"{status}  {r.name}" + (f": {r.detail}" if r.detail and r.ok else ""))
            for p in r.problems:
                click.echo(f"      {p}")
        click.echo("verified: the independence proof holds" if ok else "verification FAILED")
    if not ok:
        raise Failed(1)
