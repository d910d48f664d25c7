"""Lines for deliveries (replay): one per attempt, then the target's answer.

Plain string building like live.py: `replay --repeat 2000` prints 2000 of these and a
rich render per line would be a measurable share of its cost."""

from __future__ import annotations

from hookcli.model.capture import EXCERPT_BYTES, Attempt
from hookcli.model.escape import visible, visible_block
from hookcli.render.live import Paint
from hookcli.render.status import status_text

__all__ = ["BODY_LINES", "DeliveryLines", "status_text"]

BODY_LINES = 20


class DeliveryLines:
    def __init__(self, color: bool):
        self.p = Paint(color)

    def attempt(
        self, capture_id: int, method: str, attempt: Attempt, wait: float | None, retries: int
    ) -> str:
        p = self.p
        status = status_text(attempt.status)
        shown = p.green(status) if attempt.ok else p.red(status)
        parts = [
            p.bold(f"#{capture_id}"),
            visible(method),
            visible(attempt.target),
            shown,
            p.dim(f"{attempt.latency_ms:.0f} ms"),
        ]
        line = "  ".join(parts)
        if attempt.error:
            line += f": {visible(attempt.error)}"
        if wait is not None:
            line += p.yellow(f"  (retry {attempt.retry + 1}/{retries} in {wait:.1f} s)")
        return line

    def body(self, attempt: Attempt) -> str:
        """The target's answer, indented: the first BODY_LINES lines of the excerpt."""
        text = attempt.response_excerpt
        if not text:
            return ""
        lines = visible_block(text).splitlines()
        shown = ["    " + ln for ln in lines[:BODY_LINES]]
        more = []
        if len(lines) > BODY_LINES:
            more.append(f"{len(lines) - BODY_LINES} more lines")
        size = attempt.response_size
        if size is None or size > EXCERPT_BYTES:
            more.append("response cut at 4 KiB" + (f" of {size} bytes" if size else ""))
        if more:
            shown.append(self.p.dim("    … (" + "; ".join(more) + ")"))
        return "\n".join(shown)
