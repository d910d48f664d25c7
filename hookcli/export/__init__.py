"""Captures turned into things other tools read, and read back: `export` and `import`.

Each format is a function `(captures, to) -> (file name | None, bytes)` pieces, in the
manner of mitmproxy's export formats: `fixtures` names one file per capture, the others
write one stream (a shell script of curl or httpie commands, a HAR document). Formats are
pure and stream, so exporting 100,000 captures holds one at a time; where the pieces go
(a directory, a file, stdout) is the caller's choice (`write_stream` here; `--out` paths
are destination.py's)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from hookcli.export import curl, fixtures, har, httpie
from hookcli.export.destination import write_file, write_files
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

__all__ = [
    "FORMATS",
    "PER_FILE",
    "REDACTED",
    "TAKES_TO",
    "write_file",
    "write_files",
    "write_stream",
]


def write_stream(pieces: Iterable[Piece], out: BinaryIO) -> int:
    """Write every piece to OUT in order; how many bytes were written."""
    size = 0
    for _, data in pieces:
        out.write(data)
        size += len(data)
    out.flush()
    return size
