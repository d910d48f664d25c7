"""The one line per request that `listen` prints. Plain string building, no rich: this runs
on the hot path of the catch server and must cost microseconds, not a console render."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from hookcli.model.capture import Attempt, Capture
from hookcli.model.escape import visible
from hookcli.model.units import human_size
from hookcli.render.colors import Paint, signature_role, status_role, use_color
from hookcli.render.row import GAP as G
from hookcli.render.row import Part, fit_parts, fold
from hookcli.render.status import status_text

__all__ = ["LiveLines", "Paint", "flush", "use_color", "write_line"]

#: how much of a failed forward's answer its line shows
_EXCERPT_CHARS = 120
#: how a forward that was never sent (queue full, target paused, listen stopping), or was
#: given up in flight when listen stopped, begins: its line says so once, with no latency
_NOT_SENT = ("skipped:", "not sent:", "not retried:", "no answer:")
#: cut last, least important first: the path, then what went wrong, then the event
PATH_RANK, EXCERPT_RANK, EVENT_RANK = 2, 3, 4


def _always_whole() -> int | None:
    return None


class LiveLines:
    """Live lines for a terminal WIDTH() cells wide (None: a pipe or file, whole lines)."""

    def __init__(self, color: bool, width: Callable[[], int | None] = _always_whole):
        self.color = color
        self.width = width
        self._p = Paint(color)
        self._clock: tuple[str, str] = ("", "")  # (received_at up to seconds, local HH:MM:SS)
        self._statuses: dict[int | None, Part] = {}

    def _local_time(self, iso: str) -> str:
        """HH:MM:SS in local time, converted once per second of arrivals, not per request."""
        second = iso[:19]
        if self._clock[0] != second:
            local = datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
            self._clock = (second, local)
        return self._clock[1]

    def captured(self, c: Capture) -> str:
        method = visible(c.method)
        cid = f"#{c.id}"
        parts: list[Part] = [
            (self._local_time(c.received_at), "time", 0, 0, "", None),
            (f"{cid:<6}", "id", 1, len(cid), G, None),
            (f"{method:<7}", "plain", 1, len(method), G, None),
            (visible(c.target), "plain", PATH_RANK, 6, G, None),
            (human_size(c.body_size), "dim", 0, 0, G, None),
        ]
        if c.provider or c.event_type:  # a handshake may have an event type alone
            label = " ".join(x for x in (c.provider, c.event_type) if x)
            parts.append((visible(label), "event", EVENT_RANK, 12, G, None))
        if c.signature:
            sig = c.signature
            parts.append((f"signature {sig}", signature_role(sig), 1, len(sig), G, sig))
        if len(c.response) > 1:  # more than the usual status: a handshake, a failure
            text, role = answer(c.response)
            if text:  # never cut first: what the sender was told
                parts.append((text, role, 0, 0, G, None))
        return fit_parts(parts, self.width(), self._p)

    def forwarded(self, capture_id: int, a: Attempt) -> str:
        """One forward attempt, under its capture's line: target, status, latency, and
        what went wrong (the error, or the first line of a non-2xx answer)."""
        cid = f"#{capture_id}"
        parts: list[Part] = [
            (self._local_time(a.at), "time", 0, 0, "", None),
            (f"{cid:<6}", "id", 1, len(cid), G, None),
            (f"→ {visible(a.target)}", "plain", PATH_RANK, 24, G, None),
        ]
        if a.status is None and a.error and a.error.startswith(_NOT_SENT):
            parts.append((visible(a.error), "warning", EXCERPT_RANK, 12, G, None))
            if a.latency_ms:  # given up in flight: how long it was out
                parts.append((f"after {a.latency_ms:.0f} ms", "dim", 0, 0, G, None))
            return fit_parts(parts, self.width(), self._p)  # nothing went out: no latency
        parts.append(self._status(a.status))
        parts.append((f"{a.latency_ms:.0f} ms", "dim", 0, 0, G, None))
        if a.retry:
            parts.append((f"retry {a.retry}", "dim", 0, 0, G, None))
        if a.error:
            parts.append((visible(a.error), "plain", EXCERPT_RANK, 12, ": ", None))
        elif not a.ok and a.response_excerpt:
            first = a.response_excerpt.lstrip().split("\n", 1)[0].rstrip("\r")
            if len(first) > _EXCERPT_CHARS:
                first = first[:_EXCERPT_CHARS] + "…"
            parts.append((visible(first), "plain", EXCERPT_RANK, 12, G, None))
        return fit_parts(parts, self.width(), self._p)

    def _status(self, status: int | None) -> Part:
        """`200 OK` (green), `502 Bad Gateway` (red), `no answer` (yellow): worked out once
        per status, a flood of forwards prints thousands a second."""
        shown = self._statuses.get(status)
        if shown is None:
            text = status_text(status)
            shown = self._statuses[status] = (text, status_role(status), 0, 0, G, None)
        return shown

    def warning(self, text: str) -> str:
        return self._p.role("warning", fold(f"warning: {text}", self.width(), 9))

    def prose(self, text: str) -> str:
        """A line of prose (`Listening on ...`) folded between words to the width."""
        return fold(text, self.width(), 2)


def write_line(stream: TextIO, line: str) -> None:
    stream.write(line + "\n")


def flush(stream: TextIO = sys.stdout) -> None:
    stream.flush()


def answer(response: dict[str, Any]) -> tuple[str, str]:
    """What a handshake or a scripted failure was answered, and its colour role:
    `answered`, `refused 401 (bad signature)`, `not answered: needs --secret
    zoom=SECRET_TOKEN`, `500 (fail-first 1/2)`."""
    status = response.get("status")
    note = visible(str(response.get("note") or ""))
    outcome = response.get("handshake")
    if outcome == "answered":
        return "answered" + (f" ({note})" if note else ""), "ok"
    if outcome == "refused":
        return f"refused {status}" + (f" ({note})" if note else ""), "failed"
    if outcome is not None:
        return visible(str(outcome)) + (f": {note}" if note else ""), "warning"
    failed = response.get("failed")
    if failed:
        return f"{status} ({visible(str(failed))})", "failed"
    return "", "plain"
