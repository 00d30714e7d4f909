from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..verify.core import Check

from ..errors import Failed

# Status column of the text output (by verify.core.Status value): five wide, so every check name starts in the
# same column.
LABELS = {"ok": "ok", "fail": "FAIL", "skip": "skip", "crash": "CRASH"}


def text_lines(results: list[Check]) -> list[str]:
    """`<status> <check>[: detail]` per check, each finding indented below it, then the verdict."""
    lines = []
    for r in results:
        lines.append(f"{LABELS[r.status.value]:<5} {r.name}" + (f": {r.detail}" if r.detail and r.ok else ""))
        lines += [f"      {f.text}" for f in r.findings]
    lines.append("verified: the independence proof holds" if all(r.ok for r in results) else "verification FAILED")
    return lines


def _list_checks(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from ..verify.core import load_builtin, ordered

    infos = ordered(load_builtin().values())
    width = max(len(i.id) for i in infos)
    for i in infos:
        click.echo(f"{i.id:<{width}}  {i.summary}")
    ctx.exit(0)


@click.command("verify")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--json", "as_json_flag", is_flag=True, help="Print the checks as JSON.")
@click.option("--holdout", "holdout", type=click.Path(path_type=Path),
              help="Sealed holdout directory (generate --holdout-out).")
@click.option("--reveal", type=click.Path(path_type=Path),
              help="Seal key file (generate --seal) that opens the commitment.")
@click.option("--pubkey", type=click.Path(path_type=Path),
              help="Public key: check OUT/attestation.json's signature and subjects.")
@click.option("--purpose", help="Fail unless the set was generated for this purpose (one of lineage.purpose, "
                                "exactly, case-sensitive).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes re-deriving the variants (the same result for any count).")
@click.option("--list-checks", is_flag=True, is_eager=True, expose_value=False, callback=_list_checks,
              help="List every check in the order verify runs them, with its description, then exit.")
def command(out: Path, as_json_flag: bool, holdout: Path | None, reveal: Path | None, pubkey: Path | None,
            purpose: str | None, workers: int) -> None:
    """Re-derive and re-check a generated set; exit 1 naming every check that fails (or crashes)."""
    from ..verify.core import as_json, verify

    results = verify(out, holdout=holdout, reveal=reveal, pubkey=pubkey, purpose=purpose, workers=workers)
    if as_json_flag:
        click.echo(json.dumps(as_json(results), indent=2))
    else:
        click.echo("\n".join(text_lines(results)))
    if not all(r.ok for r in results):
        raise Failed(1)
