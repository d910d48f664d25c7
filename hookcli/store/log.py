"""The on-disk store's files: an append-only JSON-lines log plus a summary index beside it
(format.py says what a line holds). LogFiles is one store directory as one process sees
it, in four parts:
  files.py     the files and the lock: opening (read-only until a process first writes),
               locking, reopening after a compaction; the cursor (what was read so far)
  catchup.py   catching up with other writers under the lock, and repairing what a crash
               left (a writer) or working around it in memory (a reader)
  reading.py   reading as of a view: entries newest or oldest first, bisection by id
  log.py       writing: appending lines with their running totals, the rewrite of clear
One compaction (or clear) runs at a time: they flock the directory itself (compact.py).

Reading opens nothing for writing: until a process first changes the store, its files are
opened read-only under a shared lock, a missing store reads as an empty one, and what a
crash left for a writer to repair (a torn tail, log lines the index lacks) is worked
around in memory. So `ls`, `show` and the like create nothing and change no file or mode.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from hookcli.paths import open_private
from hookcli.store import format as fmt
from hookcli.store.catchup import CatchUp
from hookcli.store.disk import fsync_dir, fullsync, write_all
from hookcli.store.files import (
    INDEX_NAME,
    LOCK_NAME,
    LOG_NAME,
    Cursor,
    Extent,
    Fds,
    Stats,
    StoreCorrupt,
    StoreUnavailable,
    View,
    access,
)
from hookcli.store.format import Prepared
from hookcli.store.reading import Reading

__all__ = [
    "INDEX_NAME",
    "LOCK_NAME",
    "LOG_NAME",
    "Cursor",
    "Extent",
    "Fds",
    "LogFiles",
    "Prepared",
    "Stats",
    "StoreCorrupt",
    "StoreUnavailable",
    "View",
    "access",
]


class LogFiles(CatchUp, Reading):
    """Low-level access to one store directory. Not thread-safe; one per thread."""

    def append(self, ops: Sequence[fmt.LogOp | Prepared]) -> None:
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
                line = fmt.dumps(op)
                idx_lines.append(fmt.dumps(self._entry_of(op, offset, len(line))))
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
        as `Cursor.stamp` gives them (the cursor and live ids advanced)."""
        cur = self._cur
        length = len(op.line)
        cur.changes += 1  # Cursor.count of an attempt
        if self._live is not None:
            self._live.add(op.cid, length, put=False)
        return cur.stamped(op.head, off + length)

    def take_ids(self, count: int) -> list[int]:
        first = self._cur.next_id
        return list(range(first, first + count))

    def snapshot(self) -> View:
        """Sync under the lock and return a view(); reading it needs no lock after. Takes
        the shared lock and opens nothing for writing unless this process already writes."""
        with self.locked(exclusive=self._write):
            self.sync()
            return self.view()

    # -- compaction -----------------------------------------------------------------------

    def rewrite(self, ops: list[fmt.LogOp]) -> None:
        """Replace both files with a log of OPS (after a meta line keeping next_id). Hold
        the exclusive lock and call sync() first. Crash-safe: the index is removed first,
        and an index-less store is rebuilt from whichever log is in place."""
        next_id = self._cur.next_id
        tmp = self.root / (LOG_NAME + ".tmp")
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            try:
                data = b"".join(fmt.dumps(op) for op in [fmt.meta_op(next_id), *ops])
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
