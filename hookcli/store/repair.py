"""`store repair`: move the damaged lines of a store's log into a quarantine file beside
it, byte for byte, and let the index be rebuilt from what is left.

Nothing is deleted: every byte of the log ends up either in the new log or, in order, in
`quarantine-STAMP.log` in the store's directory; an index that no longer matches is moved
to `quarantine-STAMP.index` whole. The work is done under the store's exclusive lock, and
the log is replaced the way compaction replaces it (a new file renamed over the old one),
so a listener running on the store carries on with the repaired log. What counts as
damaged is what `store check` reports (store/check.py), so the two always agree."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hookcli.paths import open_private
from hookcli.store.check import Report, check, scan_log
from hookcli.store.disk import fsync_dir, write_all
from hookcli.store.log import INDEX_NAME, LOCK_NAME, LOG_NAME
from hookcli.store.store import Store


@dataclass
class Repaired:
    root: Path
    before: Report
    after: Report
    quarantine: Path | None = None  # the damaged log lines, if any
    moved: list[tuple[int, int]] = field(default_factory=list)  # their spans in the old log
    old_index: Path | None = None  # the index that was moved aside to be rebuilt

    @property
    def changed(self) -> bool:
        return self.quarantine is not None or self.old_index is not None

    @property
    def moved_bytes(self) -> int:
        return sum(end - start for start, end in self.moved)


def repair(root: Path, now: datetime | None = None) -> Repaired:
    """Repair the store at ROOT (see the module's doc); a sound store is left as it is."""
    before = check(root)
    if not before.exists or (before.ok and not _torn(before)):
        return Repaired(root, before, before)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    done = Repaired(root, before, before)
    lock = open_private(root / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # no writer appends while the log is rewritten
        _move_damage(root, stamp, done)
    finally:
        os.close(lock)  # releases the lock
    store = Store(root)
    try:
        store.check()  # rebuilds the index from the repaired log
    finally:
        store.close()
    done.after = check(root)
    return done


def _torn(report: Report) -> bool:
    return any("unfinished last line" in n.message for n in report.notes)


def _move_damage(root: Path, stamp: str, done: Repaired) -> None:
    log_path, index_path = root / LOG_NAME, root / INDEX_NAME
    fd = os.open(log_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        _, spans = scan_log(fd, size, log_path)
        if spans:
            done.quarantine = _free(root, f"quarantine-{stamp}", ".log")
            _write(done.quarantine, (os.pread(fd, end - start, start) for start, end in spans))
            done.moved = spans
            kept, pos = [], 0
            for start, end in spans:
                kept.append((pos, start))
                pos = end
            kept.append((pos, size))
            tmp = root / (LOG_NAME + ".repair")
            _write(tmp, (os.pread(fd, end - start, start) for start, end in kept if end > start))
    finally:
        os.close(fd)
    if index_path.exists():  # rebuilt from the log: the old one is kept, not deleted
        done.old_index = _free(root, f"quarantine-{stamp}", ".index")
        os.replace(index_path, done.old_index)
    if spans:
        os.replace(root / (LOG_NAME + ".repair"), log_path)
    fsync_dir(root)


def _free(root: Path, stem: str, suffix: str) -> Path:
    """ROOT/STEM+SUFFIX, or STEM-2+SUFFIX, ...: a name no earlier repair has taken."""
    path, n = root / (stem + suffix), 1
    while path.exists():
        n += 1
        path = root / f"{stem}-{n}{suffix}"
    return path


def _write(path: Path, pieces: Iterable[bytes]) -> None:
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        for piece in pieces:
            write_all(fd, piece)
        os.fsync(fd)
    finally:
        os.close(fd)
