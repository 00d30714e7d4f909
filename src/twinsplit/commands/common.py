"""What every command shares: turning TwinsplitError into one clean message and the right exit code."""

from __future__ import annotations

import functools
import logging

import click

from ..errors import TwinsplitError


class UserError(click.ClickException):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def friendly(fn):
    """Report a TwinsplitError as `Error: <message>` with its exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TwinsplitError as exc:
            raise UserError(str(exc), exc.exit_code) from None

    return wrapper


def quiet_validator_logs() -> None:
    logging.getLogger("omni.asset_validator").setLevel(logging.WARNING)
