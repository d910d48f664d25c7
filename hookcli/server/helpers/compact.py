"""The listener's compactions, run in a helper process (the listener's half; the
child's: compact_child.py).

Under `--keep N` a store compacts itself every N or so captures (many times a second
under load). Run in a thread of the listener, each compaction's Python work holds the
GIL against the event loop and ingest loses a fifth to a third of its throughput; in a
process of its own it runs beside the loop, on another core when there is one.

The helper is started at the first compaction and kept. Each request is a `compact`
line, each reply one line (process.py's protocol): `done`, `busy` (another process is
compacting the store) or `error TEXT`. A compaction is safe to cut off at any point
(store/compact.py), so a stop that finds one running waits briefly, then kills it. If
the helper cannot start or dies, the listener says so once and compacts in a thread
(`in_thread`, server/commit.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hookcli.server.helpers.process import Helper, Loss

#: the child half, run as `python -m`
CHILD = "hookcli.server.helpers.compact_child"
#: seconds a stop gives an idle helper to exit
IDLE_STOP = 0.2

#: told when a compaction ends: None when compacted (or skipped because another process
#: compacts), else the reason it failed
Done = Callable[[str | None], None]


class CompactHelper:
    """The listener's side: one helper process, one compaction at a time. DONE hears
    each compaction's end; LOST hears once, with what to say, that the helper is gone."""

    def __init__(self, root: Path, done: Done, lost: Callable[[str], None]):
        self._helper = Helper(CHILD, [str(root)], self._lost, self._replied, quiet=True)
        self._done = done
        self._on_lost = lost
        self._started = False
        self.waiting = False  # a compaction asked for and not yet answered

    @property
    def pid(self) -> int | None:
        return self._helper.pid

    def request(self) -> bool:
        """Ask for a compaction (inside the running loop); False when the helper is gone
        (LOST was told)."""
        if not self._started:
            self._started = True
            if not self._helper.start():
                return False
        self._helper.send(b"compact\n")
        if self._helper.lost is not None:
            return False
        self.waiting = True
        return True

    def _replied(self, line: str) -> None:
        self.waiting = False
        self._done(line[len("error ") :] if line.startswith("error ") else None)

    def _lost(self, loss: Loss) -> None:
        self.waiting = False
        if loss.kind == "ended":
            self._on_lost("the compaction process ended")
        else:
            self._on_lost(f"the compaction process could not be used ({loss.error})")

    async def close(self, grace: float) -> None:
        """End the helper: at once when idle, after up to GRACE seconds when compacting,
        then killed (its compaction is safe to cut off)."""
        await self._helper.stop(grace if self.waiting else IDLE_STOP)
