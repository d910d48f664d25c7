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

Reading opens nothing for writing: until a process first changes the store, its files are
opened read-only under a shared lock, a missing store reads as an empty one, and what a
crash left for a writer to repair (a torn tail, log lines the index lacks) is worked
around in memory. So `ls`, `show` and the like create nothing and change no file or mode.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from hookcli.errors import HookcliError
from hookcli.paths import ensure_private_dir, first_non_directory, open_private, open_readonly

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


class StoreUnavailable(HookcliError):
    """The store's files cannot be opened or written (permissions, a file where a directory
    should be, a full disk): one line naming the path and what to do."""

    def __init__(self, root: Path, error: OSError, writing: bool):
        where = Path(error.filename) if error.filename else root
        verb = "write to" if writing else "read"
        code = error.errno
        if code == errno.ENOTDIR:
            blocker = first_non_directory(root) or where
            message = f"cannot use {root} as a store: {blocker} is a file, not a directory"
            hint = "pick another --store or HOOKCLI_STORE"
        elif code in (errno.EACCES, errno.EPERM):
            if not os.path.exists(where) and os.path.exists(where.parent):  # one to create
                where = where.parent
            message = f"cannot {verb} the store {root}: permission denied on {where}"
            hint = f"check the owner and mode of {where} with `ls -ld`" + (
                ": the store needs u+rw on its files and u+rwx on its directory;"
                " or pick another --store"
                if writing
                else ", or pick another --store"
            )
        elif code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            message = f"cannot write to the store {root}: {error.strerror}"
            hint = "free some space and try again; the store was left as it was"
        elif code == errno.EROFS:
            message = f"cannot write to the store {root}: read-only file system"
            hint = "pick another --store"
        else:
            message = f"cannot {verb} the store {root}: {error.strerror or error} ({where})"
            hint = None
        super().__init__(message, hint)
        self.path = where


@contextmanager
def access(root: Path, writing: bool) -> Iterator[None]:
    """Turn an OSError from the store's files into a StoreUnavailable naming them."""
    try:
        yield
    except OSError as e:
        raise StoreUnavailable(root, e, writing) from e


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
        self._write = False
        self._cur = _Cursor()
        # read-only: index entries, newest last, for log lines the index does not cover
        # yet (a writer crashed between its two writes; the next writer adds them)
        self._mem: list[dict[str, Any]] = []

    # -- opening and locking -------------------------------------------------------------

    @property
    def writable(self) -> bool:
        """Opened for writing: files created, repairs allowed. Until then, read-only."""
        return self._write

    def exists(self) -> bool:
        """Whether a store is at the root (its log or index); reading never creates one."""
        # os.stat, not Path.exists: a file in the path or a closed directory is an error
        # to report, not an absent store
        return _inode(self.log_path) >= 0 or _inode(self.index_path) >= 0

    def _open_lock(self, write: bool) -> None:
        if write and not self._write:
            ensure_private_dir(self.root)
            fd = open_private(self.lock_path, os.O_RDWR | os.O_CREAT)
            self.close()  # read-only descriptors give way to read-write ones
            self._lock_fd, self._write = fd, True
        elif self._lock_fd < 0 and not self._write:
            # no lock file (no store yet): nothing to lock against but a writer that is
            # creating the store, and what it has written so far reads consistently
            self._lock_fd = _or_closed(open_readonly(self.lock_path))

    def close(self) -> None:
        for name in ("_log_fd", "_idx_fd", "_lock_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        self._write = False
        self._cur = _Cursor()
        self._mem = []

    @contextmanager
    def locked(self, exclusive: bool = True) -> Iterator[None]:
        """The store's lock; EXCLUSIVE opens the store for writing (creating it)."""
        self._open_lock(write=exclusive)
        if self._lock_fd < 0:
            yield
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _reopen(self) -> None:
        """(Re)open both files, e.g. after a compaction replaced them. Lock held. Read-only,
        a missing file stays closed (-1): an empty store."""
        for name in ("_log_fd", "_idx_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        if self._write:
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
            self._log_fd = open_private(self.log_path, flags)
            self._idx_fd = open_private(self.index_path, flags)
        else:
            self._log_fd = _or_closed(open_readonly(self.log_path))
            self._idx_fd = _or_closed(open_readonly(self.index_path))
        self._cur = _Cursor(ino=(_fd_inode(self._log_fd), _fd_inode(self._idx_fd)))
        self._mem = []

    # -- catching up ----------------------------------------------------------------------

    def sync(self) -> None:
        """Bring this process's view up to date; a writer also repairs what a crash left.
        Hold the lock. Costs O(what other processes appended since the last call)."""
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
        if self._idx_fd < 0:
            return  # read-only and no index: everything is read from the log
        size = os.fstat(self._idx_fd).st_size
        last, last_start = _last_line(self._idx_fd, size)
        if last is None:
            return  # empty index: everything is read from the log
        try:
            entry = orjson.loads(last)
            covered, next_id = int(entry["end"]), int(entry["n"])
        except (ValueError, KeyError, TypeError) as e:
            raise StoreCorrupt(self.index_path, f"bad last line ({e})") from e
        log_size = os.fstat(self._log_fd).st_size if self._log_fd >= 0 else 0
        if covered > log_size:
            raise StoreCorrupt(self.index_path, "the index describes more than the log holds")
        self._cur.idx_end = last_start + len(last) + 1
        self._cur.covered = covered
        self._cur.log_end = covered
        self._cur.next_id = next_id

    def _read_index_tail(self) -> None:
        if self._idx_fd < 0:
            return
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
        if complete < len(data) and self._write:  # torn tail: never acknowledged
            os.ftruncate(self._idx_fd, self._cur.idx_end)

    def _read_log_tail(self) -> None:
        """Read log lines the index does not cover yet. A writer appends their index lines
        (and cuts a torn tail off); a reader keeps them in memory and changes nothing."""
        self._mem = []
        if self._log_fd < 0:
            return
        size = os.fstat(self._log_fd).st_size
        start = self._cur.covered
        if size == start:
            self._cur.log_end = size
            return
        data = os.pread(self._log_fd, size - start, start)
        complete = data.rfind(b"\n") + 1
        if complete < len(data) and self._write:
            os.ftruncate(self._log_fd, start + complete)
        offset = start
        entries: list[dict[str, Any]] = []
        for line in data[:complete].splitlines(keepends=True):
            try:
                op = orjson.loads(line)
            except ValueError as e:
                raise StoreCorrupt(self.log_path, f"unparseable line at byte {offset} ({e})") from e
            entries.append(self._index_entry(op, offset, len(line)))
            offset += len(line)
        if not self._write:
            self._mem = entries
            return
        if entries:
            os.write(self._idx_fd, b"".join(dumps(e) for e in entries))
            self._cur.idx_end = os.fstat(self._idx_fd).st_size
        self._cur.log_end = self._cur.covered = offset

    def _index_entry(self, op: dict[str, Any], off: int, length: int) -> dict[str, Any]:
        """The index entry for a log line at OFF, advancing next_id."""
        kind = op.get("op")
        end = off + length
        if kind == "put":
            cid = int(op["id"])
            self._cur.next_id = max(self._cur.next_id, cid + 1)
            return {
                "op": "put",
                "id": cid,
                "off": off,
                "len": length,
                "end": end,
                "n": self._cur.next_id,
                "s": summary_of(op["doc"]),
            }
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
        return entry

    # -- writing --------------------------------------------------------------------------

    def append(self, ops: list[dict[str, Any]]) -> None:
        """Append log ops and their index lines. Hold the lock and call sync() first."""
        log_lines = [dumps(op) for op in ops]
        offset = self._cur.log_end
        idx_lines = []
        for op, line in zip(ops, log_lines, strict=True):
            idx_lines.append(dumps(self._index_entry(op, offset, len(line))))
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

    @property
    def generation(self) -> tuple[int, int]:
        """The files' identity as synced: a compaction or clear replaces them, after which
        an index offset read before means nothing."""
        return self._cur.ino

    # -- reading --------------------------------------------------------------------------

    def view(self) -> tuple[int, int]:
        """(log fd, index end) as synced: a consistent view to read. Lock held."""
        return self._log_fd, self._cur.idx_end

    def snapshot(self) -> tuple[int, int]:
        """Sync under the lock and return a view(); reading it needs no lock after. Takes
        the shared lock and opens nothing for writing unless this process already writes."""
        with self.locked(exclusive=self._write):
            self.sync()
            return self.view()

    def index_backward(self, end: int) -> Iterator[dict[str, Any]]:
        """Index entries from END back to the start, newest first (with a reader's
        in-memory entries for log lines the index lacks, newer than any in the file)."""
        yield from reversed(self._mem)
        if self._idx_fd < 0:
            return
        for _, line in _lines_backward(self._idx_fd, end):
            if line:
                yield self._parse_index(line)

    def index_forward(self, start: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """(offset after the line, entry) for index lines from START to the current end."""
        if self._idx_fd < 0:
            return
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
            try:
                data = b"".join(dumps(op) for op in [{"op": "meta", "next_id": next_id}, *ops])
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written copy behind
            raise
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


def _fd_inode(fd: int) -> int:
    return os.fstat(fd).st_ino if fd >= 0 else -1


def _or_closed(fd: int | None) -> int:
    return -1 if fd is None else fd


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
