"""Running a filter over the captures for the TUI, without Textual (in a worker thread).

The summary filters run in memory over a snapshot of the list; a text search goes through
the store as `ls --search` does, reading each record that passes the cheap part. Either
stops early when CANCELLED says so (the user typed on)."""

from __future__ import annotations

from collections.abc import Callable

from hookcli.store import Store
from hookcli.store.format import CaptureRecord
from hookcli.store.query import Filters
from hookcli.tui.view import Summary, summary_predicate


class _Stop(Exception):
    pass


def run_filter(
    store: Store,
    f: Filters,
    rows: list[Summary],
    upto_id: int,
    cancelled: Callable[[], bool],
) -> list[Summary] | None:
    """The captures up to UPTO_ID that F keeps, newest first; None when cancelled. ROWS is a
    snapshot: the view replaces its lists, never changes them in place."""
    predicate = summary_predicate(f)
    search = f.record_query()
    if search is None:
        matches: list[Summary] = []
        for i, s in enumerate(rows):
            if i % 4096 == 0 and cancelled():
                return None
            if predicate is None or predicate(s):
                matches.append(s)
        return matches

    def match(s: Summary) -> bool:
        return int(s["id"]) <= upto_id and (predicate is None or predicate(s))

    def record_match(rec: CaptureRecord) -> bool:
        if cancelled():
            raise _Stop
        return search(rec)

    try:
        return list(store.summaries(match=match, record_match=record_match))
    except _Stop:
        return None
    finally:
        store.close()
