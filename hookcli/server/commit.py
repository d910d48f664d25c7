"""Group commit: captures that arrive together share one locked append and one fsync.

Each request's capture waits here until it is in the store; only then is the sender
answered. Captures of one event-loop turn are appended in one locked write (with the
retention `del` of `--keep` in the same write). By default the batch is then put on
stable storage: an fdatasync in a sync thread, during which the loop keeps serving and
the next batches are written; when a sync returns, every batch written before it began
is answered, and the batches written meanwhile are covered by the next sync, which
begins when it returns. So a burst costs one sync per round, never one per request, and
a capture arriving alone gets exactly one. With
`fsync=False` (`--no-fsync`) a batch is answered after its write.

When deleted captures come to hold more than half of the log (retention, or `rm` and
`prune` run alongside), the store is compacted in a helper process while ingest goes on
(see helpers/compact.py and store/compact.py)."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from hookcli.model.capture import Capture
from hookcli.server.helpers.compact import CompactHelper
from hookcli.store import Store
from hookcli.store.durable import DiskSync

#: told when a capture is committed: (capture, None), or (capture, the error) when not
Done = Callable[[Capture, BaseException | None], None]
#: who waits for each capture: a future (`commit`) or a callback (`submit`)
Batch = list[tuple[Capture, "asyncio.Future[int] | Done"]]
#: sync threads. One: a batch written while a sync runs waits for it to end and shares
#: the next one with every batch written meanwhile. Two syncs at once made more syncs,
#: and under load each costs the loop more in wake-ups and GIL hand-offs than the shorter
#: wait gains (measured: docs/performance.md, "Changelog")
SYNCS_IN_FLIGHT = 1
#: on stop, how long to wait for the last sync (its captures are written already; only
#: their answers wait for it) and for a running compaction (safe to cut off at any point)
STOP_GRACE = 0.5


class GroupCommit:
    def __init__(
        self,
        store: Store,
        fsync: bool = True,
        keep: int | None = None,
        on_committed: Callable[[list[Capture]], None] | None = None,
        on_problem: Callable[[str], None] | None = None,
    ):
        self.store = store
        self.fsync = fsync
        self.keep = keep
        self.on_committed = on_committed
        self.on_problem = on_problem
        self._pending: Batch = []
        self._flush_scheduled = False
        # batches written, numbered, waiting for a sync that began after their write
        self._waiting: deque[tuple[int, Batch]] = deque()
        self._written = 0  # number of the last batch written
        self._synced = asyncio.Event()  # set whenever no write waits for a sync
        self._synced.set()
        self._syncer: Syncer | None = None
        self._compaction: threading.Thread | None = None
        self._compacting = False
        #: compactions in a helper process (helpers/compact.py); False: in a thread of
        #: this process (once the helper is lost)
        self.compact_in_helper = True
        self._compact_helper: CompactHelper | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the server's, once it runs

    async def commit(self, capture: Capture) -> int:
        """CAPTURE's id once it is in the store (and synced, with fsync)."""
        loop = self._loop
        if loop is None:  # asked once: on Python 3.11 each call is a getpid()
            loop = self._loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        self.submit(capture, fut)
        return await fut

    def submit(self, capture: Capture, done: asyncio.Future[int] | Done) -> None:
        """Tell DONE once CAPTURE is in the store (and synced, with fsync), or could not
        be: a future gets the id or the error, a callback (capture, error), in the loop.
        What `commit` does, without a task to wait in."""
        loop = self._loop
        if loop is None:  # asked once: on Python 3.11 each call is a getpid()
            loop = self._loop = asyncio.get_running_loop()
        self._pending.append((capture, done))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        """Append what is pending in one locked write (runs in the loop)."""
        batch, self._pending = self._pending, []
        self._flush_scheduled = False
        if not batch:
            return
        try:
            self.store.add([c for c, _ in batch], keep=self.keep)
        except Exception as e:
            _tell(batch, e)
            return
        if self.fsync:
            self._written += 1
            self._waiting.append((self._written, batch))
            self._synced.clear()
            if self._syncer is None:
                loop = asyncio.get_running_loop()
                self._syncer = Syncer(self.store.root, loop, self._after_sync)
            self._syncer.want(self._written, self.store.log_inode)
        else:
            self._done(batch)
        self.compact_if_due()

    def _after_sync(self, upto: int, error: BaseException | None) -> None:
        """Answer every batch written before the sync that returned (an fdatasync covers
        all that was written before it began, whichever sync began first)."""
        while self._waiting and self._waiting[0][0] <= upto:
            _, batch = self._waiting.popleft()
            if error is not None:
                _tell(batch, error)
            else:
                self._done(batch)
        if not self._waiting:
            self._synced.set()

    def _done(self, batch: Batch) -> None:
        _tell(batch, None)
        if self.on_committed is not None:
            self.on_committed([c for c, _ in batch])

    # -- compaction -------------------------------------------------------------------------

    def compact_if_due(self) -> None:
        """Start a compaction if the store is due one and none is running: in the helper
        process (helpers/compact.py), or in a thread when the helper is lost."""
        if self._compacting or not self.store.compaction_due():
            return
        loop = asyncio.get_running_loop()
        if self.compact_in_helper:
            if self._compact_helper is None:
                self._compact_helper = CompactHelper(self.store.root, self._compacted, self._lost)
            if self._compact_helper.request():
                self._compacting = True
                return
        self._compacting = True
        # a daemon thread: a compaction is safe to cut off at any point, and a stop must
        # not wait for one over a big store
        self._compaction = threading.Thread(
            target=self._compact, args=(loop,), name="hookcli-compact", daemon=True
        )
        self._compaction.start()

    def _lost(self, why: str) -> None:
        """The compaction helper is gone: say so once, and compact in a thread from now
        on (a compaction it was asked for and did not finish is asked again by the next
        batch)."""
        self.compact_in_helper = False
        self._compacting = False
        if self.on_problem is not None:
            self.on_problem(f"{why}: compacting in a thread instead")

    def _compacted(self, error: str | None) -> None:
        """A compaction ended (in the loop)."""
        self._compacting = False
        if error is not None and self.on_problem is not None:
            self.on_problem(f"compaction failed: {error}")

    def _compact(self, loop: asyncio.AbstractEventLoop) -> None:
        error: str | None = None
        try:
            self.store.compact(wait=False, full_check=False)
        except Exception as e:  # reported, and ingest goes on: nothing was changed
            error = str(e)
        finally:
            self.store.close()  # this thread's descriptors
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody to tell
            loop.call_soon_threadsafe(self._compacted, error)

    # -- stopping -----------------------------------------------------------------------------

    async def close(self) -> None:
        """Write what is pending, wait for its sync, let a compaction finish (briefly)."""
        self.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._synced.wait(), STOP_GRACE)
        if self._syncer is not None:
            self._syncer.close()
        if self._compact_helper is not None:
            await self._compact_helper.close(STOP_GRACE)
        if self._compaction is not None:
            await asyncio.to_thread(self._compaction.join, STOP_GRACE)


class Syncer:
    """SYNCS_IN_FLIGHT threads that fdatasync the log whenever batches were written since
    the last sync began, and report (in the loop) up to which batch each sync covers.

    The hand-offs are kept lean, as each one makes a thread and the loop take the GIL in
    turn: batches reach the threads through a SimpleQueue (no Condition, whose wait and
    notify are Python code), a thread takes every batch queued when it wakes, the log's
    inode comes with the batch (no stat per sync), and a sync that returns while the loop
    has not yet heard of the previous one adds to that wake-up instead of writing to the
    loop's self-pipe again."""

    def __init__(
        self,
        root: Path,
        loop: asyncio.AbstractEventLoop,
        done: Callable[[int, BaseException | None], None],
    ):
        self._loop = loop
        self._done = done
        self._wants: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the three below
        self._covered = 0  # the last batch a finished sync covers
        self._error: BaseException | None = None  # a failed sync not yet reported
        self._wake_pending = False
        disks = [DiskSync(root) for _ in range(SYNCS_IN_FLIGHT)]
        disks[0].start()  # before any answer: the log was created by this listener, maybe
        # daemons: a sync cut off at exit concerns requests that were never answered
        self._threads = [
            threading.Thread(target=self._run, args=(disk,), name="hookcli-sync", daemon=True)
            for disk in disks
        ]
        for t in self._threads:
            t.start()

    def want(self, upto: int, inode: int) -> None:
        """Batches up to UPTO were written to the log with this INODE."""
        self._wants.put((upto, inode))

    def _run(self, disk: DiskSync) -> None:
        try:
            while (item := self._wants.get()) is not None:
                stop = False
                while True:  # batches queued meanwhile: this sync covers them too
                    try:
                        more = self._wants.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:  # closing: this thread's last sync (one None each)
                        stop = True
                        break
                    item = more
                error: BaseException | None = None
                try:
                    disk.sync(item[1])
                except Exception as e:  # its batches answer 500: written, maybe not synced
                    error = e
                if not self._report(item[0], error) or stop:
                    return
        finally:
            disk.close()

    def _report(self, upto: int, error: BaseException | None) -> bool:
        """Tell the loop (once per wake-up) that batches up to UPTO are synced; False when
        the loop is gone (nobody waits for an answer then)."""
        with self._lock:
            self._covered = max(self._covered, upto)
            self._error = self._error or error
            if self._wake_pending:
                return True
            self._wake_pending = True
        try:
            self._loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:
            return False
        return True

    def _deliver(self) -> None:
        with self._lock:
            covered, error = self._covered, self._error
            self._error, self._wake_pending = None, False
        self._done(covered, error)

    def close(self) -> None:
        """Let the threads end once nothing is left to sync (they are daemons: a sync
        still running does not hold the process)."""
        for _ in self._threads:
            self._wants.put(None)


def _tell(batch: Batch, error: BaseException | None) -> None:
    """Tell each capture's waiter it is committed (ERROR None) or why not."""
    for cap, waiter in batch:
        if not isinstance(waiter, asyncio.Future):
            waiter(cap, error)
        elif waiter.done():
            continue
        elif error is None:
            waiter.set_result(cap.id)
        else:
            waiter.set_exception(error)
