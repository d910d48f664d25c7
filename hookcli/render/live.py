"""The one line per request that `listen` prints. Plain string building, no rich: this runs
on the hot path of the catch server and must cost microseconds, not a console render."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Any, TextIO

from hookcli.model.capture import Attempt, Capture
from hookcli.model.escape import visible
from hookcli.model.units import human_size
from hookcli.render.status import status_text

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_RED = "\x1b[31m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
#: how much of a failed forward's answer its line shows
_EXCERPT_CHARS = 120
#: how a forward that was never sent (queue full, target paused, listen stopping) begins
_NOT_SENT = ("skipped:", "not sent:", "not retried:")


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class Paint:
    """ANSI styling by plain string concatenation, or none at all."""

    def __init__(self, color: bool):
        self.color = color

    def _c(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def dim(self, text: str) -> str:
        return self._c(_DIM, text)

    def bold(self, text: str) -> str:
        return self._c(_BOLD, text)

    def green(self, text: str) -> str:
        return self._c(_GREEN, text)

    def red(self, text: str) -> str:
        return self._c(_RED, text)

    def yellow(self, text: str) -> str:
        return self._c(_YELLOW, text)

    def cyan(self, text: str) -> str:
        return self._c(_CYAN, text)


class LiveLines:
    def __init__(self, color: bool):
        self.color = color
        self._p = Paint(color)
        self._clock: tuple[str, str] = ("", "")  # (received_at up to seconds, local HH:MM:SS)
        self._statuses: dict[int | None, str] = {}
        self._skips: dict[tuple[str, str], str] = {}
        self._at: tuple[str, str] = ("", "")  # (an attempt's time, as shown)

    def _local_time(self, iso: str) -> str:
        """HH:MM:SS in local time, converted once per second of arrivals, not per request."""
        second = iso[:19]
        if self._clock[0] != second:
            local = datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
            self._clock = (second, local)
        return self._clock[1]

    def _c(self, code: str, text: str) -> str:
        return self._p._c(code, text)

    def captured(self, c: Capture) -> str:
        t = self._local_time(c.received_at)
        parts = [
            self._c(_DIM, t),
            self._c(_BOLD, f"#{c.id:<5}"),
            f"{visible(c.method):<7}",
            visible(c.target),
            self._c(_DIM, human_size(c.body_size)),
        ]
        if c.provider or c.event_type:  # a handshake may have an event type alone
            label = " ".join(x for x in (c.provider, c.event_type) if x)
            parts.append(self._c(_CYAN, visible(label)))
        if c.signature:
            code = _GREEN if c.signature == "valid" else _RED
            parts.append(self._c(code, f"signature {c.signature}"))
        if len(c.response) > 1:  # more than the usual status: a handshake, a failure
            parts.append(self.answer(c.response))
        return "  ".join(parts)

    def answer(self, response: dict[str, Any]) -> str:
        """What a handshake or a scripted failure was answered: `answered`, `refused 401
        (bad signature)`, `not answered: needs --secret zoom=SECRET_TOKEN`, `500
        (fail-first 1/2)`."""
        status = response.get("status")
        note = visible(str(response.get("note") or ""))
        outcome = response.get("handshake")
        if outcome == "answered":
            return self._c(_GREEN, "answered" + (f" ({note})" if note else ""))
        if outcome == "refused":
            return self._c(_RED, f"refused {status}" + (f" ({note})" if note else ""))
        if outcome is not None:
            return self._c(_YELLOW, visible(str(outcome)) + (f": {note}" if note else ""))
        failed = response.get("failed")
        if failed:
            return self._c(_RED, f"{status} ({visible(str(failed))})")
        return ""

    def forwarded(self, capture_id: int, a: Attempt) -> str:
        """One forward attempt, under its capture's line: target, status, latency, and
        what went wrong (the error, or the first line of a non-2xx answer)."""
        at = self._at
        if at[0] != a.at:  # a batch's attempts share their time
            at = self._at = (a.at, self._c(_DIM, self._local_time(a.at)))
        head = f"{at[1]}  {self._c(_BOLD, f'#{capture_id:<5}')}  "
        if a.status is None and a.error and a.error.startswith(_NOT_SENT):
            return head + self._not_sent(a.target, a.error)  # nothing went out: no latency
        head += f"→ {visible(a.target)}  "
        line = f"{head}{self._status(a.status)}  {self._c(_DIM, f'{a.latency_ms:.0f} ms')}"
        if a.retry:
            line += "  " + self._c(_DIM, f"retry {a.retry}")
        if a.error:
            line += ": " + visible(a.error)
        elif not a.ok and a.response_excerpt:
            first = a.response_excerpt.lstrip().split("\n", 1)[0].rstrip("\r")
            if len(first) > _EXCERPT_CHARS:
                first = first[:_EXCERPT_CHARS] + "…"
            line += "  " + visible(first)
        return line

    def _not_sent(self, target: str, error: str) -> str:
        """'→ TARGET  why' for a forward that did not go out; worked out once per target
        and reason (under a flood, thousands a second are skipped the same way)."""
        key = (target, error)
        shown = self._skips.get(key)
        if shown is None:
            if len(self._skips) >= 256:
                self._skips.clear()
            shown = self._skips[key] = f"→ {visible(target)}  {self._c(_YELLOW, visible(error))}"
        return shown

    def _status(self, status: int | None) -> str:
        """'200 OK' in green, '502 Bad Gateway' in red, 'no answer' in yellow; worked out
        once per status (a flood of skipped forwards prints thousands a second)."""
        shown = self._statuses.get(status)
        if shown is None:
            ok = status is not None and 200 <= status < 300
            code = _GREEN if ok else _YELLOW if status is None else _RED
            shown = self._statuses[status] = self._c(code, status_text(status))
        return shown

    def warning(self, text: str) -> str:
        return self._c(_YELLOW, f"warning: {text}")


def write_line(stream: TextIO, line: str) -> None:
    stream.write(line + "\n")


def flush(stream: TextIO = sys.stdout) -> None:
    stream.flush()
