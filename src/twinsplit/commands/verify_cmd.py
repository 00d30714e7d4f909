from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..verify.core import Check

from ..errors import Failed
from .executor_opts import executor_options

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
              help="Processes re-deriving and comparing the variants (the same result for any count).")
@executor_options
@click.option("--simulate", is_flag=True, help="Simulate every variant again in Newton (the sim extra) with the "
              "settings its simcheck records give (else simcheck's defaults); fail naming a variant that is unstable.")
@click.option("--list-checks", is_flag=True, is_eager=True, expose_value=False, callback=_list_checks,
              help="List every check in the order verify runs them, with its description, then exit.")
def command(out: Path, as_json_flag: bool, holdout: Path | None, reveal: Path | None, pubkey: Path | None,
            purpose: str | None, workers: int, executor: str, ray_address: str | None, simulate: bool) -> None:
    """Re-derive and re-check a generated set; exit 1 naming every check that fails (or crashes). With --simulate
    and no simulator installed: exit 2."""
    from ..verify.core import as_json, verify

    results = verify(out, holdout=holdout, reveal=reveal, pubkey=pubkey, purpose=purpose, workers=workers,
                     simulate=_simulator(out) if simulate else None, executor=executor, ray_address=ray_address)
    if as_json_flag:
        click.echo(json.dumps(as_json(results), indent=2))
    else:
        click.echo("\n".join(text_lines(results)))
    if not all(r.ok for r in results):
        raise Failed(1)


def _simulator(out: Path):
    """The Newton check, with the settings the set's simcheck record gives (simcheck's defaults without one)."""
    from .. import manifest as mf
    from ..sim.runner import Settings
    from ..sim.variant_check import NewtonCheck

    try:
        settings = (mf.load(out).get("simcheck") or {}).get("settings") or {}
    except Exception:  # noqa: BLE001 - an unreadable manifest is verify's own finding, reported by its checks
        settings = {}
    seconds, hz = settings.get("seconds"), settings.get("hz")
    ok = all(isinstance(x, int | float) and not isinstance(x, bool) and x > 0 for x in (seconds, hz))
    return NewtonCheck(Settings(float(seconds), float(hz)) if ok else Settings())
