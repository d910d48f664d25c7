"""Where the store lives, and the owner-only permissions it is created with.

Writers create the store and tighten modes; readers open what is there read-only and
create or change nothing (a `0500` directory or `0400` files are the user's choice)."""

from __future__ import annotations

import os
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


def _tightened(mode: int) -> int:
    """MODE without group and other bits: owner-only, never granting the owner more."""
    return mode & 0o700


def ensure_private_dir(path: Path) -> None:
    """Create PATH (and parents) if missing; the store directory itself is owner-only
    (0700 when created; an existing one loses group/other bits and nothing else)."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    mode = path.stat().st_mode & 0o777
    if mode != _tightened(mode):
        os.chmod(path, _tightened(mode))


def open_private(path: Path, flags: int) -> int:
    """os.open with FILE_MODE for new files; an existing file loses group/other bits."""
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    mode = os.fstat(fd).st_mode & 0o777
    if mode != _tightened(mode):
        os.fchmod(fd, _tightened(mode))
    return fd


def open_readonly(path: Path) -> int | None:
    """PATH opened for reading, or None when it does not exist. Creates and changes
    nothing: what reading commands use."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None


def first_non_directory(path: Path) -> Path | None:
    """The first existing ancestor of PATH (or PATH itself) that is not a directory: what
    makes a NotADirectoryError, named in the error."""
    for p in [*reversed(path.parents), path]:
        if os.path.exists(p) and not os.path.isdir(p):
            return p
    return None
