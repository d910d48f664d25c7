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
from hookcli.render.fit import Fitted, cell

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
GAP = 2
WIDE = 120  # from here the source column says `fabricated`, below it `fab`
NARROW = 80  # below this the signature column is headed SIG


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


def _signature(state: str | None) -> Text:
    if not state:
        return Text("")
    style = {"valid": "green", "invalid": "red"}.get(state, "yellow")
    return Text(state, style=style)


def summaries_table(rows: list[dict[str, Any]]) -> RenderableType:
    return Fitted(lambda console, width: _lines(rows, console, width))


def _lines(rows: list[dict[str, Any]], console: Console, width: int) -> Iterator[Text]:
    cols: list[tuple[str, list[Text], bool]] = []  # title, cells, right-aligned
    cols.append(("ID", [Text(str(s["id"]), style="bold") for s in rows], True))
    cols.append(("TIME", [Text(when(s["received_at"]), style="dim") for s in rows], False))
    cols.append(("METHOD", [Text(visible(s["method"])) for s in rows], False))
    paths = [Text(visible(s["path"] + (f"?{s['query']}" if s.get("query") else ""))) for s in rows]
    cols.append(("PATH", paths, False))
    sizes = [Text(human_size(int(s.get("body_size") or 0))) for s in rows]
    cols.append(("SIZE", sizes, True))
    events = [
        Text(visible(" ".join(str(x) for x in (s.get("provider"), s.get("event_type")) if x)))
        for s in rows
    ]
    cols.append(("PROVIDER/EVENT", events, False))
    if any(s.get("signature") for s in rows):
        title = "SIGNATURE" if width >= NARROW else "SIG"
        cols.append((title, [_signature(s.get("signature")) for s in rows], False))
    handshakes = [_is_handshake(s) for s in rows]
    if any(handshakes):  # a provider's endpoint-verification request (handshakes/)
        marks = [Text("yes" if h else "", "magenta") for h in handshakes]
        cols.append(("HANDSHAKE" if width >= NARROW else "HS", marks, False))
    if any(s.get("source", "listen") != "listen" for s in rows):
        wide = width >= WIDE
        marks = [_source(s.get("source"), wide) for s in rows]
        cols.append(("SOURCE" if wide else "SRC", marks, False))

    widths = [max(len(title), *(c.cell_len for c in cells)) for title, cells, _ in cols]
    flexible = (3, 5)  # PATH and PROVIDER/EVENT share what the others leave
    fixed = sum(w for i, w in enumerate(widths) if i not in flexible) + GAP * (len(cols) - 1)
    room = max(width - fixed, 2 * 6)
    path_w, event_w = widths[3], widths[5]
    if path_w + event_w > room:  # each keeps its need if the other can spare it, else half
        event_w = min(event_w, max(room - path_w, room // 2))
        path_w = min(path_w, room - event_w)
        event_w = room - path_w
    widths[3], widths[5] = path_w, event_w
    if event_w < len(cols[5][0]):  # a title is never cut: a shorter one instead
        cols[5] = ("EVENT", cols[5][1], False)

    def line(cells: list[Text]) -> Text:
        out = Text()
        for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
            if i:
                out.append(" " * GAP)
            out.append_text(cell(c, w, right=cols[i][2]))
        out.rstrip()
        return out

    yield line([Text(title, style="bold") for title, _, _ in cols])
    for r in range(len(rows)):
        yield line([cells[r] for _, cells, _ in cols])


def _is_handshake(s: dict[str, Any]) -> bool:
    return " ".join(str(x) for x in (s.get("provider"), s.get("event_type")) if x) in LABELS


def _source(source: str | None, wide: bool) -> Text:
    if not source or source == "listen":
        return Text("")
    return Text(source if wide else source[:3], style="magenta")
