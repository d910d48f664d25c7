"""Where the store lives, and the owner-only permissions it is created with.

Writers create the store and tighten modes; readers open what is there read-only and
create or change nothing (a `0500` directory or `0400` files are the user's choice).

A store is this user's alone: its files are never opened through a symlink, and a store
directory or file that another user owns (or, for a reader, that others may write) is
refused: a command run as root must not append captures to a file elsewhere because
someone linked it there."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def store_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--store, else $HOOKCLI_STORE, else the user data directory (platformdirs). Always
    absolute, so that messages naming the store name one a user can find from anywhere."""
    if explicit:
        return Path(os.path.abspath(Path(explicit).expanduser()))
    env = os.environ.get("HOOKCLI_STORE")
    if env:
        return Path(os.path.abspath(Path(env).expanduser()))
    from platformdirs import user_data_dir

    return Path(user_data_dir("hookcli", appauthor=False)) / "store"


class NotPrivate(PermissionError):
    """A store directory or file that another user owns, or that others may write."""


#: never follow a symlink to a store file (0 where the platform has no such flag)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def check_private(st: os.stat_result, path: Path, writing: bool) -> None:
    """Refuse what another user owns; a reader also refuses what others may write (a
    writer takes those bits away itself)."""
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise NotPrivate(errno.EPERM, f"owned by another user (uid {st.st_uid})", str(path))
    if not writing and stat.S_IMODE(st.st_mode) & 0o022:
        raise NotPrivate(errno.EPERM, "writable by other users", str(path))


def check_private_dir(path: Path, writing: bool) -> None:
    """check_private for the store directory, when there is one."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    check_private(st, path, writing)


def _tightened(mode: int) -> int:
    """MODE without group and other bits: owner-only, never granting the owner more."""
    return mode & 0o700


def ensure_private_dir(path: Path) -> None:
    """Create PATH (and parents) if missing; the store directory itself is owner-only
    (0700 when created; an existing one loses group/other bits and nothing else)."""
    missing = []
    p = path
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):  # each created 0700, whatever the umask (mkdir's mode is)
        with contextlib.suppress(FileExistsError):
            os.mkdir(d, DIR_MODE)
    st = path.stat()
    check_private(st, path, writing=True)
    mode = st.st_mode & 0o777
    if mode != _tightened(mode):
        os.chmod(path, _tightened(mode))


def open_private(path: Path, flags: int) -> int:
    """os.open with FILE_MODE for new files; an existing file loses group/other bits."""
    fd = os.open(path, flags | os.O_CLOEXEC | NOFOLLOW, FILE_MODE)
    st = os.fstat(fd)
    try:
        check_private(st, path, writing=True)
    except NotPrivate:
        os.close(fd)
        raise
    mode = st.st_mode & 0o777
    if mode != _tightened(mode):
        os.fchmod(fd, _tightened(mode))
    return fd


def open_readonly(path: Path) -> int | None:
    """PATH opened for reading, or None when it does not exist. Creates and changes
    nothing: what reading commands use."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | NOFOLLOW)
    except FileNotFoundError:
        return None
    try:
        check_private(os.fstat(fd), path, writing=False)
    except NotPrivate:
        os.close(fd)
        raise
    return fd


def first_non_directory(path: Path) -> Path | None:
    """The first existing ancestor of PATH (or PATH itself) that is not a directory: what
    makes a NotADirectoryError, named in the error."""
    for p in [*reversed(path.parents), path]:
        if os.path.exists(p) and not os.path.isdir(p):
            return p
    return None
