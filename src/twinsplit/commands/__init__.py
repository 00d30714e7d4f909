"""Subcommands. Each module exposes one click command named `command`; the group lists them sorted by name.
Commands raise twinsplit.errors (or click.UsageError) and never exit themselves: cli.py sets every exit code.

A command module is imported only when its command runs (or `--help` lists it), and imports what its command
needs inside the command's function: `twinsplit --help` costs the command modules, not USD, scipy or
matplotlib."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

# Module names under twinsplit.commands, each defining `command`.
COMMANDS = ["init", "generate", "verify", "validate", "audit", "simcheck", "score", "report", "keygen", "schema"]


def emit(text: str, output: Path | None, short: str) -> None:
    """A report command's text: to `output` with `short` (its one-line verdict) on stdout, else all on stdout."""
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(short)
    else:
        click.echo(text, nl=False)


def load(name: str) -> click.Command | None:
    """The command `name`, its module imported on first use; None for an unknown name."""
    if name not in COMMANDS:
        return None
    return importlib.import_module(f"{__name__}.{name}_cmd").command
