"""Group commit: captures that arrive together share one locked append and one fsync.

Each request's capture waits here until it is in the store; only then is the sender
answered. Captures of one event-loop turn are appended in one locked write (with the
retention `del` of `--keep` in the same write). By default the batch is then put on
stable storage: one fdatasync in a thread of its own, during which the loop keeps
serving and the next batches are written; when the sync returns, every batch written
before it is answered, and the batches written meanwhile get the next sync. So a burst
costs one sync per round, never one per request, and a capture arriving alone gets
exactly one. With `fsync=False` (`--no-fsync`) a batch is answered after its write.

When deleted captures come to hold more than half of the log (retention, or `rm` and
`prune` run alongside), the store is compacted in a background thread while ingest goes
on (see store/compact.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from hookcli.model.capture import Capture
from hookcli.store import Store
from hookcli.store.durable import DiskSync

Batch = list[tuple[Capture, "asyncio.Future[int]"]]
#: on stop, how long to let a running compaction finish before leaving it (it is safe to
#: interrupt at any point; the next one cleans up after it)
COMPACTION_GRACE = 1.0


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
        self._written: Batch = []  # in the file, waiting for a sync
        self._syncing = False
        self._synced = asyncio.Event()  # set whenever no write waits for a sync
        self._synced.set()
        self._disk = DiskSync(store.root)
        self._executor: ThreadPoolExecutor | None = None
        self._compaction: threading.Thread | None = None

    async def commit(self, capture: Capture) -> int:
        """CAPTURE's id once it is in the store (and synced, with fsync)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        self._pending.append((capture, fut))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self.flush)
        return await fut

    def flush(self) -> None:
        """Append what is pending in one locked write (runs in the loop)."""
        batch, self._pending = self._pending, []
        self._flush_scheduled = False
        if not batch:
            return
        try:
            self.store.add([c for c, _ in batch], keep=self.keep)
        except Exception as e:
            _fail(batch, e)
            return
        if self.fsync:
            self._written += batch
            self._synced.clear()
            self._start_sync()
        else:
            self._done(batch)
        self.compact_if_due()

    def _start_sync(self) -> None:
        if self._syncing or not self._written:
            return
        group, self._written = self._written, []
        self._syncing = True
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="hookcli-sync")
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self._executor, self._disk.sync)
        job.add_done_callback(lambda f: self._after_sync(group, f))

    def _after_sync(self, group: Batch, job: asyncio.Future[None]) -> None:
        self._syncing = False
        error = job.exception()
        if error is not None:
            _fail(group, error)
        else:
            self._done(group)
        if self._written:
            self._start_sync()
        else:
            self._synced.set()

    def _done(self, batch: Batch) -> None:
        for cap, fut in batch:
            if not fut.done():
                fut.set_result(cap.id)
        if self.on_committed is not None:
            self.on_committed([c for c, _ in batch])

    # -- compaction -------------------------------------------------------------------------

    def compact_if_due(self) -> None:
        """Start a background compaction if the store is due one and none is running."""
        running = self._compaction is not None and self._compaction.is_alive()
        if running or not self.store.compaction_due():
            return
        loop = asyncio.get_running_loop()
        # a daemon thread: a compaction is safe to cut off at any point, and a stop must
        # not wait for one over a big store
        self._compaction = threading.Thread(
            target=self._compact, args=(loop,), name="hookcli-compact", daemon=True
        )
        self._compaction.start()

    def _compact(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            self.store.compact(wait=False)
        except Exception as e:  # reported, and ingest goes on: nothing was changed
            if self.on_problem is not None:
                loop.call_soon_threadsafe(self.on_problem, f"compaction failed: {e}")
        finally:
            self.store.close()  # this thread's descriptors

    # -- stopping -----------------------------------------------------------------------------

    async def close(self) -> None:
        """Write what is pending, wait for its sync, let a compaction finish (briefly)."""
        self.flush()
        await self._synced.wait()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        self._disk.close()
        if self._compaction is not None:
            await asyncio.to_thread(self._compaction.join, COMPACTION_GRACE)


def _fail(batch: Batch, error: BaseException) -> None:
    for _, fut in batch:
        if not fut.done():
            fut.set_exception(error)
