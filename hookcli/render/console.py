"""Rich consoles for human output. Markup and auto-highlighting are off: text that came
from a request is never interpreted, only shown (escaped by model.escape)."""

from __future__ import annotations

from rich.console import Console


def stdout_console() -> Console:
    return Console(markup=False, highlight=False, emoji=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(stderr=True, markup=False, highlight=False, emoji=False)
