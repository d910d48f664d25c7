"""Where an export's bytes go when `--out` names a path: the one owner of the rules.

- A regular file (or a new one) is replaced only once the export is complete, keeping the
  existing file's mode; a new file is 0600 when the export is not redacted (curl and
  httpie commands, `--no-redact`: they carry secrets), else as the umask gives.
- Anything else that exists (a FIFO, a character device such as /dev/stdout) is written
  into as it is, never replaced by a regular file.
- A symlink is followed only when it points inside the directory that holds it; one that
  leads out of it is refused, so an export cannot be steered onto a file elsewhere.
- In a fixtures directory, each file is written without following a symlink."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from hookcli.errors import HookcliError

Piece = tuple[str | None, bytes]
PRIVATE_MODE = 0o600


def _error(path: Path, e: OSError) -> HookcliError:
    return HookcliError(f"cannot write {path}: {e.strerror or e}")


def _target(path: Path) -> Path:
    """PATH, or where the symlink PATH leads when that is inside PATH's own directory."""
    if not path.is_symlink():
        return path
    home = path.parent.resolve()
    real = path.resolve()
    if real.parent != home and home not in real.parents:
        raise HookcliError(
            f"--out {path} is a symlink to {real}, outside {home}: not followed",
            "give the file itself as --out",
        )
    return real


def _write_all(fd: int, pieces: Iterable[Piece]) -> int:
    size = 0
    for _, data in pieces:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            if n <= 0:
                raise OSError(errno.EIO, "short write (is the disk full?)")
            view = view[n:]
        size += len(data)
    return size


def write_file(pieces: Iterable[Piece], path: Path, private: bool = False) -> int:
    """Every piece into PATH by the rules above; how many bytes were written."""
    target = _target(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _error(path, e) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise HookcliError(f"--out {path} is a directory", "this format writes one file")
        try:  # a FIFO, a device: write into it, as any program writing a file would
            fd = os.open(target, os.O_WRONLY)
            try:
                return _write_all(fd, pieces)
            finally:
                os.close(fd)
        except OSError as e:
            raise _error(path, e) from None
    mode = stat.S_IMODE(st.st_mode) if st is not None else None
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # private until complete when an existing file's mode is to be put back
        create = PRIVATE_MODE if private or mode is not None else 0o666
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, create)
        try:
            size = _write_all(fd, pieces)
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as e:
        raise _error(path, e) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return size


def write_files(pieces: Iterable[Piece], directory: Path, private: bool = False) -> int:
    """Each named piece as a file in DIRECTORY (created); how many were written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise HookcliError(f"cannot create {directory}: {e.strerror or e}") from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    mode = PRIVATE_MODE if private else 0o666
    count = 0
    for name, data in pieces:
        path = directory / (name or "export")
        try:
            fd = os.open(path, flags, mode)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise HookcliError(f"cannot write {path}: it is a symlink, not followed") from None
            raise _error(path, e) from None
        try:
            # one write(2) per file, the least overhead at 100,000 files
            _write_all(fd, [(name, data)])
        except OSError as e:
            raise _error(path, e) from None
        finally:
            os.close(fd)
        count += 1
    return count
