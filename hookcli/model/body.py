"""Body bytes <-> the record's {"body", "body_encoding"} pair, and the content kind."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from typing import Literal

BodyKind = Literal["empty", "json", "form", "text", "binary"]


def encode(body: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 text when the bytes are valid UTF-8, else base64."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def decode(text: str, encoding: str, strict: bool = False) -> bytes:
    """A record's body. STRICT (a file from elsewhere): base64 must be only base64, where
    otherwise a character that is not is skipped."""
    if encoding == "base64":
        return base64.b64decode(text, validate=strict)
    if encoding == "utf-8":
        return text.encode("utf-8")
    raise ValueError(f"unknown body_encoding {encoding!r}")


def kind(body: bytes, content_type: str | None) -> BodyKind:
    """How to show BODY: by content type first, then by sniffing."""
    if not body:
        return "empty"
    ct = (content_type or "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    if ct == "application/x-www-form-urlencoded":
        return "form"
    if ct.endswith("json") or ct.endswith("+json") or text.lstrip()[:1] in ("{", "["):
        try:
            json.loads(text)
        except (ValueError, RecursionError):  # nested past the recursion limit: as text
            return "text"
        return "json"
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\r\n")
    # a text with a few escape sequences is still text (shown escaped); NULs or a body
    # that is mostly control bytes is binary
    if "\x00" in sample or controls * 10 > len(sample) * 3:
        return "binary"
    return "text"


def content_decoded(body: bytes, content_encoding: str | None) -> tuple[bytes, str | None]:
    """The body with a gzip or deflate Content-Encoding undone, for viewing and comparing
    only (the record keeps the wire bytes). Returns the bytes and a note naming what was
    undone, or None when nothing was."""
    enc = (content_encoding or "").strip().lower()
    try:
        if enc in ("gzip", "x-gzip"):
            return gzip.decompress(body), "gzip"
        if enc == "deflate":
            return zlib.decompress(body), "deflate"
    except (OSError, zlib.error, EOFError):
        return body, f"{enc} (could not be decoded)"
    return body, None
