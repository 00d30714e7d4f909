"""`twinsplit keygen --out DIR`: a new Ed25519 key pair for signing attestations."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import TwinsplitError


@click.command("keygen")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for twinsplit.key (mode 0600) and twinsplit.pub; created if missing.",
)
def command(out_dir: Path) -> None:
    """Create an Ed25519 key pair; never overwrites an existing key."""
    from ..proof.attest import generate_keypair, public_keyid

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        private_path, public_path = generate_keypair(out_dir)
        keyid = public_keyid(public_path)
    except OSError as exc:
        raise TwinsplitError(f"cannot create {out_dir}: {exc.strerror}") from None
    click.echo(f"private key: {private_path}")
    click.echo(f"public key:  {public_path}")
    click.echo(f"key id:      {keyid}")
