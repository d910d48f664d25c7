"""The store's sync calls work on this platform's files (F_FULLFSYNC where fcntl has it,
as on macOS; fdatasync or fsync elsewhere), including a log opened read-only, as the
group commit's sync thread opens it."""

from __future__ import annotations

import os
from pathlib import Path

from hookcli.store.disk import datasync, fsync_dir, fullsync, write_all


def test_syncs_on_files_and_directories(tmp_path: Path) -> None:
    path = tmp_path / "log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        write_all(fd, b"x" * 100_000)
        datasync(fd)
        fullsync(fd)
    finally:
        os.close(fd)
    reader = os.open(path, os.O_RDONLY)
    try:
        datasync(reader)
    finally:
        os.close(reader)
    fsync_dir(tmp_path)
    assert path.read_bytes() == b"x" * 100_000
