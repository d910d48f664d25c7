"""Putting what was appended to the log on stable storage (the group commit's sync).

`Store.add` returns once its write() did, which survives the process being killed but
not a power cut: the data may still be in the page cache. `listen` answers only after
DiskSync.sync() returned for every capture of the batch. One fdatasync covers every byte
written to the file before it, by any thread or process, so one call serves a whole
batch, and batches written while it runs are covered by the next call.

Only the log is synced: the index is derived from it, and an index that a power cut left
behind (or ahead of) the log is repaired from the log (see log.py)."""

from __future__ import annotations

import os
from pathlib import Path

from hookcli.store.disk import datasync, fsync_dir
from hookcli.store.log import LOG_NAME


class DiskSync:
    """fdatasync of a store's log from one thread (its own descriptor, so the writer's
    descriptors may be closed and reopened at any time, e.g. after a compaction).

    The log's directory entry must be durable too: `start()` syncs the directory once (a
    log the writer has just created), and a compaction syncs it after renaming its new
    log in."""

    def __init__(self, root: Path):
        self.root = root
        self.path = root / LOG_NAME
        self._fd = -1
        self._ino = -1

    def start(self) -> None:
        """Sync the directory: the log it names may have just been created."""
        fsync_dir(self.root)

    def sync(self, inode: int) -> None:
        """Everything written to the log with this INODE before this call is on stable
        storage when it returns. When the writer's log is not the one synced last time
        (the store replaced it: a compaction, which syncs its new log itself), the log is
        opened anew, and the directory synced again in case the compaction was cut off
        before it did."""
        if inode != self._ino:
            replaced = self._fd >= 0
            self.close()
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            self._ino = os.fstat(self._fd).st_ino
            if replaced:
                fsync_dir(self.root)
        datasync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self._ino = -1
