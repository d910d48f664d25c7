"""The system calls the store makes on its files, with the platform's differences kept here.

Syncing: an append must reach the disk itself, not only the drive's cache. On Linux
fdatasync does that (and skips metadata an append does not need); on macOS fsync stops at
the drive's cache and `fcntl(F_FULLFSYNC)` is what reaches the disk, as SQLite uses it
(os_unix.c, full_fsync), falling back to fsync where the file system refuses it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

_FULLFSYNC: int | None = getattr(fcntl, "F_FULLFSYNC", None)
_fdatasync = getattr(os, "fdatasync", os.fsync)


def datasync(fd: int) -> None:
    """Put what was written to FD on stable storage (its data; metadata where needed)."""
    if _FULLFSYNC is not None:
        try:
            fcntl.fcntl(fd, _FULLFSYNC)
            return
        except OSError:  # not supported by this file system: as SQLite does, fsync
            pass
    _fdatasync(fd)


def fullsync(fd: int) -> None:
    """As datasync, with the file's metadata too (a file about to be renamed in)."""
    if _FULLFSYNC is not None:
        datasync(fd)
    else:
        os.fsync(fd)


def fsync_dir(root: Path) -> None:
    """Make the directory's entries (a file created or renamed) survive a power cut."""
    fd = os.open(root, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fullsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def inode(path: Path) -> int:
    """The inode of PATH; -1 when there is no such file."""
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return -1


def fd_inode(fd: int) -> int:
    return os.fstat(fd).st_ino if fd >= 0 else -1


def size(fd: int) -> int:
    return os.fstat(fd).st_size if fd >= 0 else 0
