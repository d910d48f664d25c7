"""Where the store lives, and the owner-only permissions it is created with."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def store_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--store, else $HOOKCLI_STORE, else the user data directory (platformdirs)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("HOOKCLI_STORE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("hookcli", appauthor=False)) / "store"


def ensure_private_dir(path: Path) -> None:
    """Create PATH (and parents) if missing; the store directory itself is 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if (path.stat().st_mode & 0o777) != DIR_MODE:
        os.chmod(path, DIR_MODE)


def open_private(path: Path, flags: int) -> int:
    """os.open with FILE_MODE for new files, tightening an existing file's mode too."""
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    if (os.fstat(fd).st_mode & 0o777) != FILE_MODE:
        os.fchmod(fd, FILE_MODE)
    return fd
