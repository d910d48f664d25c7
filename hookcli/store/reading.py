"""Reading a store as of a view (files.View): index entries newest first or oldest first,
the put of an id by bisection and what happened to it after, the records of a set of ids.
Lines are found by their first bytes (seek.py) and parsed only when wanted."""

from __future__ import annotations

import os
from collections.abc import Iterator

from hookcli.store import format as fmt
from hookcli.store import seek
from hookcli.store.files import StoreCorrupt, StoreFiles

_BLOCK = 64 * 1024


class Reading(StoreFiles):
    """The reading half of LogFiles (log.py)."""

    def index_backward(self, end: int) -> Iterator[fmt.IndexEntry]:
        """Index entries from END back to the start, newest first (with a reader's
        in-memory entries for log lines the index lacks, newer than any in the file)."""
        yield from reversed(self._mem)
        if self._idx_fd < 0:
            return
        # what the walk checks as it goes (what `store check` checks, for the lines read):
        # each line ends where the next begins, and capture ids descend
        begins: int | None = None  # log offset where the line read before this one begins
        later: tuple[int, int] | None = None  # (index offset, id) of the put read before
        for at, line in lines_backward(self._idx_fd, end):
            if not line:
                continue
            entry = self.parse_index(line, at)
            if begins is not None and entry["end"] != begins:
                raise StoreCorrupt(
                    self.index_path,
                    f"the line at byte {at} ends at log byte {entry['end']}, but the next"
                    f" begins at log byte {begins}: the index no longer matches the log",
                )
            length = entry.get("len")
            begins = entry["end"] - length if isinstance(length, int) else None
            if entry["op"] == "put":
                if later is not None and (wrong := fmt.out_of_order(later[1], entry["id"])):
                    raise StoreCorrupt(self.index_path, f"byte {later[0]}: {wrong}")
                later = (at, entry["id"])
            yield entry

    def index_forward(
        self, start: int, end: int | None = None
    ) -> Iterator[tuple[int, fmt.IndexEntry]]:
        """(offset after the line, entry) for index lines from START to END (default: the
        current end of the file)."""
        for at, line in self.index_lines(start, end):
            yield at + len(line) + 1, self.parse_index(line, at)

    def index_lines(self, start: int, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(offset, line without its newline) for index lines from START to END, unparsed."""
        return lines_forward(self._idx_fd, start, end)

    def put_entries(self, ids: set[int], end: int) -> dict[int, fmt.IndexEntry] | None:
        """{id: put entry} (summary "s", log offset "off" and length "len") of the live
        captures among IDS as of index offset END; None when the smallest has no put line
        (then ask `_weighted`). The put of
        the smallest is found by bisection, the lines after it by their first bytes, and
        only the puts wanted and the deletions are parsed: O(log n + bytes since)."""
        fd = self._idx_fd
        first, top = (min(ids), max(ids)) if ids else (0, 0)
        start: int | None = None
        hint = self._put_hint
        if hint is not None and hint[0] == self._cur.ino and hint[2] <= first and hint[1] < end:
            start = hint[1]  # the put of an id at most the smallest: scan on from there
        elif fd >= 0 and ids:
            start = seek.find_put(fd, end, first)
        if start is None:
            return None
        found: dict[int, fmt.IndexEntry] = {}
        last_put: tuple[int, int] | None = None

        def take(entry: fmt.IndexEntry) -> None:
            if entry["op"] == "put" and entry["id"] in ids:
                found[entry["id"]] = entry
            elif entry["op"] == "del":
                for cid in entry["ids"]:
                    found.pop(cid, None)

        for at, line in seek.lines_with(fd, start, end, fmt.PUT, fmt.DEL):
            if line.startswith(fmt.DEL):
                take(self.parse_index(line, at))
                continue
            cid = fmt.line_id(line, fmt.PUT)
            if cid <= top:  # not past the ids: the listener names the next ones later
                last_put = (at, cid)
            if cid in ids:
                take(self.parse_index(line, at))
        if last_put is not None:  # the next call (for later ids) starts there
            self._put_hint = (self._cur.ino, last_put[0], last_put[1])
        for entry in self._mem:  # log lines the index lacks: newer than any above
            take(entry)
        return found

    def lookup(self, target: int, end: int) -> tuple[fmt.IndexEntry | None, list[fmt.IndexEntry]]:
        """The put entry of capture TARGET (None if absent or deleted) and its attempt
        entries, oldest first, as of index offset END. O(log n) reads find the put; the
        lines after it are searched by their first bytes for its deletion and attempts."""
        put: fmt.IndexEntry | None = None
        attempts: list[fmt.IndexEntry] = []
        deleted = False
        fd = self._idx_fd
        start = seek.find_put(fd, end, target) if fd >= 0 else None
        if start is not None:
            line = seek.read_line(fd, start, end)
            put = self.parse_index(line, start)
            # "k" counts del and attempt lines: unchanged since the put, none concerns it
            if put.get("k") != self._tip.changes:
                after = start + len(line) + 1
                mark = fmt.attempt_prefix(target)
                for at, ln in seek.lines_with(fd, after, end, fmt.DEL, mark):
                    entry = self.parse_index(ln, at)
                    if entry["op"] == "attempt":
                        attempts.append(entry)
                    elif target in entry["ids"]:
                        deleted = True
        for entry in self._mem:  # log lines the index lacks: newer than any above
            op = entry["op"]
            if op == "put" and entry["id"] == target:
                put = entry
            elif op == "del" and target in entry["ids"]:
                deleted = True
            elif op == "attempt" and entry["id"] == target:
                attempts.append(entry)
        if put is None or deleted:
            return None, []
        return put, attempts


def lines_backward(fd: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(start offset, line without its newline) for the complete lines of FD before END,
    the last first. Bytes after the last newline before END (a torn tail) are skipped."""
    pos = end
    rest = b""  # the head of the block read last, up to and including its first newline
    # blocks with no newline, the one read first first: a line longer than a block is
    # joined once when its start is found, so the cost stays linear in its length
    held: list[bytes] = []
    while pos > 0:
        take = min(_BLOCK, pos)
        pos -= take
        block = os.pread(fd, take, pos)
        if pos > 0 and b"\n" not in block:
            held.append(block)
            continue
        chunk = block + b"".join(reversed(held)) + rest
        held.clear()
        lines = chunk.split(b"\n")
        stop = pos + len(chunk) - len(lines[-1])  # just after the last newline in the chunk
        first = 0 if pos == 0 else 1  # lines[0] may continue in the block before this one
        for line in reversed(lines[first:-1]):
            start = stop - len(line) - 1
            yield start, line
            stop = start
        # carry the head on; with no newline in the chunk it is (part of) a torn tail
        rest = lines[0] + b"\n" if len(lines) > 1 else lines[0]


def lines_forward(fd: int, start: int, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset, line without its newline) for the lines of FD from START to END (default:
    the file's current end); a line still being written (no newline yet) never comes."""
    if fd < 0:
        return
    size = os.fstat(fd).st_size if end is None else end
    pos = start
    while pos < size:
        data = os.pread(fd, min(_BLOCK * 4, size - pos), pos)
        complete = data.rfind(b"\n") + 1
        if complete == 0:
            return  # a line still being written
        for line in data[:complete].splitlines():
            yield pos, line
            pos += len(line) + 1
