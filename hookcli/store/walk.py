"""Walks of the index that several Store methods share: the live puts newest first with
the log bytes each capture holds, the ids among them that a test accepts, retention's
deletion, the oldest live capture."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hookcli.store import format as fmt
from hookcli.store import seek
from hookcli.store.live import LiveIds
from hookcli.store.log import LogFiles


def live_puts(files: LogFiles, end: int) -> Iterator[fmt.IndexEntry]:
    """Index put entries not deleted, newest first."""
    return (entry for entry, _ in weighted(files.index_backward(end)))


def weighted(entries: Iterable[fmt.IndexEntry]) -> Iterator[tuple[fmt.IndexEntry, int]]:
    """From index entries newest first: the live put entries, newest first, each with the
    log bytes its capture holds (its put line and its attempt lines)."""
    deleted: set[int] = set()
    extra: dict[int, int] = {}
    for entry in entries:
        op = entry["op"]
        if op == "put":
            if entry["id"] not in deleted:
                yield entry, int(entry["len"]) + extra.pop(entry["id"], 0)
        elif op == "attempt":
            extra[entry["id"]] = extra.get(entry["id"], 0) + int(entry.get("len", 0))
        elif op == "del":
            deleted.update(entry["ids"])
        elif op == "meta":
            return


def weigh(
    files: LogFiles, end: int, low: int, wanted: Callable[[int], bool]
) -> tuple[set[int], int]:
    """Ids of live captures, none below LOW, that WANTED accepts, and the log bytes they
    hold: the walk stops at the first id below LOW (ids are in file order)."""
    found: set[int] = set()
    freed = 0
    for entry, size in weighted(files.index_backward(end)):
        if entry["id"] < low:
            break
        if wanted(entry["id"]):
            found.add(entry["id"])
            freed += size
    return found, freed


def beyond(live: LiveIds, keep: int, new: list[int]) -> list[fmt.LogOp]:
    """Retention: the `del` op for the captures beyond the KEEP newest once NEW (ids not
    yet appended) are in; none when nothing is beyond."""
    excess = len(live) + len(new) - keep
    if excess <= 0:
        return []
    victims = live.oldest(excess)
    victims += new[: excess - len(victims)]
    return [fmt.del_op(victims)]


def oldest(files: LogFiles, end: int) -> dict[str, Any] | None:
    """The oldest live summary: the first put, unless something deleted it (then the
    first put no `del` line names, the del lines found by a byte search)."""
    indexed = (entry for _, entry in files.index_forward(0, end))
    entries = itertools.chain(indexed, files.unindexed)
    first = next((e for e in entries if e["op"] == "put"), None)
    if first is None:
        return None
    put, _ = files.lookup(first["id"], end)
    if put is not None:
        s: dict[str, Any] = put["s"]
        return s
    deleted: set[int] = set()
    _, idx_fd = files.fds()
    if idx_fd >= 0:
        for at, line in seek.lines_with(idx_fd, 0, end, fmt.DEL):
            deleted.update(files.parse_index(line, at)["ids"])
    for entry in files.unindexed:
        if entry["op"] == "del":
            deleted.update(entry["ids"])
    for entry in entries:
        if entry["op"] == "put" and entry["id"] not in deleted:
            s = entry["s"]
            return s
    return None
