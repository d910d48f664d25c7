"""Compaction: the store rewritten without its deleted captures, while others keep writing.

`rm`, `prune` and retention only append `del` lines; the space comes back when the log
is rewritten with the live lines alone. Ingest must not stop for that, so the copy is
made in two passes: the bulk without the store's lock (the files are append-only, so
what a snapshot covers never changes), then, under the exclusive lock, the lines
appended meanwhile and the swap. Lines are copied byte for byte, so a capture's record,
its summary and its size stay exactly as they were; ids keep counting from where they
were (a meta line first carries the next id).

Crash safety (SIGKILL or power cut at any instant): until the swap the old files are
untouched and the copies are temporary files that the next compaction truncates. The
copies are fsynced before the swap, which removes the index, renames the new log over
the old one, renames the new index in place and fsyncs the directory. Killed between
those steps, the store holds one complete log (old or new) and no index, which the next
writer rebuilds from the log (readers read the log meanwhile): every capture live
before the compaction is still there.

One compaction (or `clear`) runs at a time: they hold an flock on the store's directory
(taken before the store's lock, never after it; a lock file would be one more file for
a command that may fail to create)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from hookcli.paths import open_private
from hookcli.store import format as fmt
from hookcli.store import seek
from hookcli.store.disk import datasync, fsync_dir, write_all
from hookcli.store.log import INDEX_NAME, LOG_NAME, Cursor, LogFiles, Stats, StoreCorrupt

#: a store compacts itself when deleted captures hold more than half its log and more
#: than this many bytes
AUTO_MIN_GARBAGE = 1 << 20
_COPY = 4 << 20
_STAMPS = ("end", "n", "c", "g", "k")  # the running fields, rewritten last by stamp()


def due(stats: Stats) -> bool:
    """Whether the store should compact itself now."""
    return worth_a_look(stats.garbage) and stats.garbage * 2 > stats.log_bytes


def worth_a_look(garbage: int) -> bool:
    """Whether GARBAGE bytes of deleted captures may make a store due (see `due`)."""
    return garbage > AUTO_MIN_GARBAGE


@contextmanager
def exclusive(files: LogFiles, wait: bool = True) -> Iterator[bool]:
    """The compaction lock; with WAIT false, yields False at once if it is taken."""
    fd = os.open(files.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Compacted:
    before: int  # bytes of the store's files
    after: int
    captures: int


class StoreReplaced(Exception):
    """The files changed identity under a compaction (only an outside hand does that)."""


def compact(files: LogFiles) -> Compacted:
    """Rewrite the store without deleted captures. Hold the compaction lock, not the
    store's lock; FILES is opened for writing (a sync under its lock first)."""
    with files.locked():
        files.sync()
        generation = files.generation
        log_end, idx_end = files.extent()
        next_id = files.next_id
    tmp_log = files.root / (LOG_NAME + ".tmp")
    tmp_idx = files.root / (INDEX_NAME + ".tmp")
    swapped = False
    try:
        with _Copy(files, tmp_log, tmp_idx, next_id) as out:
            out.meta()
            _bulk(files, out, idx_end)
            # what was appended during the bulk, still without the lock: whole lines only,
            # each within the log (a line being written, or torn, waits for the lock)
            idx_end, log_end = _tail(files, out, idx_end, log_end, locked=False)
            out.flush()
            datasync(out.log_fd)  # the bulk reaches the disk outside the lock
            datasync(out.idx_fd)
            # and what came during those syncs: the lock is held for what comes after
            idx_end, log_end = _tail(files, out, idx_end, log_end, locked=False)
            with files.locked():
                files.sync()
                if files.generation != generation:
                    raise StoreReplaced(str(files.log_path))
                # everything appended since, as it is
                _tail(files, out, idx_end, log_end, locked=True)
                out.flush()
                datasync(out.log_fd)
                datasync(out.idx_fd)
                stats = files.stats()
                before = stats.log_bytes + stats.index_bytes
                swapped = True
                os.unlink(files.index_path)
                os.replace(tmp_log, files.log_path)
                os.replace(tmp_idx, files.index_path)
                fsync_dir(files.root)
                files.sync()
                stats = files.stats()
        return Compacted(before, stats.log_bytes + stats.index_bytes, stats.captures)
    finally:
        if not swapped:  # a failure before the swap leaves the store as it was
            tmp_log.unlink(missing_ok=True)
            tmp_idx.unlink(missing_ok=True)


def _bulk(files: LogFiles, out: _Copy, idx_end: int) -> None:
    """Copy the live lines of the first IDX_END index bytes: puts not deleted, and the
    attempts of the puts kept. Lines are told apart by their first bytes and moved by
    rewriting their offsets in place (see _Copy.moved): a store under retention
    compacts every few thousand captures, so this is what it costs ingest."""
    _, idx_fd = files.fds()
    deleted: set[int] = set()
    for _, line in seek.lines_with(idx_fd, 0, idx_end, fmt.DEL):
        deleted.update(files.parse_index(line)["ids"])
    kept: set[int] = set()
    start, prev = first_live(files, idx_end, deleted)
    for at, line in files.index_lines(start, idx_end):
        stamps = fmt.stamps_at(line)
        if stamps < 0:  # a version 0 index line (format.py): parsed
            entry = files.parse_index(line, at)
            end = int(entry["end"])
            if (entry["op"] == "put" and entry["id"] not in deleted) or (
                entry["op"] == "attempt" and entry["id"] in kept
            ):
                kept.add(entry["id"])
                out.line(entry, prev, end)
            prev = end
            continue
        end = fmt.stamped_end(line, stamps)
        if line.startswith(fmt.PUT):
            cid = fmt.line_id(line, fmt.PUT)
            if cid not in deleted:
                kept.add(cid)
                out.moved(line, stamps, "put", cid, prev, end)
        elif line.startswith(fmt.ATTEMPT):
            cid = fmt.line_id(line, fmt.ATTEMPT)
            if cid in kept:
                out.moved(line, stamps, "attempt", cid, prev, end)
        prev = end


def first_live(files: LogFiles, idx_end: int, deleted: set[int]) -> tuple[int, int]:
    """(index offset, log offset) of the put line of the oldest capture not DELETED, when
    every line before it is dead: under retention the deleted captures are the oldest,
    about half the index when a compaction is due, and their lines need not be read.
    (0, 0) when nothing can be skipped that way. The puts before it have smaller ids
    (ids ascend with the offset), all deleted: from the first put's id on, each id up to
    it is; and an attempt line follows its capture's put."""
    _, fd = files.fds()
    first = seek.next_put(fd, 0, idx_end)
    if first is None or first[1] not in deleted:
        return 0, 0
    cid = first[1]
    while cid in deleted:
        cid += 1
    at = seek.find_put(fd, idx_end, cid)
    if at is None:  # no put of that id here (deleted before an earlier compaction)
        return 0, 0
    entry = files.parse_index(seek.read_line(fd, at, idx_end), at)
    return at, int(entry["off"])


def _tail(files: LogFiles, out: _Copy, idx_end: int, log_end: int, locked: bool) -> tuple[int, int]:
    """Copy the lines appended after index offset IDX_END (log offset LOG_END) as they are,
    deletions included; return the offsets copied up to. LOCKED: the store's lock is held
    and the files synced, so every line up to the synced end is whole and in the log;
    else only lines that end in a newline and whose log line is within the log's size."""
    _, idx_fd = files.fds()
    if locked:
        stop = files.extent()[1]
        data = os.pread(idx_fd, stop - idx_end, idx_end) if stop > idx_end else b""
        log_size = None
    else:
        data = os.pread(idx_fd, max(0, os.fstat(idx_fd).st_size - idx_end), idx_end)
        data = data[: data.rfind(b"\n") + 1]
        log_size = os.fstat(files.fds()[0]).st_size
    prev = log_end
    for line in data.splitlines():
        stamps = fmt.stamps_at(line)
        if stamps >= 0:
            end = fmt.stamped_end(line, stamps)
            if log_size is not None and end > log_size:
                break
            if line.startswith(fmt.PUT):
                out.moved(line, stamps, "put", fmt.line_id(line, fmt.PUT), prev, end)
            elif line.startswith(fmt.ATTEMPT):
                out.moved(line, stamps, "attempt", fmt.line_id(line, fmt.ATTEMPT), prev, end)
            else:
                out.line(files.parse_index(line, idx_end), prev, end)
        else:
            entry = files.parse_index(line, idx_end)
            end = int(entry["end"])
            if log_size is not None and end > log_size:
                break
            out.line(entry, prev, end)
        prev = end
        idx_end += len(line) + 1
    return idx_end, prev


class _Copy:
    """The new log and index being written: log lines copied from the old log in as few
    reads as possible, their index entries moved to the new offsets."""

    def __init__(self, files: LogFiles, tmp_log: Path, tmp_idx: Path, next_id: int):
        self.src, _ = files.fds()
        flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC
        self.log_fd = open_private(tmp_log, flags)
        try:
            self.idx_fd = open_private(tmp_idx, flags)
        except BaseException:
            os.close(self.log_fd)
            raise
        self.cur = Cursor(next_id=next_id)
        self.offset = 0
        self.log_path = files.log_path
        self.lines: list[tuple[int, int, bytes]] = []  # adjacent lines still to copy
        self.index: list[bytes] = []
        self.index_size = 0
        self.out: list[bytes] = []  # log lines copied, not yet written
        self.out_size = 0

    def meta(self) -> None:
        """The first line: the next id, so that ids keep counting whatever is dropped."""
        line = fmt.dumps(fmt.meta_op(self.cur.next_id))
        write_all(self.log_fd, line)
        self.offset = len(line)
        self._add_index(self.cur.stamp({"op": "meta"}, self.offset, len(line)))

    def line(self, entry: fmt.IndexEntry, start: int, end: int) -> None:
        """Copy the old log's line [START, END) and add ENTRY, its index entry, moved."""
        length = end - start
        moved = cast(fmt.IndexEntry, {k: v for k, v in entry.items() if k not in _STAMPS})
        op = moved["op"]
        if op == "put":
            moved["off"] = self.offset
            self.cur.next_id = max(self.cur.next_id, int(moved["id"]) + 1)
        elif op == "attempt":
            moved["len"] = length
        self._add_index(self.cur.stamp(moved, self.offset + length, length))
        self.offset += length
        self._take(op, moved.get("id"), start, end)

    def _take(self, op: str, cid: int | None, start: int, end: int) -> None:
        """Gather the old log's line [START, END) to copy, with the first bytes it must
        have (its operation and id)."""
        if self.lines and self.lines[-1][1] != start:
            self._copy()
        self.lines.append((start, end, fmt.log_head(op, cid)))
        if end - self.lines[0][0] >= _COPY:
            self._copy()

    def moved(self, line: bytes, stamps: int, op: str, cid: int, start: int, end: int) -> None:
        """As line(), for an index LINE as written, the running fields at STAMPS: its
        bytes rewritten (the log offset of a put, the running fields), never parsed."""
        length = end - start
        if op == "put":
            body = fmt.moved_put(line, stamps, cid, self.offset)
            self.cur.live += 1
            self.cur.next_id = max(self.cur.next_id, cid + 1)
        else:
            body = line[:stamps]
            self.cur.changes += 1
        self.offset += length
        stamped = self.cur.stamped(body, self.offset)
        self.index.append(stamped)
        self.index_size += len(stamped)
        if self.index_size >= _COPY:
            self._write_index()
        self._take(op, cid, start, end)

    def _add_index(self, entry: fmt.IndexEntry) -> None:
        line = fmt.dumps(entry)
        self.index.append(line)
        self.index_size += len(line)
        if self.index_size >= _COPY:
            self._write_index()

    def _copy(self) -> None:
        """Copy the run of adjacent lines gathered, checking that each is the line its
        index entry says: an index that does not match its log is never used to write."""
        if not self.lines:
            return
        first, last = self.lines[0][0], self.lines[-1][1]
        data = os.pread(self.src, last - first, first)
        for start, end, head in self.lines:
            at = start - first
            if data[end - first - 1 : end - first] != b"\n" or not data.startswith(head, at):
                raise StoreCorrupt(
                    self.log_path,
                    f"the index does not match the log at byte {start}; nothing was changed"
                    " (`hookcli store check` says more)",
                )
        self.lines = []
        # under retention the live lines come in runs of a batch (its deletion line is
        # dropped): written together, not one write per run
        self.out.append(data)
        self.out_size += len(data)
        if self.out_size >= _COPY:
            self._write_log()

    def _write_log(self) -> None:
        write_all(self.log_fd, b"".join(self.out))
        self.out = []
        self.out_size = 0

    def _write_index(self) -> None:
        write_all(self.idx_fd, b"".join(self.index))
        self.index = []
        self.index_size = 0

    def flush(self) -> None:
        self._copy()
        self._write_log()
        self._write_index()

    def __enter__(self) -> _Copy:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in (self.log_fd, self.idx_fd):
            os.close(fd)
