"""A store's two files and its lock: opening them (read-only until a process first writes),
locking, reopening after a compaction replaced them, and what this process has read of
them (the cursor). The catching up is in catchup.py, the reading in reading.py, the
writing in log.py; the bytes of each line in format.py.

Files in the store directory:
  captures.jsonl  the log, the truth (format.py)
  index.jsonl     derived from the log, one line per log line (format.py)
  lock            fcntl.flock: exclusive around "catch up, take ids, append"; shared while
                  a reader opens its file descriptors.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from hookcli.errors import HookcliError
from hookcli.paths import (
    NotPrivate,
    check_private_dir,
    ensure_private_dir,
    first_non_directory,
    open_private,
    open_readonly,
)
from hookcli.store import format as fmt
from hookcli.store.disk import fd_inode, inode, size
from hookcli.store.live import LiveIds

LOG_NAME = "captures.jsonl"
INDEX_NAME = "index.jsonl"
LOCK_NAME = "lock"


#: what every error about a damaged store points to
REPAIR_HINT = (
    "it was left untouched; `hookcli store check` lists the damage, `hookcli store repair`"
    " keeps what can be kept (or move the store aside to start afresh)"
)


class StoreCorrupt(HookcliError):
    def __init__(self, path: Path, detail: str):
        super().__init__(
            f"store file {path} cannot be read: {detail}",
            REPAIR_HINT,
        )
        self.path = path


class StoreUnavailable(HookcliError):
    """The store's files cannot be opened or written (permissions, a file where a directory
    should be, a full disk): one line naming the path and what to do."""

    def __init__(self, root: Path, error: OSError, writing: bool):
        where = Path(error.filename) if error.filename else root
        verb = "write to" if writing else "read"
        code = error.errno
        if isinstance(error, NotPrivate):
            message = f"refusing the store {root}: {where} is {error.strerror}"
            hint = "a store is its user's alone; use your own --store" + (
                "" if "owned" in (error.strerror or "") else f", or `chmod go-w {where}`"
            )
        elif code == errno.ELOOP:
            message = f"refusing the store {root}: {where} is a symlink"
            hint = "a store's files are never followed; put the file itself there"
        elif code == errno.ENOTDIR:
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


@dataclass
class Cursor:
    """What this process has read of the files so far, and the store's totals there."""

    ino: tuple[int, int] = (-1, -1)  # (log, index) inodes: a compaction changes them
    log_end: int = 0  # bytes of the log consumed
    idx_end: int = 0  # bytes of the index consumed
    covered: int = 0  # log offset the index covers up to
    next_id: int = 1
    live: int = 0  # live captures
    garbage: int = 0  # log bytes a compaction would drop
    changes: int = 0  # del and attempt lines

    def count(self, entry: fmt.IndexEntry, length: int) -> None:
        """Advance the totals over one index entry whose log line is LENGTH bytes."""
        op = entry["op"]
        if op == "put":
            self.live += 1
        elif op == "del":
            self.live = max(0, self.live - len(entry["ids"]))
            self.garbage += length + int(entry.get("freed", 0))
            self.changes += 1
        elif op == "attempt":
            self.changes += 1
        elif op == "meta":  # the first line of a fresh log
            self.live = self.garbage = self.changes = 0

    def stamp(self, entry: fmt.IndexEntry, end: int, length: int) -> fmt.IndexEntry:
        """ENTRY with the running fields of an index line, the totals advanced over it."""
        self.count(entry, length)
        return fmt.stamp(entry, end, self.next_id, self.live, self.garbage, self.changes)

    def stamped(self, head: bytes, end: int) -> bytes:
        """The index line of HEAD (format.stamped), the totals already advanced over it."""
        return fmt.stamped(head, end, self.next_id, self.live, self.garbage, self.changes)

    def take_totals(self, entry: fmt.IndexEntry) -> bool:
        """Take the totals an index line carries; False for a version 0 line."""
        if not fmt.has_totals(entry):
            return False
        self.live, self.garbage, self.changes = int(entry["c"]), int(entry["g"]), int(entry["k"])
        return True


class Stats(NamedTuple):
    """The store's totals as of a sync: O(1) from the index's last line."""

    captures: int
    log_bytes: int
    index_bytes: int
    garbage: int
    next_id: int


class Extent(NamedTuple):
    """How far this process has read the files, in bytes."""

    log_end: int
    index_end: int


class Fds(NamedTuple):
    """The files' descriptors as synced (-1 for a file a reader found absent)."""

    log_fd: int
    index_fd: int


class View(NamedTuple):
    """A consistent view to read: the log's descriptor and the index's end as synced.
    Valid until this process's next sync or write (which may reopen the files)."""

    log_fd: int
    index_end: int


class StoreFiles:
    """One store directory's files and lock, and this process's cursor in them. Not
    thread-safe; one per thread."""

    def __init__(self, root: Path):
        self.root = root
        self.log_path = root / LOG_NAME
        self.index_path = root / INDEX_NAME
        self.lock_path = root / LOCK_NAME
        self._lock_fd = -1
        self._log_fd = -1
        self._idx_fd = -1
        self._write = False
        self._cur = Cursor()
        # read-only: index entries, newest last, for log lines the index does not cover
        # yet (a writer crashed between its two writes; the next writer adds them), and
        # the cursor as it stands after them
        self._mem: list[fmt.IndexEntry] = []
        self._tip = self._cur
        # live ids, kept up to date once asked for (retention needs the oldest)
        self._tracking = False
        self._live: LiveIds | None = None
        #: (files' inodes, index offset, id) of the last put put_entries passed
        self._put_hint: tuple[tuple[int, int], int, int] | None = None

    # -- opening and locking -------------------------------------------------------------

    @property
    def writable(self) -> bool:
        """Opened for writing: files created, repairs allowed. Until then, read-only."""
        return self._write

    def exists(self) -> bool:
        """Whether a store is at the root (its log or index); reading never creates one."""
        # os.stat, not Path.exists: a file in the path or a closed directory is an error
        # to report, not an absent store
        return inode(self.log_path) >= 0 or inode(self.index_path) >= 0

    def _open_lock(self, write: bool) -> None:
        if write and not self._write:
            ensure_private_dir(self.root)
            fd = open_private(self.lock_path, os.O_RDWR | os.O_CREAT)
            self.close()  # read-only descriptors give way to read-write ones
            self._lock_fd, self._write = fd, True
        elif self._lock_fd < 0 and not self._write:
            # no lock file (no store yet): nothing to lock against but a writer that is
            # creating the store, and what it has written so far reads consistently
            check_private_dir(self.root, writing=False)
            self._lock_fd = _or_closed(open_readonly(self.lock_path))

    def close(self) -> None:
        for name in ("_log_fd", "_idx_fd", "_lock_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        self._write = False
        self._forget()

    def _forget(self) -> None:
        """Drop what was read: the next sync() reopens and reads from the index's end."""
        self._cur = self._tip = Cursor()
        self._mem = []
        self._live = None

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
        self._forget()
        self._cur.ino = (fd_inode(self._log_fd), fd_inode(self._idx_fd))

    @property
    def next_id(self) -> int:
        return self._tip.next_id

    @property
    def generation(self) -> tuple[int, int]:
        """The files' identity as synced: a compaction or clear replaces them, after which
        an index offset read before means nothing."""
        return self._cur.ino

    def replaced(self) -> bool:
        """Whether the log was replaced (compacted, cleared) since the last sync."""
        return inode(self.log_path) != self._cur.ino[0]

    @property
    def garbage(self) -> int:
        """Log bytes a compaction would drop, as of the last sync (reading nothing)."""
        return self._tip.garbage

    def stats(self) -> Stats:
        """Totals as of the last sync (reading nothing)."""
        tip = self._tip
        return Stats(
            captures=tip.live,
            log_bytes=size(self._log_fd),
            index_bytes=size(self._idx_fd),
            garbage=tip.garbage,
            next_id=tip.next_id,
        )

    @property
    def unindexed(self) -> list[fmt.IndexEntry]:
        """A reader's in-memory index entries, oldest first, for log lines the index
        lacks (newer than every indexed line)."""
        return self._mem

    def extent(self) -> Extent:
        """How far this process has read the files. Lock held."""
        return Extent(self._cur.log_end, self._cur.idx_end)

    def fds(self) -> Fds:
        """The files' descriptors as synced."""
        return Fds(self._log_fd, self._idx_fd)

    def view(self) -> View:
        """The log's descriptor and the index's end as synced. Lock held."""
        return View(self._log_fd, self._cur.idx_end)

    def parse_index(self, line: bytes, offset: int | None = None) -> fmt.IndexEntry:
        """One index line (format.load_index); a line that does not parse makes the store
        unreadable."""
        try:
            return fmt.load_index(line)
        except fmt.FormatError as e:
            where = "" if offset is None else f" at byte {offset}"
            raise StoreCorrupt(self.index_path, e.at(where)) from e

    def read_doc(self, fd: int, off: int, length: int, cid: int | None = None) -> fmt.Record:
        """The capture record of the put log line at OFF (capture CID's when given): the
        range must be one whole line, so the byte before it (if any) is a newline."""
        try:
            if off > 0:
                data = os.pread(fd, length + 1, off - 1)
                if data[:1] != b"\n":
                    raise fmt.FormatError(
                        "not the start of a line", "the index's byte range does not match the log"
                    )
                data = data[1:]
            else:
                data = os.pread(fd, length, off)
            return fmt.load_doc(data, cid)
        except fmt.FormatError as e:
            raise StoreCorrupt(self.log_path, f"bad record at byte {off} ({e})") from e


def _or_closed(fd: int | None) -> int:
    return -1 if fd is None else fd
