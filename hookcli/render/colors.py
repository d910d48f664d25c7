"""The one colour layer: what each part of a line means (its role) and how that role looks,
as an ANSI code for the plain-string lines of the hot paths (listen, replay) and as a rich
style for everything rendered by rich (ls, show, diff) and drawn by the TUI (tui/colors.py
turns the roles into Textual's styles). Imports nothing heavy."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TextIO

#: role -> rich style name; the ANSI codes below are derived from the same names
ROLES: dict[str, str] = {
    "time": "dim",
    "id": "bold",
    "heading": "bold",
    "event": "cyan",
    "valid": "green",
    "invalid": "red",
    "ok": "green",
    "failed": "red",
    "pending": "yellow",
    "warning": "yellow",
    "source": "magenta",
    "name": "cyan",  # a header's or a field's name (show), a key (the TUI's help)
    "added": "green",  # diff: what b has and a lacks
    "removed": "red",  # diff: what a has and b lacks
    "changed": "yellow",  # diff: in both, not the same
    "dim": "dim",
    "bold": "bold",
    "plain": "",
}
_SGR = {"dim": "2", "bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
_SGR["magenta"] = "35"
_RESET = "\x1b[0m"


def style(role: str) -> str:
    """The rich style of ROLE."""
    return ROLES.get(role, "")


def signature_role(state: str | None) -> str:
    if not state:
        return "plain"
    return {"valid": "valid", "invalid": "invalid"}.get(state, "pending")


def status_role(status: int | None) -> str:
    if status is None:
        return "pending"
    return "ok" if 200 <= status < 300 else "failed"


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def terminal_width(stream: TextIO) -> Callable[[], int | None]:
    """How wide the terminal STREAM writes to is, asked at each call (it can be resized);
    None, always, when STREAM is not a terminal: a pipe or a file gets whole lines."""
    try:
        fd = stream.fileno()
        tty = os.isatty(fd)
    except (AttributeError, OSError, ValueError):
        tty = False
    if not tty:
        return lambda: None

    def width() -> int | None:
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        try:
            return os.get_terminal_size(fd).columns or None
        except OSError:
            return None

    return width


class Paint:
    """ANSI styling by role, by plain string concatenation, or none at all."""

    def __init__(self, color: bool):
        self.color = color
        self._codes = {
            role: "\x1b[" + ";".join(_SGR[w] for w in name.split()) + "m"
            for role, name in ROLES.items()
            if name
        }

    def role(self, role: str, text: str) -> str:
        code = self._codes.get(role) if self.color else None
        return f"{code}{text}{_RESET}" if code and text else text
