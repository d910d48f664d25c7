"""`hookcli providers`: a table where one fits, else one entry per provider.

The header names and event names are what a user copies, so they are never cut: a row
of four columns needs about 92 columns; below that each provider is a short list."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console, RenderableType
from rich.text import Text

from hookcli.render.fit import Fitted, cell, hanging
from hookcli.signing.registry import ProviderInfo

SCHEME_MIN = 24  # the scheme column wraps, but not narrower than this
GAP = 2
SHOWN = 5  # events named per provider; `fabricate PROVIDER --list` (and --json) has them all


def _events(r: ProviderInfo) -> tuple[str, ...]:
    if len(r.events) <= SHOWN + 1:
        return r.events
    return (*r.events[:SHOWN], f"+{len(r.events) - SHOWN} more (--list)")


def providers_view(rows: Sequence[ProviderInfo]) -> RenderableType:
    return Fitted(lambda console, width: _view(rows, console, width))


def _view(rows: Sequence[ProviderInfo], console: Console, width: int) -> Iterator[Text]:
    name_w = max(len("NAME"), *(len(r.name) for r in rows))
    head_w = max(len("HEADERS"), *(len(h) for r in rows for h in r.headers))
    event_w = max(len("EVENTS"), *(len(e) for r in rows for e in _events(r)))
    scheme_w = width - name_w - head_w - event_w - 3 * GAP
    if scheme_w >= SCHEME_MIN:
        yield from _table(rows, console, (name_w, scheme_w, head_w, event_w))
    else:
        yield from _entries(rows, console, width, name_w)


def _table(
    rows: Sequence[ProviderInfo], console: Console, widths: tuple[int, ...]
) -> Iterator[Text]:
    def line(cells: Sequence[Text]) -> Text:
        out = Text()
        for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
            out.append(" " * GAP if i else "")
            out.append_text(cell(c, w))
        out.rstrip()
        return out

    yield line([Text(t, style="bold") for t in ("NAME", "SCHEME", "HEADERS", "EVENTS")])
    for r in rows:
        scheme = hanging(Text(r.title), console, widths[1], 0, 0)
        events = _events(r)
        height = max(len(scheme), len(r.headers), len(events))
        for i in range(height):
            yield line(
                [
                    Text(r.name if i == 0 else "", style="bold"),
                    scheme[i] if i < len(scheme) else Text(""),
                    Text(r.headers[i] if i < len(r.headers) else ""),
                    Text(events[i] if i < len(events) else ""),
                ]
            )
        yield Text("")


def _entries(
    rows: Sequence[ProviderInfo], console: Console, width: int, name_w: int
) -> Iterator[Text]:
    indent = name_w + GAP
    label_w = len("headers") + GAP
    for r in rows:
        first = Text(f"{r.name:<{indent}}", style="bold").append(r.title, style="")
        yield from hanging(first, console, width, 0, indent)
        for label, values in (("headers", r.headers), ("events", _events(r))):
            entry = Text(" " * indent + f"{label:<{label_w}}", style="dim")
            entry.append(", ".join(values) if values else "-", style="")
            yield from hanging(entry, console, width, 0, indent + label_w)
        yield Text("")
