"""The errors users see and the exit code each sets. The CLI (cli.py) is the one place that turns them into
one line on stderr and an exit code; nothing else exits."""


class TwinsplitError(Exception):
    """A problem with the user's input or environment; the CLI prints it without a traceback."""

    exit_code = 1


class InputError(TwinsplitError):
    """Unreadable or malformed input (USD that does not open, YAML that does not parse)."""

    exit_code = 2


class Failed(TwinsplitError):
    """The command ran and its verdict is no (verification FAILED, validation errors). It has already printed
    why, so the CLI adds nothing and only sets the exit code."""

    def __init__(self, exit_code: int = 1) -> None:
        super().__init__("")
        self.exit_code = exit_code
