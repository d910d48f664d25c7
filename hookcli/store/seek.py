"""Finding index lines by their first bytes, without parsing the lines in between.

An index line's kind and id are its first bytes (format.py: `PUT`, `ATTEMPT`, `DEL`,
e.g. `{"op":"put","id":17,`). Put ids ascend with the offset, so the put of any id is found by
bisecting the file by offset (O(log n) short reads), and what happened to it later
(deletion, attempts) by a byte search of the lines after it, which runs at memchr speed
and parses only the lines it finds."""

from __future__ import annotations

import os
from collections.abc import Iterator

from hookcli.store.format import PUT, line_id, stamps_at

__all__ = ["PUT", "find", "find_put", "lines_with", "next_put", "read_line", "stamps_at"]

_SMALL = 4096  # below this the bisection reads lines one by one
_CHUNK = 1 << 20


def find(fd: int, pattern: bytes, pos: int, end: int) -> int | None:
    """Offset of the first PATTERN in [POS, END) of FD, or None. Reads in growing chunks:
    a near match costs one small read."""
    size = _SMALL
    overlap = len(pattern) - 1
    while pos < end:
        data = os.pread(fd, min(size, end - pos), pos)
        if not data:
            return None
        i = data.find(pattern)
        if i >= 0:
            return pos + i
        if pos + len(data) >= end:
            return None
        pos += max(len(data) - overlap, 1)
        size = min(size * 4, _CHUNK)
    return None


def line_start(fd: int, pos: int, end: int) -> int:
    """The start of the first line that starts at or after POS (END when none does)."""
    if pos <= 0:
        return 0
    nl = find(fd, b"\n", pos - 1, end)
    return end if nl is None else nl + 1


def read_line(fd: int, start: int, end: int) -> bytes:
    """The line starting at START, without its newline."""
    nl = find(fd, b"\n", start, end)
    stop = end if nl is None else nl
    return os.pread(fd, stop - start, start)


def _put_id(line: bytes) -> int:
    return line_id(line, PUT)


def next_put(fd: int, pos: int, end: int) -> tuple[int, int] | None:
    """(start, id) of the first put line starting at or after POS (a line start)."""
    if pos >= end:
        return None
    if os.pread(fd, len(PUT), pos) == PUT:
        start = pos
    else:
        nl = find(fd, b"\n" + PUT, pos, end)
        if nl is None:
            return None
        start = nl + 1
    return start, _put_id(read_line(fd, start, end))


def find_put(fd: int, end: int, target: int) -> int | None:
    """Start of the put line of id TARGET in the first END bytes of FD, by bisection."""
    lo, hi = 0, end  # the line sought, if any, starts in [lo, hi)
    while hi - lo > _SMALL:
        mid = (lo + hi) // 2
        found = next_put(fd, line_start(fd, mid, end), end)
        if found is None or found[0] >= hi or found[1] > target:
            hi = mid  # no put starts in [mid, hi) up to the target's id
        elif found[1] < target:
            lo = found[0] + 1
        else:
            return found[0]
    for start, line in lines_with(fd, line_start(fd, lo, end), end, PUT, chunk=2 * _SMALL):
        if start >= hi:
            return None
        cid = _put_id(line)
        if cid >= target:
            return start if cid == target else None
    return None


def lines_with(
    fd: int, start: int, end: int, *prefixes: bytes, chunk: int = _CHUNK
) -> Iterator[tuple[int, bytes]]:
    """(start, line) of every line in [START, END) that begins with one of PREFIXES, in
    file order; START is a line start. Lines come without their newline; a torn tail
    never comes. One pass over the bytes whatever the number of prefixes."""
    pos = start
    while pos < end:
        data = os.pread(fd, min(chunk, end - pos), pos)
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # one line longer than a chunk
            nl = find(fd, b"\n", pos, end)
            if nl is None:
                return
            data = os.pread(fd, nl + 1 - pos, pos)
            cut = len(data)
        starts: list[int] = []
        for prefix in prefixes:
            if data.startswith(prefix):
                starts.append(0)
            marker = b"\n" + prefix
            i = data.find(marker, 0, cut)
            while i >= 0:
                starts.append(i + 1)
                i = data.find(marker, i + 1, cut)
        for i in sorted(starts):
            yield pos + i, data[i : data.index(b"\n", i)]
        pos += cut
