"""Lines for deliveries (replay): one per attempt, then the target's answer.

Plain string building like live.py: `replay --repeat 2000` prints 2000 of these and a
rich render per line would be a measurable share of its cost."""

from __future__ import annotations

from collections.abc import Callable

from hookcli.model.capture import EXCERPT_BYTES, Attempt
from hookcli.model.escape import visible, visible_block
from hookcli.render.colors import Paint
from hookcli.render.row import Field, cut, fit_line
from hookcli.render.status import status_text

__all__ = ["BODY_LINES", "DeliveryLines", "status_text"]

BODY_LINES = 20


def _always_whole() -> int | None:
    return None


class DeliveryLines:
    """Replay's lines for a terminal WIDTH() cells wide (None: whole lines)."""

    def __init__(self, color: bool, width: Callable[[], int | None] = _always_whole):
        self.p = Paint(color)
        self.width = width

    def attempt(
        self, capture_id: int, method: str, attempt: Attempt, wait: float | None, retries: int
    ) -> str:
        fields = [
            Field(f"#{capture_id}", "id"),
            Field(visible(method)),
            Field(visible(attempt.target), "plain", 2, 16),  # the target URL gives way first
            Field(status_text(attempt.status), "ok" if attempt.ok else "failed"),
            Field(f"{attempt.latency_ms:.0f} ms", "dim"),
        ]
        if attempt.error:
            fields.append(Field(visible(attempt.error), "plain", 3, 12, sep=": "))
        if wait is not None:
            note = f"(retry {attempt.retry + 1}/{retries} in {wait:.1f} s)"
            fields.append(Field(note, "warning"))
        return fit_line(fields, self.width(), self.p)

    def body(self, attempt: Attempt) -> str:
        """The target's answer, indented: the first BODY_LINES lines of the excerpt."""
        text = attempt.response_excerpt
        if not text:
            return ""
        lines = visible_block(text).splitlines()
        width = self.width()
        shown = ["    " + ln for ln in lines[:BODY_LINES]]
        if width is not None:  # an answer's long lines are cut, not wrapped
            shown = [cut(ln, width) for ln in shown]
        more = []
        if len(lines) > BODY_LINES:
            more.append(f"{len(lines) - BODY_LINES} more lines")
        size = attempt.response_size
        if size is None or size > EXCERPT_BYTES:
            more.append("response cut at 4 KiB" + (f" of {size} bytes" if size else ""))
        if more:
            shown.append(self.p.role("dim", "    … (" + "; ".join(more) + ")"))
        return "\n".join(shown)
