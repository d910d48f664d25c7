"""Captures turned into things other tools read, and read back: `export` and `import`.

Each format is a function `(captures, to) -> (file name | None, bytes)` pieces, in the
manner of mitmproxy's export formats: `fixtures` names one file per capture, the others
write one stream (a shell script of curl or httpie commands, a HAR document). Formats are
pure and stream, so exporting 100,000 captures holds one at a time; where the pieces go
(a directory, a file, stdout) is the caller's choice (see `write_files`, `write_stream`)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from hookcli.errors import HookcliError
from hookcli.export import curl, fixtures, har, httpie
from hookcli.model.capture import Capture

Piece = tuple[str | None, bytes]
Format = Callable[[Iterable[Capture], str | None], Iterator[Piece]]

FORMATS: dict[str, Format] = {
    "fixtures": fixtures.export,
    "curl": curl.export,
    "httpie": httpie.export,
    "har": har.export,
}
#: formats that go to a directory, one file per capture
PER_FILE = frozenset({"fixtures"})
#: formats redacted unless --no-redact: they end up in repositories and bug reports
REDACTED = frozenset({"fixtures", "har"})
#: formats that take --to (commands to run); the others record the original URL
TAKES_TO = frozenset({"curl", "httpie"})


def write_files(pieces: Iterable[Piece], directory: Path) -> int:
    """Write each named piece as a file in DIRECTORY (created); how many were written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise HookcliError(f"cannot create {directory}: {e.strerror or e}") from None
    count = 0
    for name, data in pieces:
        path = directory / (name or "export")
        try:
            # unbuffered: one write(2) per file, the least overhead at 100,000 files
            with open(path, "wb", buffering=0) as f:
                if f.write(data) != len(data):
                    raise OSError(errno.EIO, "short write (is the disk full?)")
        except OSError as e:
            raise HookcliError(f"cannot write {path}: {e.strerror or e}") from None
        count += 1
    return count


def write_stream(pieces: Iterable[Piece], out: BinaryIO) -> int:
    """Write every piece to OUT in order; how many bytes were written."""
    size = 0
    for _, data in pieces:
        out.write(data)
        size += len(data)
    out.flush()
    return size


def write_file(pieces: Iterable[Piece], path: Path) -> int:
    """The stream into PATH, replaced only once complete (no half-written file is left
    when an export fails midway)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            size = write_stream(pieces, out)
        os.replace(tmp, path)
    except OSError as e:
        raise HookcliError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return size
