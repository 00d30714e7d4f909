"""Command line: one click group; every subcommand lives in its own module under twinsplit.commands."""

from __future__ import annotations

import click

from . import __version__
from .commands import register_all


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="twinsplit")
def main() -> None:
    """Make held-out OpenUSD digital twins and prove train/holdout independence."""


register_all(main)
