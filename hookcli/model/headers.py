"""Headers as received: an ordered list of (name, value) pairs, case and duplicates kept.

On the wire headers are bytes. They are kept as text decoded with one encoding for the
whole list (the record's `headers_encoding`): UTF-8 when every name and value is valid
UTF-8, else latin-1, which maps each byte to one character and so back to the same byte."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HeaderList = list[tuple[str, str]]
UTF8 = "utf-8"
LATIN1 = "latin-1"


def decode_raw(raw: Sequence[tuple[bytes, bytes]]) -> tuple[HeaderList, str]:
    """Wire headers as (text headers, the encoding that gives the same bytes back)."""
    try:
        return [(k.decode(UTF8), v.decode(UTF8)) for k, v in raw], UTF8
    except UnicodeDecodeError:
        return [(k.decode(LATIN1), v.decode(LATIN1)) for k, v in raw], LATIN1


def known_encoding(name: object) -> str:
    """A record's `headers_encoding` as one of the two this module writes (UTF-8 for
    records from before the field, or with a value it does not know)."""
    low = str(name or "").lower().replace("_", "-")
    return LATIN1 if low in ("latin-1", "latin1", "iso-8859-1") else UTF8


def encode(headers: Sequence[tuple[str, str]], encoding: str = UTF8) -> list[tuple[bytes, bytes]]:
    """The bytes of HEADERS as they were received (ENCODING: the record's
    `headers_encoding`). Text that ENCODING cannot carry (a value edited by hand) falls
    back to UTF-8 rather than failing."""
    return [(_encode(k, encoding), _encode(v, encoding)) for k, v in headers]


def _encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode(UTF8, errors="surrogateescape")


def get(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """First value of NAME, matched case-insensitively; None when absent."""
    low = name.lower()
    for k, v in headers:
        if k.lower() == low:
            return v
    return None


def get_all(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    low = name.lower()
    return [v for k, v in headers if k.lower() == low]


def has(headers: Sequence[tuple[str, str]], name: str) -> bool:
    return get(headers, name) is not None


def names(headers: Iterable[tuple[str, str]]) -> set[str]:
    """Lower-cased header names, for detection that must not depend on case."""
    return {k.lower() for k, _ in headers}


def replace(headers: Sequence[tuple[str, str]], new: Iterable[tuple[str, str]]) -> HeaderList:
    """Headers with each name in NEW set to its new value (old values of that name dropped,
    the first one's position kept), others unchanged and in order."""
    new = list(new)
    low_new = {k.lower() for k, _ in new}
    out: HeaderList = []
    placed: set[str] = set()
    for k, v in headers:
        lk = k.lower()
        if lk in low_new:
            if lk not in placed:
                placed.add(lk)
                out.extend((nk, nv) for nk, nv in new if nk.lower() == lk)
            continue
        out.append((k, v))
    out.extend((nk, nv) for nk, nv in new if nk.lower() not in placed)
    return out
