"""The one error type users see: a message naming the problem, exit code 1 (2 for unreadable input)."""


class TwinsplitError(Exception):
    """A problem with the user's input or environment; the CLI prints it without a traceback."""

    exit_code = 1


class InputError(TwinsplitError):
    """Unreadable or malformed input (USD that does not open, YAML that does not parse)."""

    exit_code = 2
