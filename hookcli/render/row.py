"""The one row layout: how a line of fields fits a terminal width, shared by `listen`'s
live lines, forward and replay lines, `ls` and the TUI's capture list.

A line is a list of fields. When the line is wider than the terminal, fields give up width
in the order of their rank (rank 1 first: the least important, such as a path; rank 0
never), each down to its minimum, and a cut field ends with `…`. Nothing is wrapped, so no
word is ever split over two lines. Lines for a pipe or a file (width None) stay whole.

Plain strings only, no rich: the live lines run on the catch server's hot path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hookcli.render.colors import Paint

GAP = "  "
ELLIPSIS = "…"


def width_of(text: str) -> int:
    """Cells TEXT takes on a terminal."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def cut(text: str, width: int) -> str:
    """TEXT in at most WIDTH cells: trailing padding goes first, then the end of the text
    gives way to `…`."""
    if width_of(text) <= width:
        return text
    bare = text.rstrip()
    if width_of(bare) <= width:
        return bare + " " * (width - width_of(bare))
    if width <= 0:
        return ""
    if bare.isascii():
        return bare[: width - 1] + ELLIPSIS
    from rich.cells import set_cell_size

    return set_cell_size(bare, width - 1).rstrip() + ELLIPSIS


@dataclass(slots=True)
class Field:
    """One field of a line: its text, its colour role, the separator before it, the rank at
    which it gives up width (0: never) and the narrowest it gets; SHORT, if given, is what
    it says instead once its rank is reached (`valid` for `signature valid`)."""

    text: str
    role: str = "plain"
    rank: int = 0
    min: int = 0
    sep: str = GAP
    short: str | None = None


def share(
    naturals: Sequence[int], ranks: Sequence[int], mins: Sequence[int], room: int
) -> list[int]:
    """The width of each field so that together they take at most ROOM cells: fields give
    up width rank by rank (1 first), each down to its minimum, in order within a rank.
    The result can still exceed ROOM when every field is at its minimum."""
    widths = list(naturals)
    over = sum(widths) - room
    for rank in sorted({r for r in ranks if r > 0}):
        if over <= 0:
            break
        for i, r in enumerate(ranks):
            if r == rank and over > 0:
                give = min(over, max(widths[i] - mins[i], 0))
                widths[i] -= give
                over -= give
    return widths


def fit_line(fields: Sequence[Field], width: int | None, paint: Paint) -> str:
    """FIELDS as one line of at most WIDTH cells (any length when WIDTH is None)."""
    parts = [f for f in fields if f.text]
    if width is not None:
        plain = sum(width_of(f.text) + len(f.sep) for f in parts) - (
            len(parts[0].sep) if parts else 0
        )
        if plain > width:
            return _cut_line(parts, width, paint)
    if not parts:
        return ""
    if not paint.color:  # pipes and NO_COLOR, the common case: plain concatenation
        return "".join([f.sep + f.text for f in parts])[len(parts[0].sep) :]
    return "".join([(f.sep if i else "") + paint.role(f.role, f.text) for i, f in enumerate(parts)])


#: a field as the hot paths build it, a plain tuple (cheaper than a Field by half):
#: (text, role, rank, min, sep, short)
Part = tuple[str, str, int, int, str, str | None]


def fit_parts(parts: Sequence[Part], width: int | None, paint: Paint) -> str:
    """fit_line for PARTS tuples: a line that fits (the usual case) is joined as it is."""
    kept = [p for p in parts if p[0]]
    if not kept:
        return ""
    plain = "".join([p[4] + p[0] for p in kept])[len(kept[0][4]) :]
    if width is not None and (len(plain) if plain.isascii() else width_of(plain)) > width:
        return _cut_line([Field(*p) for p in kept], width, paint)
    if not paint.color:
        return plain
    return "".join([(p[4] if i else "") + paint.role(p[1], p[0]) for i, p in enumerate(kept)])


def _cut_line(parts: list[Field], width: int, paint: Paint) -> str:
    room = width - sum(len(f.sep) for f in parts[1:])
    naturals = [width_of(f.text) for f in parts]
    # a field with a short form gives way to it, whole, rather than being cut
    mins = [width_of(f.short) if f.short is not None else f.min for f in parts]
    widths = share(naturals, [f.rank for f in parts], mins, room)
    texts = [
        f.short if f.short is not None and w < n else cut(f.text, w)
        for f, w, n in zip(parts, widths, naturals, strict=True)
    ]
    texts[-1] = texts[-1].rstrip()
    if sum(widths) > room:  # narrower than every field's minimum: the line itself is cut
        plain = "".join(
            (f.sep if i else "") + t for i, (f, t) in enumerate(zip(parts, texts, strict=True))
        )
        return cut(plain, width)
    return "".join(
        (f.sep if i else "") + paint.role(f.role, t)
        for i, (f, t) in enumerate(zip(parts, texts, strict=True))
    )


def fold(text: str, width: int | None, indent: int) -> str:
    """Prose (a warning, an error) in lines of at most WIDTH cells, broken between words, the
    lines after the first INDENT cells in; a word longer than a line is cut with `…`."""
    if width is None or width_of(text) <= width:
        return text
    indent = min(indent, max(width // 3, 0))
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        room = width - (indent if lines else 0)
        candidate = f"{line} {word}" if line else word
        if width_of(candidate) <= room or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
        if width_of(line) > (width - (indent if lines else 0)):
            line = cut(line, width - (indent if lines else 0))
    lines.append(line)
    return "\n".join((" " * indent if i else "") + ln for i, ln in enumerate(lines))


@dataclass(frozen=True)
class Column:
    """One column of the capture row, as `ls` and the TUI lay it out."""

    name: str
    heading: str
    short: str  # the heading when the column is narrower than HEADING
    rank: int  # as Field.rank
    min: int  # the narrowest its content is cut to (a column's heading can go to SHORT)
    right: bool = False


#: the capture row: the signature column's heading gives way first (`SIG`, its content is
#: never cut), then the path, then provider/event, which the row is most often read for
CAPTURE_ROW: tuple[Column, ...] = (
    Column("id", "ID", "ID", 0, 0, right=True),
    Column("time", "TIME", "TIME", 0, 0),
    Column("method", "METHOD", "METHOD", 0, 0),
    Column("path", "PATH", "PATH", 2, 6),
    Column("size", "SIZE", "SIZE", 0, 0, right=True),
    Column("event", "PROVIDER/EVENT", "EVENT", 3, 10),
    Column("signature", "SIGNATURE", "SIG", 1, 99),
    Column("source", "SOURCE", "SRC", 1, 99),
)
#: from this width the source column says `fabricated`, below it `fab`
WIDE = 120


def column_widths(
    columns: Sequence[Column], contents: Sequence[int], width: int, gap: int
) -> list[int]:
    """The width of each column of a table WIDTH cells wide, the columns GAP apart, from
    the widest content of each (CONTENTS). A column's heading shows when it fits, else its
    short heading."""
    naturals = [max(n, len(c.heading)) for c, n in zip(columns, contents, strict=True)]
    mins = [
        max(min(c.min, n), len(c.short)) if c.rank else nat
        for c, n, nat in zip(columns, contents, naturals, strict=True)
    ]
    room = width - gap * (len(columns) - 1)
    return share(naturals, [c.rank for c in columns], mins, room)


def heading(column: Column, width: int) -> str:
    return column.heading if len(column.heading) <= width else column.short
