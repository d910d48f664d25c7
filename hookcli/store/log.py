"""The on-disk store: an append-only JSON-lines log plus a summary index beside it.

Files in the store directory:
  captures.jsonl  the log, the truth. One JSON object a line:
                  {"op":"put","id":N,"doc":{record}}     a new capture
                  {"op":"attempt","id":N,"kind":"forwards"|"replays","attempt":{...}}
                  {"op":"del","ids":[N,...],"freed":B}   captures removed (B: the log
                                                          bytes their lines hold)
                  {"op":"meta","next_id":N}               first line after a compaction
  index.jsonl     derived from the log, one line per log line, small: the summary of a
                  put and the byte range of its log line, the attempt itself, the ids of a
                  del. Every index line carries "end" (the log offset it covers up to),
                  "n" (the next id to assign), "c" (live captures), "g" (log bytes a
                  compaction would drop) and "k" (del and attempt lines so far), so a
                  process learns the store's state from the index's last line alone,
                  whatever the store's size, and `show N` knows from "k" whether anything
                  happened to N after its put.
  lock            fcntl.flock: exclusive around "catch up, take ids, append"; shared while
                  a reader opens its file descriptors.
One compaction (or clear) runs at a time: they flock the directory itself (compact.py).

Every change is an append made with one write() per file, so a SIGKILL the instant after
it returns loses nothing and concurrent processes never overwrite each other. A last line
without its newline (a crash mid-write, never acknowledged) is ignored by readers and cut
off by the next writer. After a power cut the index may describe more than the log kept
(only the log is synced, see durable.py): its lines past the log's end are ignored and
cut off the same way. Any other line that does not parse makes the store unreadable: it
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from hookcli.errors import HookcliError
from hookcli.paths import ensure_private_dir, first_non_directory, open_private, open_readonly
from hookcli.store import seek
from hookcli.store.disk import fd_inode, fsync_dir, fullsync, inode, size, write_all
from hookcli.store.live import LiveIds

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
class Cursor:
    """What this process has read of the files so far."""

    ino: tuple[int, int] = (-1, -1)  # (log, index) inodes: a compaction changes them
    log_end: int = 0  # bytes of the log consumed
    idx_end: int = 0  # bytes of the index consumed
    covered: int = 0  # log offset the index covers up to
    next_id: int = 1
    live: int = 0  # live captures
    garbage: int = 0  # log bytes a compaction would drop
    changes: int = 0  # del and attempt lines

    def count(self, entry: dict[str, Any], length: int) -> None:
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

    def stamp(self, entry: dict[str, Any], end: int, length: int) -> dict[str, Any]:
        """ENTRY with the running fields of an index line, the totals advanced over it."""
        self.count(entry, length)
        entry.update(end=end, n=self.next_id, c=self.live, g=self.garbage, k=self.changes)
        return entry

    def stamped(self, head: bytes, end: int) -> bytes:
        """An index line from HEAD, its encoded entry without the closing brace, and the
        running fields as `stamp` puts them (its totals already advanced): what writes
        an index line without encoding the entry again (prepared attempts, compaction)."""
        return b'%s,"end":%d,"n":%d,"c":%d,"g":%d,"k":%d}\n' % (
            head,
            end,
            self.next_id,
            self.live,
            self.garbage,
            self.changes,
        )

    def take_totals(self, entry: dict[str, Any]) -> bool:
        """Take the totals an index line carries; False for a line from before them."""
        if "k" not in entry:
            return False
        self.live, self.garbage, self.changes = int(entry["c"]), int(entry["g"]), int(entry["k"])
        return True


_KINDS = {kind: orjson.dumps(kind) for kind in ("forwards", "replays")}


class Prepared(NamedTuple):
    """An attempt's log line and the start of its index line, made before taking the
    store's lock (their bytes do not depend on where they land): under the lock only
    the running fields are added. A busy forwarder's batch of attempts thus holds the lock
    for a few microseconds per attempt, not the time to encode each twice."""

    cid: int
    line: bytes
    head: bytes

    @classmethod
    def attempt(cls, cid: int, kind: str, a: bytes) -> Prepared:
        """A: the attempt's record, encoded (orjson.dumps)."""
        # the record encoded once for both (orjson writes a dict's keys in order, with no
        # spaces: these are the bytes of the whole dicts encoded)
        start = b'{"op":"attempt","id":%d,"kind":%b' % (cid, _KINDS.get(kind) or orjson.dumps(kind))
        line = b'%b,"attempt":%b}\n' % (start, a)
        return cls(cid, line, b'%b,"len":%d,"a":%b' % (start, len(line), a))


@dataclass(frozen=True)
class Stats:
    """The store's totals as of a sync: O(1) from the index's last line."""

    captures: int
    log_bytes: int
    index_bytes: int
    garbage: int
    next_id: int


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
        self._cur = Cursor()
        # read-only: index entries, newest last, for log lines the index does not cover
        # yet (a writer crashed between its two writes; the next writer adds them), and
        # the cursor as it stands after them
        self._mem: list[dict[str, Any]] = []
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

    # -- catching up ----------------------------------------------------------------------

    def sync(self) -> None:
        """Bring this process's view up to date; a writer also repairs what a crash left.
        Hold the lock. Costs O(what other processes appended since the last call)."""
        ino = (inode(self.log_path), inode(self.index_path))
        kept: tuple[LiveIds, int] | None = None
        if self._log_fd < 0 or ino != self._cur.ino:
            if ino[0] < 0 and ino[1] >= 0 and os.path.getsize(self.index_path) > 0:
                raise StoreCorrupt(self.log_path, "the log is missing but its index is not")
            if self._live is not None:
                kept = (self._live, self._cur.next_id)
            self._reopen()
            self._start_from_index_tail()
        self._read_index_tail()
        self._read_log_tail()
        if kept is not None and self._same_live(*kept):
            self._live = kept[0]
        if self._tracking and self._live is None and self._write:
            self._live = self._fold()

    def _same_live(self, live: LiveIds, next_id: int) -> bool:
        """Whether files just reopened hold exactly the captures LIVE holds, byte for byte,
        besides garbage: what a compaction leaves of a store nobody else wrote to since
        this process last read it (the lines this process appended while it ran are copied
        as they are, deletions included: their bytes are the new garbage). Then the live
        ids need not be folded from the whole index again (under `--keep` a compaction
        comes every N or so captures). Anything another process appended (a capture, a
        deletion, an attempt) before, during or after the compaction changes the next id,
        the live count or the log's size."""
        cur = self._cur
        if cur.next_id != next_id or cur.live != len(live) or self._idx_fd < 0:
            return False
        first = os.pread(self._idx_fd, 256, 0)
        if not first.startswith(b'{"op":"meta",'):
            return False
        try:
            meta_end = int(self.parse_index(first[: first.index(b"\n")], 0)["end"])
        except (ValueError, KeyError, TypeError, StoreCorrupt):
            return False
        size = os.fstat(self._log_fd).st_size
        return size == cur.log_end == meta_end + live.total + cur.garbage

    def _start_from_index_tail(self) -> None:
        """Fresh open: take the state from the index's last complete line (O(1))."""
        if self._idx_fd < 0:
            return  # read-only and no index: everything is read from the log
        size = os.fstat(self._idx_fd).st_size
        log_size = os.fstat(self._log_fd).st_size if self._log_fd >= 0 else 0
        for start, last in _lines_backward(self._idx_fd, size):
            entry = self.parse_index(last, start)
            try:
                covered, next_id = int(entry["end"]), int(entry["n"])
            except (KeyError, TypeError, ValueError) as e:
                raise StoreCorrupt(self.index_path, f"bad line at byte {start} ({e})") from e
            if covered <= log_size:
                break
            # a power cut kept index lines whose log lines never reached the disk (only the
            # log is synced): they describe nothing; _read_index_tail skips (or cuts) them
        else:
            return  # no line within the log: everything is read from the log
        self._cur.idx_end = start + len(last) + 1
        self._cur.covered = covered
        self._cur.log_end = covered
        self._cur.next_id = next_id
        if not self._cur.take_totals(entry):  # an index from before the totals
            totals = Cursor()
            self._fold(totals)
            self._cur.live, self._cur.garbage = totals.live, totals.garbage
            self._cur.changes = totals.changes

    def _fold(self, totals: Cursor | None = None) -> LiveIds:
        """Live ids and totals from the whole index as read so far: O(store), done when a
        process first needs the ids (retention) or opens an index without totals."""
        live = LiveIds()
        prev = 0
        for at, line in self.index_lines(0, self._cur.idx_end):
            entry = seek.brief(line) or self.parse_index(line, at)
            end = int(entry["end"])
            length = end - prev
            if entry["op"] == "meta":
                live = LiveIds()
            dropped = live.apply(entry, length)
            if totals is not None:
                totals.live = len(live)
                totals.garbage = 0 if entry["op"] == "meta" else totals.garbage + dropped
                totals.changes += entry["op"] in ("del", "attempt")
            prev = end
        return live

    def _read_index_tail(self) -> None:
        if self._idx_fd < 0:
            return
        size = os.fstat(self._idx_fd).st_size
        if size == self._cur.idx_end:
            return
        log_size = os.fstat(self._log_fd).st_size if self._log_fd >= 0 else 0
        data = os.pread(self._idx_fd, size - self._cur.idx_end, self._cur.idx_end)
        complete = data.rfind(b"\n") + 1
        cur = self._cur
        # without live ids to follow, the last whole line alone may do (see _take_last)
        if not (self._live is None and complete and self._take_last(data, complete, log_size)):
            for line in data[:complete].splitlines():
                entry = self.parse_index(line, cur.idx_end)
                try:
                    end = int(entry["end"])
                    if end > log_size:  # past what the log kept (a power cut): see above
                        complete = -1
                        break
                    length = end - cur.covered
                    cur.covered = end
                    cur.next_id = max(cur.next_id, int(entry["n"]))
                    if not cur.take_totals(entry):
                        cur.count(entry, length)
                except (ValueError, KeyError, TypeError) as e:
                    raise StoreCorrupt(
                        self.index_path, f"bad line at byte {cur.idx_end} ({e})"
                    ) from e
                cur.idx_end += len(line) + 1
                if self._live is not None:
                    self._live.apply(entry, length)
        if complete < len(data) and self._write:  # torn tail, or lines past the log's end
            os.ftruncate(self._idx_fd, cur.idx_end)

    def _take_last(self, data: bytes, complete: int, log_size: int) -> bool:
        """Catch up over the whole lines DATA[:COMPLETE] from the last one alone, when it
        carries the running totals and lies within the log: every line before it then
        does too (they are written in order), and without live ids to follow nothing else
        is needed from them. So a process that only appends attempts (the forwarding
        helper) or reads does not parse the hundreds of lines a busy listener appends
        between two of its syncs, under the store's lock."""
        start = data.rfind(b"\n", 0, complete - 1) + 1
        last = data[start : complete - 1]
        at = seek.stamps_at(last)
        if at < 0 or seek.stamped_end(last, at) > log_size:
            return False
        entry = self.parse_index(last, self._cur.idx_end + start)
        if "k" not in entry:
            return False
        cur = self._cur
        try:
            covered, next_id = int(entry["end"]), int(entry["n"])
            cur.take_totals(entry)
            cur.covered, cur.next_id = covered, max(cur.next_id, next_id)
        except (ValueError, KeyError, TypeError) as e:
            raise StoreCorrupt(self.index_path, f"bad line at byte {start} ({e})") from e
        cur.idx_end += complete
        return True

    def _read_log_tail(self) -> None:
        """Read log lines the index does not cover yet. A writer appends their index lines
        (and cuts a torn tail off); a reader keeps them in memory and changes nothing."""
        self._mem = []
        self._tip = self._cur
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
        base = replace(self._cur)
        offset = start
        entries: list[dict[str, Any]] = []
        for line in data[:complete].splitlines(keepends=True):
            try:
                op = orjson.loads(line)
            except ValueError as e:
                raise StoreCorrupt(self.log_path, f"unparseable line at byte {offset} ({e})") from e
            entries.append(self._index_entry(op, offset, len(line)))
            offset += len(line)
        if not self._write:  # the totals past the index are this process's alone
            self._mem, self._tip, self._cur = entries, self._cur, base
            return
        if entries:
            try:
                write_all(self._idx_fd, b"".join(dumps(e) for e in entries))
            except BaseException:
                self._forget()
                raise
            self._cur.idx_end = os.fstat(self._idx_fd).st_size
        self._cur.log_end = self._cur.covered = offset

    def _index_entry(self, op: dict[str, Any], off: int, length: int) -> dict[str, Any]:
        """The index entry for a log line at OFF, advancing the cursor (and live ids)."""
        if not isinstance(op, dict):
            raise StoreCorrupt(self.log_path, f"not a JSON object at byte {off}")
        kind = op.get("op")
        cur = self._cur
        try:
            if kind == "put":
                cid = int(op["id"])
                cur.next_id = max(cur.next_id, cid + 1)
                entry = {"op": "put", "id": cid, "off": off, "len": length}
                entry["s"] = summary_of(op["doc"])
            elif kind == "attempt":
                entry = {"op": "attempt", "id": int(op["id"]), "kind": op["kind"]}
                entry.update(len=length, a=op["attempt"])
            elif kind == "del":
                entry = {"op": "del", "ids": [int(i) for i in op["ids"]]}
                entry["freed"] = int(op.get("freed", 0))
            elif kind == "meta":
                cur.next_id = max(cur.next_id, int(op["next_id"]))
                entry = {"op": "meta"}
            else:
                raise StoreCorrupt(self.log_path, f"unknown op {kind!r} at byte {off}")
        except (KeyError, TypeError, ValueError) as e:
            raise StoreCorrupt(self.log_path, f"bad {kind} line at byte {off} ({e})") from e
        cur.stamp(entry, off + length, length)
        if self._live is not None:
            self._live.apply(entry, length)
        return entry

    # -- writing --------------------------------------------------------------------------

    def track_live(self) -> None:
        """Keep the live ids up to date from now on (built at the next sync)."""
        self._tracking = True

    @property
    def live(self) -> LiveIds:
        """The live ids, oldest first, as of the last sync. After track_live()."""
        if self._live is None:
            raise RuntimeError("live ids not tracked: call track_live() before sync()")
        return self._live

    def append(self, ops: Sequence[dict[str, Any] | Prepared]) -> None:
        """Append log ops and their index lines. Hold the lock and call sync() first. A
        `del` without "freed" gets it from the live ids (track_live)."""
        offset = self._cur.log_end
        log_lines: list[bytes] = []
        idx_lines: list[bytes] = []
        try:
            for op in ops:
                if isinstance(op, Prepared):
                    idx_lines.append(self._stamp_prepared(op, offset))
                    log_lines.append(op.line)
                    offset += len(op.line)
                    continue
                if op["op"] == "del" and "freed" not in op:
                    op["freed"] = self._live.weight(op["ids"]) if self._live is not None else 0
                line = dumps(op)
                idx_lines.append(dumps(self._index_entry(op, offset, len(line))))
                log_lines.append(line)
                offset += len(line)
            write_all(self._log_fd, b"".join(log_lines))
            self._cur.log_end = self._cur.covered = offset
            write_all(self._idx_fd, b"".join(idx_lines))
        except BaseException:
            self._forget()  # totals and ids went ahead of the files: read them again
            raise
        self._cur.idx_end += sum(len(x) for x in idx_lines)
        self._tip = self._cur

    def _stamp_prepared(self, op: Prepared, off: int) -> bytes:
        """The index line of a prepared attempt at OFF: its head with the running fields,
        as `_index_entry` and `Cursor.stamp` give them (the cursor and live ids advanced)."""
        cur = self._cur
        length = len(op.line)
        cur.changes += 1  # Cursor.count of an attempt
        if self._live is not None:
            self._live.apply({"op": "attempt", "id": op.cid}, length)
        return cur.stamped(op.head, off + length)

    def take_ids(self, count: int) -> list[int]:
        first = self._cur.next_id
        return list(range(first, first + count))

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

    # -- reading --------------------------------------------------------------------------

    @property
    def unindexed(self) -> list[dict[str, Any]]:
        """A reader's in-memory index entries, oldest first, for log lines the index
        lacks (newer than every indexed line)."""
        return self._mem

    def extent(self) -> tuple[int, int]:
        """(log bytes, index bytes) this process has read up to. Lock held."""
        return self._cur.log_end, self._cur.idx_end

    def fds(self) -> tuple[int, int]:
        """(log, index) file descriptors as synced (-1 for a file a reader found absent)."""
        return self._log_fd, self._idx_fd

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
                yield self.parse_index(line)

    def index_forward(
        self, start: int, end: int | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(offset after the line, entry) for index lines from START to END (default: the
        current end of the file)."""
        for at, line in self.index_lines(start, end):
            yield at + len(line) + 1, self.parse_index(line, at)

    def index_lines(self, start: int, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(offset, line without its newline) for index lines from START to END, unparsed."""
        if self._idx_fd < 0:
            return
        size = os.fstat(self._idx_fd).st_size if end is None else end
        pos = start
        while pos < size:
            data = os.pread(self._idx_fd, min(_BLOCK * 4, size - pos), pos)
            complete = data.rfind(b"\n") + 1
            if complete == 0:
                return  # a line still being written
            for line in data[:complete].splitlines():
                yield pos, line
                pos += len(line) + 1

    def put_entries(self, ids: set[int], end: int) -> dict[int, dict[str, Any]] | None:
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
        found: dict[int, dict[str, Any]] = {}
        last_put: tuple[int, int] | None = None

        def take(entry: dict[str, Any]) -> None:
            if entry["op"] == "put" and entry["id"] in ids:
                found[entry["id"]] = entry
            elif entry["op"] == "del":
                for cid in entry["ids"]:
                    found.pop(cid, None)

        for at, line in seek.lines_with(fd, start, end, seek.PUT, seek.DEL):
            if line.startswith(seek.DEL):
                take(self.parse_index(line, at))
                continue
            cid = seek.line_id(line, seek.PUT)
            if cid <= top:  # not past the ids: the listener names the next ones later
                last_put = (at, cid)
            if cid in ids:
                take(self.parse_index(line, at))
        if last_put is not None:  # the next call (for later ids) starts there
            self._put_hint = (self._cur.ino, last_put[0], last_put[1])
        for entry in self._mem:  # log lines the index lacks: newer than any above
            take(entry)
        return found

    def lookup(self, target: int, end: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The put entry of capture TARGET (None if absent or deleted) and its attempt
        entries, oldest first, as of index offset END. O(log n) reads find the put; the
        lines after it are searched by their first bytes for its deletion and attempts."""
        put: dict[str, Any] | None = None
        attempts: list[dict[str, Any]] = []
        deleted = False
        fd = self._idx_fd
        start = seek.find_put(fd, end, target) if fd >= 0 else None
        if start is not None:
            line = seek.read_line(fd, start, end)
            put = self.parse_index(line, start)
            # "k" counts del and attempt lines: unchanged since the put, none concerns it
            if put.get("k") != self._tip.changes:
                after = start + len(line) + 1
                mark = seek.attempt_prefix(target)
                for at, ln in seek.lines_with(fd, after, end, seek.DEL, mark):
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

    def parse_index(self, line: bytes, offset: int | None = None) -> dict[str, Any]:
        """One index line; a line that does not parse makes the store unreadable."""
        try:
            entry: dict[str, Any] = orjson.loads(line)
        except ValueError as e:
            where = "" if offset is None else f" at byte {offset}"
            raise StoreCorrupt(self.index_path, f"unparseable line{where} ({e})") from e
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
                write_all(fd, data)
                fullsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written copy behind
            raise
        os.unlink(self.index_path)
        os.replace(tmp, self.log_path)
        fsync_dir(self.root)
        self._reopen()
        self._read_log_tail()


def _or_closed(fd: int | None) -> int:
    return -1 if fd is None else fd


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
