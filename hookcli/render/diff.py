"""Human rendering of a structural diff (`hookcli diff`, and the summary in the TUI's diff
view): one line per entry, a text body as a unified diff. Every value came from a request,
so each goes through `visible` into a plain `Text`; lines are cut with an ellipsis, never
wrapped, so the output fits the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from rich.text import Text

from hookcli.model.diff import DiffEntry, unified
from hookcli.model.escape import visible
from hookcli.model.units import human_size

_STYLE = {"added": "green", "removed": "red", "changed": "yellow"}
_SIGN = {"added": "+", "removed": "-", "changed": "~"}


def _value(v: Any) -> str:
    if isinstance(v, dict) and set(v) == {"size", "sha256"}:
        return f"{human_size(int(v['size']))} (binary, sha256 {str(v['sha256'])[:12]})"
    return visible(json.dumps(v, ensure_ascii=False))


def _line(text: Text) -> Text:
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def entry_lines(entries: Sequence[DiffEntry]) -> Iterator[Text]:
    """One line per entry: `~ body.amount: 1000 -> 2000`; a changed text body is followed by
    its unified diff."""
    for e in entries:
        line = Text(f"{_SIGN[e.kind]} ", style=_STYLE[e.kind])
        line.append(visible(e.path), style="bold")
        line.append(": ")
        if e.kind == "added":
            line.append(_value(e.b), style="green")
        elif e.kind == "removed":
            line.append(_value(e.a), style="red")
        elif e.path == "body" and isinstance(e.a, str) and isinstance(e.b, str):
            line.append("text differs", style="dim")
            yield _line(line)
            yield from _unified_lines(e.a, e.b)
            continue
        else:
            line.append(_value(e.a), style="red")
            line.append(" -> ")
            line.append(_value(e.b), style="green")
        yield _line(line)


def _unified_lines(a: str, b: str) -> Iterator[Text]:
    for raw in unified(a, b):
        style = {"+": "green", "-": "red", "@": "cyan"}.get(raw[:1], "")
        yield _line(Text("    " + visible(raw), style=style))


def summary_line(count: int, hidden: int) -> Text:
    """What a diff came to: no differences, or how many, and how many --ignore hid."""
    text = Text(
        "No differences" if count == 0 else f"{count} difference{'s' if count != 1 else ''}"
    )
    if hidden:
        text.append(f" ({hidden} hidden by --ignore)", style="dim")
    return text
