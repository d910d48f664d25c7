"""The `ls` table: one line per capture at any width from 60 columns up.

Laid out by hand rather than by rich's Table, which wraps or silently crops cells when
space runs out: here the fixed columns (id, time, method, size, signature) keep their
width, and the path and provider/event share what is left, cut with an ellipsis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text

from hookcli.handshakes.names import LABELS
from hookcli.model.escape import visible
from hookcli.model.units import human_size
from hookcli.render.colors import signature_role, style
from hookcli.render.fit import Fitted, cell, clip
from hookcli.render.row import CAPTURE_ROW, WIDE, Column, column_widths, heading, width_of

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
GAP = 2
#: ls's column for a provider's endpoint-verification request (handshakes/), after the
#: signature: shown only when a listed capture is one
HANDSHAKE = Column("handshake", "HANDSHAKE", "HS", 1, 99)
_ROW = (*CAPTURE_ROW[:-1], HANDSHAKE, CAPTURE_ROW[-1])


def when(iso: str, now: datetime | None = None) -> str:
    """HH:MM:SS today, `Nov 25 18:40` earlier this year, `Nov 25  2025` before (as ls -l)."""
    t = datetime.fromisoformat(iso).astimezone()
    today = (now or datetime.now().astimezone()).date()
    if t.date() == today:
        return t.strftime("%H:%M:%S")
    month = _MONTHS[t.month - 1]
    if t.year == today.year:
        return f"{month} {t.day:>2} {t:%H:%M}"
    return f"{month} {t.day:>2}  {t.year}"


def summaries_table(rows: list[dict[str, Any]]) -> RenderableType:
    return Fitted(lambda console, width: _lines(rows, console, width))


def row_texts(s: dict[str, Any], wide: bool) -> dict[str, str]:
    """The text of each column of a capture's row (CAPTURE_ROW), escaped."""
    source = str(s.get("source") or "listen")
    return {
        "id": str(s["id"]),
        "time": when(s["received_at"]),
        "method": visible(s["method"]),
        "path": visible(s["path"] + (f"?{s['query']}" if s.get("query") else "")),
        "size": human_size(int(s.get("body_size") or 0)),
        "event": visible(" ".join(str(x) for x in (s.get("provider"), s.get("event_type")) if x)),
        "signature": str(s.get("signature") or ""),
        "source": "" if source == "listen" else (source if wide else source[:3]),
        "handshake": "yes" if _is_handshake(s) else "",
    }


def _is_handshake(s: dict[str, Any]) -> bool:
    return " ".join(str(x) for x in (s.get("provider"), s.get("event_type")) if x) in LABELS


def _lines(rows: list[dict[str, Any]], console: Console, width: int) -> Iterator[Text]:
    texts = [row_texts(s, width >= WIDE) for s in rows]
    columns = [
        c
        for c in _ROW
        if (c.name != "signature" or any(s.get("signature") for s in rows))
        and (c.name != "source" or any(t["source"] for t in texts))
        and (c.name != "handshake" or any(t["handshake"] for t in texts))
    ]
    contents = [max((width_of(t[c.name]) for t in texts), default=0) for c in columns]
    widths = column_widths(columns, contents, width, GAP)

    def line(cells: list[Text]) -> Text:
        out = Text()
        for i, (c, w, col) in enumerate(zip(cells, widths, columns, strict=True)):
            if i:
                out.append(" " * GAP)
            out.append_text(cell(c, w, right=col.right))
        out.rstrip()
        return clip(out, width) if out.cell_len > width else out  # below every minimum

    yield line(
        [Text(heading(c, w), style=style("heading")) for c, w in zip(columns, widths, strict=True)]
    )
    for s, t in zip(rows, texts, strict=True):
        roles = {
            "id": "id",
            "time": "time",
            "signature": signature_role(s.get("signature")),
            "source": "source",
            "handshake": "source",
        }
        yield line([Text(t[c.name], style=style(roles.get(c.name, "plain"))) for c in columns])
