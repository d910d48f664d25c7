"""The store as of one moment, for a block of reads: `with store.reading() as r:`.

A Store's descriptors are per thread and a write may reopen them (a compaction replaces
the files), so a record read lazily after a write could come from the wrong file. A
reading holds a descriptor of its own on the log it started with (a dup, which a
compaction's rename does not touch): what it hands out reads the same bytes whatever this
process writes meanwhile, and stops working at the end of the block, which closes it.
Records asked for after the block raise instead of reading something else. A worker
thread's reading (`reading(release=True)`) closes the thread's descriptors at its end:
no descriptor outlives the block."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from hookcli.store.format import CaptureRecord, summary_of
from hookcli.store.log import LogFiles, access

Record = CaptureRecord


class ReadingClosed(RuntimeError):
    """A record asked for after its reading ended."""


class Stored:
    """A live capture as the index has it: its summary (id, method, path, query, body
    size, provider, event type...), and its full record, read and parsed only when
    `record()` is first called. The forwarding helper decides from the summary what a
    capture needs (a capture that every target skips is never read)."""

    __slots__ = ("_read", "_record", "summary")

    def __init__(self, summary: dict[str, Any], read: Callable[[], Record]) -> None:
        self.summary = summary
        self._read = read
        self._record: Record | None = None

    def record(self) -> Record:
        if self._record is None:
            self._record = self._read()
        return self._record


def given(record: Record) -> Callable[[], Record]:
    """A Stored record that was read already."""
    return lambda: record


def stored(
    root: Path,
    files: LogFiles,
    fd: int,
    end: int,
    ids: set[int],
    walk: Callable[[set[int]], Iterable[Record]],
    is_open: Callable[[], bool] = lambda: True,
) -> list[Stored]:
    """The live captures among IDS as of index offset END, oldest first, each record read
    from FD when asked for (while IS_OPEN). The put of the smallest is found by bisection
    and the others by a byte scan (LogFiles.put_entries); when the smallest is not in the
    index, WALK (Store.records) gives the records themselves."""
    if not ids:
        return []
    with access(root, files.writable):
        puts = files.put_entries(ids, end)
    if puts is None:
        return [Stored(summary_of(r), given(r)) for r in walk(ids)]

    def reader(off: int, n: int, cid: int) -> Callable[[], Record]:
        def read() -> Record:
            if not is_open():
                raise ReadingClosed("a record asked for after its reading ended")
            with access(root, files.writable):
                return files.read_doc(fd, off, n, cid)

        return read

    return [Stored(e["s"], reader(e["off"], e["len"], e["id"])) for _, e in sorted(puts.items())]


class Snapshot:
    """What `Store.reading()` yields (see the module's docstring)."""

    def __init__(
        self,
        root: Path,
        files: LogFiles,
        end: int,
        walk: Callable[[set[int]], Iterable[Record]],
    ) -> None:
        self.root = root
        self._files = files
        self._end = end
        self._walk = walk
        log_fd = files.fds().log_fd
        self._fd = os.dup(log_fd) if log_fd >= 0 else -1

    def stored_by_id(self, ids: Collection[int]) -> list[Stored]:
        """Store.stored_by_id, its records readable until the block ends."""
        return stored(
            self.root, self._files, self._fd, self._end, set(ids), self._walk, lambda: self._fd >= 0
        )

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
