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
from hookcli.render.colors import style

_STYLE = {kind: style(kind) for kind in ("added", "removed", "changed")}
_SIGN = {"added": "+", "removed": "-", "changed": "~"}


#: an object or array whose JSON is longer than this is summarised (`object with 12 keys`)
_INLINE = 40


def _binary(v: Any) -> bool:
    return isinstance(v, dict) and set(v) == {"size", "sha256"}


def _summarised(v: Any) -> bool:
    return (
        isinstance(v, dict | list)
        and not _binary(v)
        and len(json.dumps(v, ensure_ascii=False)) > _INLINE
    )


def _value(v: Any, full: bool = False) -> str:
    if _binary(v):
        return f"{human_size(int(v['size']))} (binary, sha256 {str(v['sha256'])[:12]})"
    if not full and _summarised(v):  # a whole object: its size, not its text
        kind, unit = ("object with", "key") if isinstance(v, dict) else ("array of", "item")
        return f"{kind} {len(v)} {unit}{'s' if len(v) != 1 else ''}"
    return visible(json.dumps(v, ensure_ascii=False))


def _whole(v: Any) -> Iterator[str]:
    """A value that was summarised, in full, for --full: JSON, indented under its entry."""
    if _summarised(v):
        for line in json.dumps(v, ensure_ascii=False, indent=2).splitlines():
            yield "    " + visible(line)


def _line(text: Text) -> Text:
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def entry_lines(entries: Sequence[DiffEntry], full: bool = False) -> Iterator[Text]:
    """One line per entry: `~ body.amount: 1000 -> 2000`; a changed text body is followed by
    its unified diff. A whole object or array added, removed or changed is summarised
    (`object with 12 keys`); FULL shows it, indented under its line."""
    for e in entries:
        line = Text(f"{_SIGN[e.kind]} ", style=_STYLE[e.kind])
        line.append(visible(e.path), style="bold")
        line.append(": ")
        if e.kind == "added":
            line.append(_value(e.b), style=_STYLE["added"])
            yield _line(line)
            if full:
                yield from (_line(Text(t, style=_STYLE["added"])) for t in _whole(e.b))
            continue
        if e.kind == "removed":
            line.append(_value(e.a), style=_STYLE["removed"])
            yield _line(line)
            if full:
                yield from (_line(Text(t, style=_STYLE["removed"])) for t in _whole(e.a))
            continue
        elif e.path == "body" and isinstance(e.a, str) and isinstance(e.b, str):
            line.append("text differs", style="dim")
            yield _line(line)
            yield from _unified_lines(e.a, e.b)
            continue
        else:
            line.append(_value(e.a), style=_STYLE["removed"])
            line.append(" -> ")
            line.append(_value(e.b), style=_STYLE["added"])
        yield _line(line)
        if full and e.kind == "changed":
            yield from (_line(Text(t, style=_STYLE["removed"])) for t in _whole(e.a))
            yield from (_line(Text(t, style=_STYLE["added"])) for t in _whole(e.b))


def _unified_lines(a: str, b: str) -> Iterator[Text]:
    for raw in unified(a, b):
        look = {"+": _STYLE["added"], "-": _STYLE["removed"], "@": "cyan"}.get(raw[:1], "")
        yield _line(Text("    " + visible(raw), style=look))


def summary_line(count: int, hidden: int) -> Text:
    """What a diff came to: no differences, or how many, and how many --ignore hid."""
    text = Text(
        "No differences" if count == 0 else f"{count} difference{'s' if count != 1 else ''}"
    )
    if hidden:
        text.append(f" ({hidden} hidden by --ignore)", style="dim")
    return text
