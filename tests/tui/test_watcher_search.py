"""The TUI's store-facing parts without Textual: the follower that loads and then tails the
store, and the filter run (in memory, or through the store for a text search)."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

from hookcli.model.capture import Capture
from hookcli.store import Store
from hookcli.tui.search import run_filter
from hookcli.tui.view import parse_filter
from hookcli.tui.watcher import FIRST_PAGE, Follower
from tests.conftest import add


def cap(path: str, body: bytes = b"{}", method: str = "POST") -> Capture:
    return Capture(method, path, "", [("Content-Type", "application/json")], body)


def test_follower_hands_over_the_first_page_then_all_then_what_others_append(
    store: Path,
) -> None:
    add(store, *[cap(f"/{i}") for i in range(1, FIRST_PAGE + 51)])
    got: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def on_rows(rows: list[dict[str, Any]], complete: bool, painted: Any) -> None:
        got.put(("rows", ([s["id"] for s in rows], complete)))
        if painted is not None:
            painted.set()

    follower = Follower(Store(store), 0.02, stop.is_set, on_rows, lambda e: got.put(("changes", e)))
    thread = threading.Thread(target=follower.run, daemon=True)
    thread.start()
    try:
        kind, (ids, complete) = got.get(timeout=10)
        assert kind == "rows" and not complete and len(ids) == FIRST_PAGE
        assert ids[0] == FIRST_PAGE + 50, "newest first"
        kind, (ids, complete) = got.get(timeout=10)
        assert complete and ids == list(range(FIRST_PAGE + 50, 0, -1))

        add(store, cap("/new"))
        Store(store).delete([1])
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            kind, entries = got.get(timeout=10)
            assert kind == "changes"
            seen += entries
        assert [e["op"] for e in seen] == ["put", "del"]
        assert seen[0]["s"]["path"] == "/new" and seen[1]["ids"] == [1]

        Store(store).clear()  # replaces the files: everything is read again
        kind, (ids, _) = got.get(timeout=10)
        assert kind == "rows" and ids == []
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_summary_filters_run_in_memory_over_the_snapshot(store: Path) -> None:
    add(store, cap("/a", method="GET"), cap("/b"), cap("/c", method="GET"))
    rows = list(Store(store).summaries())
    found = run_filter(Store(store), parse_filter("method:GET"), rows, 3, lambda: False)
    assert found is not None and [s["path"] for s in found] == ["/c", "/a"]


def test_text_search_reads_records_up_to_the_given_id(store: Path) -> None:
    add(store, cap("/a", b'{"k": "needle"}'), cap("/b", b'{"k": "hay"}'))
    add(store, cap("/c", b'{"k": "needle"}'))  # arrived after the filter started
    found = run_filter(Store(store), parse_filter("NEEDLE"), [], 2, lambda: False)
    assert found is not None and [s["path"] for s in found] == ["/a"]


def test_a_cancelled_run_gives_nothing(store: Path) -> None:
    add(store, cap("/a", b'{"k": "needle"}'))
    rows = list(Store(store).summaries())
    assert run_filter(Store(store), parse_filter("needle"), rows, 1, lambda: True) is None
    assert run_filter(Store(store), parse_filter("method:POST"), rows, 1, lambda: True) is None
