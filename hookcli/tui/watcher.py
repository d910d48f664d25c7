"""Loading and following the store for the TUI, without Textual: runs in a worker thread
and hands what it reads to callbacks (which hop to the UI thread).

Every summary is read once (the first page handed over before the rest is parsed), then
only what other processes append: Store.changes_since from the last mark, every POLL
seconds. When the files were replaced (compaction, clear) it reads everything again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from hookcli.store import Store
from hookcli.tui.view import Summary

FIRST_PAGE = 200
_CHUNK = 4096


@dataclass
class Follower:
    store: Store
    poll_seconds: float
    cancelled: Callable[[], bool]
    #: rows newest first, complete?, an event to set once they are on screen (or None)
    on_rows: Callable[[list[Summary], bool, threading.Event | None], None]
    #: index entries appended since the last call, oldest first
    on_changes: Callable[[list[dict[str, Any]]], None]

    def run(self) -> None:
        """Until cancelled. StoreCorrupt and other HookcliErrors propagate to the caller."""
        try:
            while not self.cancelled():
                self._follow_once()
        finally:
            self.store.close()

    def _follow_once(self) -> None:
        mark, rows = self.store.summaries_marked()
        first = list(islice(rows, FIRST_PAGE))
        painted = threading.Event()
        self.on_rows(first, False, painted)
        # the rest parses in Python, holding the GIL: let the first page be drawn before,
        # and give the UI a turn every few thousand rows while it runs
        painted.wait(1.0)
        everything = first
        while chunk := list(islice(rows, _CHUNK)):
            everything += chunk
            time.sleep(0)
        self.on_rows(everything, True, None)
        while not self.cancelled():
            time.sleep(self.poll_seconds)
            got = self.store.changes_since(mark)
            if got is None:
                return  # compacted or cleared: read it all again
            mark, entries = got
            if entries:
                self.on_changes(entries)
