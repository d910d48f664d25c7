"""Headers as received: an ordered list of (name, value) pairs, case and duplicates kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HeaderList = list[tuple[str, str]]


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
