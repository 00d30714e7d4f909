"""Subcommands. Each module exposes one click command named `command`; order here is the help order."""

from __future__ import annotations

import importlib

import click

# Module names under twinsplit.commands, each defining `command`.
COMMANDS = ["init", "generate", "verify", "validate", "report", "keygen", "schema"]


def register_all(group: click.Group) -> None:
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}_cmd")
        except ModuleNotFoundError as exc:  # a command not built yet is simply absent
            if exc.name == f"{__name__}.{name}_cmd":
                continue
            raise
        group.add_command(module.command)
