"""Command line: one click group; every subcommand lives in its own module under twinsplit.commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from . import __version__, commands
from .errors import Failed, TwinsplitError

# click >= 8.2 raises this for a bare `twinsplit`; its show() prints the help, which must stay.
_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _OneLine(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(" ".join(message.split()))  # one line, even for click's multi-line choice lists
        self.exit_code = exit_code


@contextmanager
def _exit_path() -> Iterator[None]:
    """The CLI's one exit-code path: a TwinsplitError or a click usage error becomes `Error: <message>` on
    one stderr line with its exit code (1, or 2 for unreadable input and usage); Failed only sets the code."""
    try:
        yield
    except Failed as exc:
        raise click.exceptions.Exit(exc.exit_code) from None
    except TwinsplitError as exc:
        raise _OneLine(str(exc), exc.exit_code) from None
    except click.UsageError as exc:
        if isinstance(exc, _HELP):
            raise
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        raise _OneLine(exc.format_message() + hint, exc.exit_code) from None


class Main(click.Group):
    """The twinsplit group: parsing (make_context) and running (invoke) go through the one exit path; its
    commands are twinsplit.commands.COMMANDS, each imported when it is looked up (see commands/__init__.py)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(commands.COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return commands.load(cmd_name)

    def make_context(self, info_name, args, parent=None, **extra):
        with _exit_path():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context):
        with _exit_path():
            return super().invoke(ctx)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="twinsplit")
def main() -> None:
    """Make held-out OpenUSD digital twins and prove train/holdout independence."""

