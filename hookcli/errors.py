"""The one error type the CLI turns into an exit code and a one-line message."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2


class HookcliError(Exception):
    """An expected failure: shown as one line on stderr, never as a traceback."""

    def __init__(self, message: str, hint: str | None = None, code: ExitCode = ExitCode.FAILED):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(HookcliError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message, hint, ExitCode.USAGE)
