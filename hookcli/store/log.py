"""The on-disk store: an append-only JSON-lines log plus a summary index beside it.

Files in the store directory:
  captures.jsonl  the log, the truth. One JSON object a line:
                  {"op":"put","id":N,"doc":{record}}     a new capture
                  {"op":"attempt","id":N,"kind":"forwards"|"replays","attempt":{...}}
                  {"op":"del","ids":[N,...]}             captures removed
                  {"op":"meta","next_id":N}               first line after a compaction
  index.jsonl     derived from the log, one line per log line, small: the summary of a
                  put and the byte range of its log line, the attempt itself, the ids of a
                  del. Every index line carries "end" (the log offset it covers up to) and
                  "n" (the next id to assign), so a process learns the store's state from
                  the index's last line alone, whatever the store's size.
  lock            fcntl.flock: exclusive around "catch up, take ids, append"; shared while
                  a reader opens its file descriptors.

Every change is an append made with one write() per file, so a SIGKILL the instant after
it returns loses nothing and concurrent processes never overwrite each other. A last line
without its newline (a crash mid-write, never acknowledged) is ignored by readers and cut
off by the next writer. Any other line that does not parse makes the store unreadable: it
is reported with its path and left as it is.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from hookcli.errors import HookcliError
from hookcli.paths import ensure_private_dir, open_private

LOG_NAME = "captures.jsonl"
INDEX_NAME = "index.jsonl"
LOCK_NAME = "lock"
_BLOCK = 64 * 1024


class StoreCorrupt(HookcliError):
    def __init__(self, path: Path, detail: str):
        super().__init__(
            f"store file {path} cannot be read: {detail}",
            "it was left untouched; move it aside to start a fresh store",
        )
        self.path = path


def dumps(obj: Any) -> bytes:
    """One log or index line. orjson: encoding is most of a capture's cost on the ingest
    path, and orjson does it several times faster than the standard library."""
    return orjson.dumps(obj) + b"\n"


def summary_of(rec: dict[str, Any]) -> dict[str, Any]:
    """The index's copy of a record: what `ls` shows and filters on."""
    return {
        "id": rec["id"],
        "received_at": rec["received_at"],
        "method": rec["method"],
        "path": rec["path"],
        "query": rec.get("query", ""),
        "body_size": rec.get("body_size", 0),
        "provider": rec.get("provider"),
        "event_type": rec.get("event_type"),
        "signature": rec.get("signature"),
        "source": rec.get("source", "listen"),
    }


@dataclass
class _Cursor:
    """What this process has read of the files so far."""

    ino: tuple[int, int] = (-1, -1)  # (log, index) inodes: a compaction changes them
    log_end: int = 0  # bytes of the log consumed
    idx_end: int = 0  # bytes of the index consumed
    covered: int = 0  # log offset the index covers up to
    next_id: int = 1


class LogFiles:
    """Low-level access to one store directory. Not thread-safe; one per thread."""

    def __init__(self, root: Path):
        self.root = root
        self.log_path = root / LOG_NAME
        self.index_path = root / INDEX_NAME
        self.lock_path = root / LOCK_NAME
        self._lock_fd = -1
        self._log_fd = -1
        self._idx_fd = -1
        self._cur = _Cursor()

    # -- opening and locking -------------------------------------------------------------

    def _ensure_open(self) -> None:
        if self._lock_fd < 0:
            ensure_private_dir(self.root)
            self._lock_fd = open_private(self.lock_path, os.O_RDWR | os.O_CREAT)

    def close(self) -> None:
        for name in ("_log_fd", "_idx_fd", "_lock_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)

    @contextmanager
    def locked(self, exclusive: bool = True) -> Iterator[None]:
        self._ensure_open()
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _reopen(self) -> None:
        """(Re)open both files, e.g. after a compaction replaced them. Lock held."""
        for name in ("_log_fd", "_idx_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
        self._log_fd = open_private(self.log_path, flags)
        self._idx_fd = open_private(self.index_path, flags)
        self._cur = _Cursor(ino=(os.fstat(self._log_fd).st_ino, os.fstat(self._idx_fd).st_ino))

    # -- catching up ----------------------------------------------------------------------

    def sync(self) -> None:
        """Bring this process's view up to date and repair what a crash left. Hold the
        exclusive lock. Costs O(what other processes appended since the last call)."""
        ino = (_inode(self.log_path), _inode(self.index_path))
        if self._log_fd < 0 or ino != self._cur.ino:
            if ino[0] < 0 and ino[1] >= 0 and os.path.getsize(self.index_path) > 0:
                raise StoreCorrupt(self.log_path, "the log is missing but its index is not")
            self._reopen()
            self._start_from_index_tail()
        self._read_index_tail()
        self._read_log_tail()

    def _start_from_index_tail(self) -> None:
        """Fresh open: take the state from the index's last complete line (O(1))."""
        size = os.fstat(self._idx_fd).st_size
        last, last_start = _last_line(self._idx_fd, size)
        if last is None:
            return  # empty index: everything is read from the log
        try:
            entry = orjson.loads(last)
            covered, next_id = int(entry["end"]), int(entry["n"])
        except (ValueError, KeyError, TypeError) as e:
            raise StoreCorrupt(self.index_path, f"bad last line ({e})") from e
        log_size = os.fstat(self._log_fd).st_size
        if covered > log_size:
            raise StoreCorrupt(self.index_path, "the index describes more than the log holds")
        self._cur.idx_end = last_start + len(last) + 1
        self._cur.covered = covered
        self._cur.log_end = covered
        self._cur.next_id = next_id

    def _read_index_tail(self) -> None:
        size = os.fstat(self._idx_fd).st_size
        if size == self._cur.idx_end:
            return
        data = os.pread(self._idx_fd, size - self._cur.idx_end, self._cur.idx_end)
        complete = data.rfind(b"\n") + 1
        for line in data[:complete].splitlines():
            try:
                entry = orjson.loads(line)
                self._cur.covered = int(entry["end"])
                self._cur.next_id = max(self._cur.next_id, int(entry["n"]))
            except (ValueError, KeyError, TypeError) as e:
                raise StoreCorrupt(self.index_path, f"unparseable line ({e})") from e
        self._cur.idx_end += complete
        if complete < len(data):  # torn tail: never acknowledged
            os.ftruncate(self._idx_fd, self._cur.idx_end)

    def _read_log_tail(self) -> None:
        """Read log lines the index does not cover yet; write their index lines."""
        size = os.fstat(self._log_fd).st_size
        start = self._cur.covered
        if size == start:
            self._cur.log_end = size
            return
        data = os.pread(self._log_fd, size - start, start)
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            os.ftruncate(self._log_fd, start + complete)
        offset = start
        out: list[bytes] = []
        for line in data[:complete].splitlines(keepends=True):
            try:
                op = orjson.loads(line)
            except ValueError as e:
                raise StoreCorrupt(self.log_path, f"unparseable line at byte {offset} ({e})") from e
            out.append(self._index_line(op, offset, len(line)))
            offset += len(line)
        if out:
            os.write(self._idx_fd, b"".join(out))
            self._cur.idx_end = os.fstat(self._idx_fd).st_size
        self._cur.log_end = self._cur.covered = offset

    def _index_line(self, op: dict[str, Any], off: int, length: int) -> bytes:
        """The index line for a log line at OFF, advancing next_id."""
        kind = op.get("op")
        end = off + length
        if kind == "put":
            cid = int(op["id"])
            self._cur.next_id = max(self._cur.next_id, cid + 1)
            return dumps(
                {
                    "op": "put",
                    "id": cid,
                    "off": off,
                    "len": length,
                    "end": end,
                    "n": self._cur.next_id,
                    "s": summary_of(op["doc"]),
                }
            )
        if kind == "attempt":
            entry = {"op": "attempt", "id": op["id"], "kind": op["kind"], "a": op["attempt"]}
        elif kind == "del":
            entry = {"op": "del", "ids": op["ids"]}
        elif kind == "meta":
            self._cur.next_id = max(self._cur.next_id, int(op["next_id"]))
            entry = {"op": "meta"}
        else:
            raise StoreCorrupt(self.log_path, f"unknown op {kind!r} at byte {off}")
        entry.update(end=end, n=self._cur.next_id)
        return dumps(entry)

    # -- writing --------------------------------------------------------------------------

    def append(self, ops: list[dict[str, Any]]) -> None:
        """Append log ops and their index lines. Hold the lock and call sync() first."""
        log_lines = [dumps(op) for op in ops]
        offset = self._cur.log_end
        idx_lines = []
        for op, line in zip(ops, log_lines, strict=True):
            idx_lines.append(self._index_line(op, offset, len(line)))
            offset += len(line)
        _write_all(self._log_fd, b"".join(log_lines))
        self._cur.log_end = self._cur.covered = offset
        _write_all(self._idx_fd, b"".join(idx_lines))
        self._cur.idx_end += sum(len(x) for x in idx_lines)

    def take_ids(self, count: int) -> list[int]:
        first = self._cur.next_id
        return list(range(first, first + count))

    @property
    def next_id(self) -> int:
        return self._cur.next_id

    # -- reading --------------------------------------------------------------------------

    def view(self) -> tuple[int, int]:
        """(log fd, index end) as synced: a consistent view to read. Lock held."""
        return self._log_fd, self._cur.idx_end

    def snapshot(self) -> tuple[int, int]:
        """Sync under the lock and return a view(); reading it needs no lock after."""
        with self.locked():
            self.sync()
            return self.view()

    def index_backward(self, end: int) -> Iterator[dict[str, Any]]:
        """Index entries from END back to the start, newest first."""
        for _, line in _lines_backward(self._idx_fd, end):
            if line:
                yield self._parse_index(line)

    def index_forward(self, start: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """(offset after the line, entry) for index lines from START to the current end."""
        size = os.fstat(self._idx_fd).st_size
        pos = start
        while pos < size:
            data = os.pread(self._idx_fd, min(_BLOCK * 4, size - pos), pos)
            complete = data.rfind(b"\n") + 1
            if complete == 0:
                return  # a line still being written
            for line in data[:complete].splitlines(keepends=True):
                pos += len(line)
                yield pos, self._parse_index(line)

    def _parse_index(self, line: bytes) -> dict[str, Any]:
        try:
            entry: dict[str, Any] = orjson.loads(line)
        except ValueError as e:
            raise StoreCorrupt(self.index_path, f"unparseable line ({e})") from e
        return entry

    def read_doc(self, fd: int, off: int, length: int) -> dict[str, Any]:
        line = os.pread(fd, length, off)
        try:
            op = orjson.loads(line)
            doc: dict[str, Any] = op["doc"]
        except (ValueError, KeyError, TypeError) as e:
            raise StoreCorrupt(self.log_path, f"bad record at byte {off} ({e})") from e
        return doc

    # -- compaction -----------------------------------------------------------------------

    def rewrite(self, ops: list[dict[str, Any]]) -> None:
        """Replace both files with a log of OPS (after a meta line keeping next_id). Hold
        the exclusive lock and call sync() first. Crash-safe: the index is removed first,
        and an index-less store is rebuilt from whichever log is in place."""
        next_id = self._cur.next_id
        tmp = self.root / (LOG_NAME + ".tmp")
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            _write_all(fd, b"".join(dumps(op) for op in [{"op": "meta", "next_id": next_id}, *ops]))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.unlink(self.index_path)
        os.replace(tmp, self.log_path)
        dfd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        self._reopen()
        self._read_log_tail()


def _inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return -1


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _lines_backward(fd: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(start offset, line without its newline) for the complete lines of FD before END,
    the last first. Bytes after the last newline before END (a torn tail) are skipped."""
    pos = end
    rest = b""  # the head of the block read last, up to and including its first newline
    while pos > 0:
        take = min(_BLOCK, pos)
        pos -= take
        chunk = os.pread(fd, take, pos) + rest
        lines = chunk.split(b"\n")
        stop = pos + len(chunk) - len(lines[-1])  # just after the last newline in the chunk
        first = 0 if pos == 0 else 1  # lines[0] may continue in the block before this one
        for line in reversed(lines[first:-1]):
            start = stop - len(line) - 1
            yield start, line
            stop = start
        # carry the head on; with no newline in the chunk it is (part of) a torn tail
        rest = lines[0] + b"\n" if len(lines) > 1 else lines[0]


def _last_line(fd: int, size: int) -> tuple[bytes | None, int]:
    """The last complete line of a file (without its newline) and its start offset."""
    for start, line in _lines_backward(fd, size):
        return line, start
    return None, 0
