"""The capture list's state, without Textual: every live summary newest first, the rows the
filter lets through, and the marks. The widgets only draw it, so filtering, ordering and
marking are tested here without a terminal.

The filter bar speaks the `ls` options as `key:value` words (`method:POST path:/hooks/*
provider:stripe event:invoice.* since:10m`); any other word is searched for in headers
and body, as `ls --search` does. They become the same `Filters` object `ls` uses."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from typing import Any

from hookcli.errors import UsageError
from hookcli.store.query import Filters

Summary = dict[str, Any]
Predicate = Callable[[Summary], bool]
FILTER_KEYS = ("method", "path", "provider", "event", "since")


class FilterError(ValueError):
    """A filter bar text that does not parse; the message says why."""


def parse_filter(text: str) -> Filters:
    """`method:POST stripe since:10m` -> Filters(method="POST", since=600, search="stripe")."""
    from hookcli.model.units import parse_duration

    try:
        words = shlex.split(text)
    except ValueError:  # an unclosed quote while typing: take the words as they are
        words = text.split()
    given: dict[str, str] = {}
    free: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        if sep and key.lower() in FILTER_KEYS:
            if not value:
                raise FilterError(f"{key}: needs a value")
            given[key.lower()] = value
        else:
            free.append(word)
    since: float | None = None
    if "since" in given:
        try:
            since = parse_duration(given["since"])
        except ValueError as e:
            raise FilterError(f"since: {e}") from None
    if "provider" in given:
        from hookcli.signing.registry import canonical

        try:
            canonical(given["provider"])
        except UsageError as e:
            raise FilterError(f"provider: {e.message}") from None
    return Filters(
        method=given.get("method"),
        path=given.get("path"),
        provider=given.get("provider"),
        event=given.get("event"),
        since_seconds=since,
        search=" ".join(free) or None,
    )


def summary_predicate(f: Filters) -> Predicate | None:
    """The cheap part of F as one predicate over summaries (None: everything passes)."""
    query = f.summary_query()
    older = f.stop_before()
    if query is None and older is None:
        return None

    def passes(s: Summary) -> bool:
        return (query is None or bool(query(s))) and (older is None or not older(s))

    return passes


class CaptureView:
    """All live summaries (newest first), the shown subset, and up to two marks."""

    def __init__(self) -> None:
        self.rows: list[Summary] = []
        self.shown: list[Summary] = []
        self.filters = Filters()
        self.marks: list[int] = []  # ids, oldest mark first
        self._ids: set[int] = set()

    @property
    def filtered(self) -> bool:
        return self.filters != Filters()

    @property
    def top_id(self) -> int:
        return int(self.rows[0]["id"]) if self.rows else 0

    def load(self, rows: list[Summary]) -> None:
        """Replace everything (first load, or after the store was compacted). Keeps the
        current filter's cheap part; a text search must be run again by the caller."""
        self.rows = rows
        self._ids = {int(s["id"]) for s in rows}
        self.marks = [m for m in self.marks if m in self._ids]
        predicate = summary_predicate(self.filters)
        self.shown = rows if predicate is None else [s for s in rows if predicate(s)]

    def add_new(self, new_rows: Iterable[Summary], passes: Predicate | None) -> int:
        """Put captures that just arrived (oldest first) on top. While a filter is on,
        PASSES says which of them it lets through (None: all). Returns how many were added
        to the shown list."""
        fresh = [s for s in new_rows if int(s["id"]) not in self._ids]
        fresh.reverse()
        self.rows = fresh + self.rows
        self._ids.update(int(s["id"]) for s in fresh)
        if not self.filtered:
            self.shown = self.rows
            return len(fresh)
        shown_new = fresh if passes is None else [s for s in fresh if passes(s)]
        self.shown = shown_new + self.shown
        return len(shown_new)

    def remove(self, ids: Iterable[int]) -> list[int]:
        """Drop deleted captures everywhere; returns the indices they had in `shown`."""
        gone = set(ids) & self._ids
        if not gone:
            return []
        positions = [i for i, s in enumerate(self.shown) if int(s["id"]) in gone]
        was_all = self.shown is self.rows
        self.rows = [s for s in self.rows if int(s["id"]) not in gone]
        self._ids -= gone
        self.shown = self.rows if was_all else [s for s in self.shown if int(s["id"]) not in gone]
        self.marks = [m for m in self.marks if m not in gone]
        return positions

    def set_filter(self, f: Filters) -> None:
        self.filters = f

    def set_shown(self, matches: list[Summary], upto_id: int, passes: Predicate | None) -> None:
        """The result of a filter run over the captures up to UPTO_ID: those still here,
        below the ones that arrived meanwhile and that PASSES lets through."""
        if not self.filtered:
            self.shown = self.rows
            return
        newer = [s for s in self.rows if int(s["id"]) > upto_id]
        newer = newer if passes is None else [s for s in newer if passes(s)]
        self.shown = newer + [s for s in matches if int(s["id"]) in self._ids]

    def toggle_mark(self, capture_id: int) -> None:
        """Mark or unmark; a third mark replaces the oldest, so two are always the last two
        chosen."""
        if capture_id in self.marks:
            self.marks.remove(capture_id)
        else:
            self.marks = [*self.marks, capture_id][-2:]

    def marked_pair(self) -> tuple[int, int] | None:
        """The two marked ids, older capture first (the diff's a and b)."""
        if len(self.marks) != 2:
            return None
        a, b = sorted(self.marks)
        return a, b
