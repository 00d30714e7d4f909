"""Subcommands. Each module exposes one click command named `command`; order here is the help order.
Commands raise twinsplit.errors (or click.UsageError) and never exit themselves: cli.py sets every exit code."""

from __future__ import annotations

import importlib

import click

# Module names under twinsplit.commands, each defining `command`.
COMMANDS = ["init", "generate", "verify", "validate", "simcheck", "report", "keygen", "schema"]


def register_all(group: click.Group) -> None:
    for name in COMMANDS:
        group.add_command(importlib.import_module(f"{__name__}.{name}_cmd").command)
