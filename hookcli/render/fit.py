"""Output that fits the terminal: renderables laid out for the width they are given.

Rich tables squeeze columns until names are cut (`X-Hub-Signature-2…`) and wrap long
lines back to column 0. The renderers here instead pick a layout for the width (a table
where it fits, a list where it does not) and wrap long values under themselves."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.text import Text

Build = Callable[[Console, int], Iterable[RenderableType]]

MIN_TEXT = 16  # never wrap a value into a column narrower than this
_WORD = re.compile(r"(\S+)(\s*)")


class Fitted:
    """A renderable made by BUILD(console, width) at render time, so that it is laid out
    for the width it gets (a terminal, a file at 80 columns, a TUI pane)."""

    def __init__(self, build: Build):
        self.build = build

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> Iterator[RenderableType]:
        yield from self.build(console, options.max_width)


def hanging(
    text: Text, console: Console, width: int, first: int = 0, indent: int | None = None
) -> list[Text]:
    """TEXT wrapped into WIDTH columns: the first line starts FIRST columns in, the lines
    after it INDENT columns in (default FIRST + 2), never at column 0. Words move to the
    next line whole; a word longer than a line (a URL, a digest) is folded where it starts."""
    rest = first + 2 if indent is None else indent
    rest = min(rest, max(width - MIN_TEXT, 0))
    first = min(first, rest)
    offsets = breaks(text.plain, max(width - first, 1), max(width - rest, 1))
    out = []
    for i, line in enumerate(text.divide(offsets)):
        line.rstrip()
        pad = first if i == 0 else rest
        out.append(Text(" " * pad).append_text(line) if pad else line)
    return out


def breaks(plain: str, first: int, rest: int) -> list[int]:
    """Offsets at which to break PLAIN so that its first line holds FIRST cells and the
    others REST: between words, or inside a word too long for a line of its own."""
    offsets: list[int] = []
    room, col = first, cell_len(plain[: len(plain) - len(plain.lstrip())])
    for m in _WORD.finditer(plain):
        word = m.group(1)
        size = cell_len(word)
        if col + size <= room:
            col += cell_len(m.group(0))
            continue
        if col and size <= rest:  # starts the next line
            offsets.append(m.start())
            room, col = rest, cell_len(m.group(0))
            continue
        pos = m.start()  # fold it, from where it stands
        for ch in word:
            w = cell_len(ch)
            if col + w > room and col:
                offsets.append(pos)
                room, col = rest, 0
            col += w
            pos += 1
        col += cell_len(m.group(2))
    return offsets


def clip(text: Text, width: int) -> Text:
    """TEXT on one line of at most WIDTH cells, cut with an ellipsis."""
    line = text.copy()
    line.no_wrap = True
    line.truncate(max(width, 1), overflow="ellipsis")
    return line


def cell(text: Text | str, width: int, right: bool = False) -> Text:
    """TEXT cut or padded to exactly WIDTH cells: one column of a hand-laid table."""
    t = Text(text) if isinstance(text, str) else text.copy()
    t.truncate(width, overflow="ellipsis")
    gap = width - t.cell_len
    if gap > 0:
        if right:
            t = Text(" " * gap).append_text(t)
        else:
            t.append(" " * gap)
    return t
