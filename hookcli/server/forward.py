"""Live forwarding for `listen`: each capture sent on to its targets in the background.

The catch server hands every recorded capture to `Forwarder.submit` (its `after_capture`
hook), which only queues it: nothing the targets do can delay recording or the answer to
the sender. Each target has its own bounded queue and its own workers, so a slow or dead
target never holds up a fast one. A capture that finds its target's queue full is not
waited for: it is recorded as a skipped attempt, and so is one for a target that gave no
answer in the last second. Attempts are written to the store in batches, then reported:
at once when no capture waits, else all that finish within FLUSH_DELAY share one append.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from hookcli.delivery.client import RetryPolicy, deliver, new_session
from hookcli.delivery.http1 import Client
from hookcli.delivery.prepare import for_capture, join_url, public_url
from hookcli.delivery.routes import Routes
from hookcli.errors import UsageError
from hookcli.model.capture import Attempt, Capture, now_iso
from hookcli.model.units import human_size
from hookcli.store import Store

#: what `report` receives: (capture id, attempt), in the order they were recorded
Forwarded = list[tuple[int, Attempt]]

#: seconds a target that gave no answer (refused, unreachable, timed out) gets no new
#: forward: each try at a dead target costs more CPU than recording a capture, so under a
#: flood they would starve the server; at human pace every capture is still tried
NO_ANSWER_PAUSE = 1.0
#: seconds an attempt may wait, while captures are queued, to be written and reported with
#: others: one store append (two locks, two stats, two writes) per batch instead of per
#: attempt is a large share of what a forward costs under a flood (docs/performance.md);
#: a person does not see 20 ms
FLUSH_DELAY = 0.02
FLUSH_MAX = 512  # attempts: written at once when this many wait
_PAUSED = f"skipped: target gave no answer in the last {NO_ANSWER_PAUSE:g} s"


@dataclass
class ForwardOptions:
    timeout: float | None = 30.0  # per attempt; 0 or None waits forever
    retries: int = 0
    insecure: bool = False
    workers: int = 8  # requests in flight per target
    max_pending: int = 1000  # captures queued per target before forwards are skipped
    max_pending_bytes: int = 64 * 1024 * 1024  # body bytes queued per target


@dataclass
class _Target:
    base: str
    queue: asyncio.Queue[Capture] = field(default_factory=asyncio.Queue)
    pending_bytes: int = 0
    paused_until: float = 0.0  # loop time; see NO_ANSWER_PAUSE
    idle: int = 0  # workers waiting for a capture (each takes one queued at once)
    workers: list[asyncio.Task[None]] = field(default_factory=list)
    # per worker: its capture, whether it waits to retry, and when the try on the wire
    # started (ISO time and loop time; "" and 0.0 while none is)
    busy: dict[asyncio.Task[None], tuple[Capture, bool, str, float]] = field(default_factory=dict)


class Forwarder:
    def __init__(
        self,
        routes: Routes,
        store: Store,
        report: Callable[[Forwarded], None],
        options: ForwardOptions | None = None,
        warn: Callable[[str], None] | None = None,
    ):
        self.routes = routes
        self.store = store
        self.report = report
        self.warn = warn
        self.options = options or ForwardOptions()
        self._targets: dict[str, _Target] = {}
        self._session: Client | None = None
        self._policy = RetryPolicy(retries=self.options.retries, rng=random.Random())
        self._done: Forwarded = []
        self._flush_timer: asyncio.Handle | None = None
        self._closing = False
        self._held = ""  # the timestamp of a held batch's skips (see `held`)
        #: skipped attempts, (base, path, query, reason, time) -> the Attempt: captures
        #: skipped alike in a batch share it (and the store encodes it once)
        self._skips: dict[tuple[str, str, str, str, str], Attempt] = {}

    def start(self) -> None:
        """Open the client session and start the workers (inside the running loop)."""
        self._loop = asyncio.get_running_loop()
        opts = self.options
        bases = self.routes.targets
        self._session = new_session(opts.insecure, opts.timeout)
        for base in bases:
            target = self._targets[base] = _Target(base)
            for _ in range(opts.workers):
                target.workers.append(asyncio.create_task(self._work(target)))

    # -- the server's hook: never blocks, never raises -------------------------------------

    def submit(self, capture: Capture) -> None:
        self.offer(
            capture.id, capture.event_type, capture.path, capture.query, len(capture.body),
            lambda: capture,
        )  # fmt: skip

    def offer(
        self,
        cid: int,
        event_type: str | None,
        path: str,
        query: str,
        size: int,
        load: Callable[[], Capture],
    ) -> None:
        """`submit` for a capture known by its summary (id, event type, path, query, body
        size): LOAD is called, once, only if a target takes it, and at once. A capture
        that every target skips (a dead target, a full queue: thousands a second under a
        flood) is thus never read nor parsed."""
        opts = self.options
        now = self._loop.time()
        at = self._held  # one timestamp for all of this capture's skips, made only if one is
        capture: Capture | None = None
        for base in self.routes.for_event(event_type):
            target = self._targets[base]
            # queued for an idle worker is not waiting: it goes out at the next loop turn
            pending = max(0, target.queue.qsize() - target.idle)
            if self._closing:
                why = "not sent: listen was stopping"
            elif now < target.paused_until:
                why = _PAUSED
            elif pending >= opts.max_pending:
                why = f"skipped: forward queue full ({pending} pending)"
            elif pending and target.pending_bytes + size > opts.max_pending_bytes:
                why = f"skipped: forward queue full ({pending} pending, "
                why += f"{human_size(target.pending_bytes)})"
            else:
                capture = capture or load()
                target.pending_bytes += len(capture.body)
                target.queue.put_nowait(capture)
                continue
            at = at or now_iso()
            self._skipped(cid, path, query, base, why, at)

    def _skip(self, capture: Capture, base: str, why: str) -> None:
        self._skipped(capture.id, capture.path, capture.query, base, why)

    def _skipped(self, cid: int, path: str, query: str, base: str, why: str, at: str = "") -> None:
        key = (base, path, query, why, at or now_iso())
        attempt = self._skips.get(key)
        if attempt is None:  # one per target and reason in a batch: shared, never changed
            if len(self._skips) >= 256:
                self._skips.clear()
            url = join_url(base, path, query)
            attempt = self._skips[key] = Attempt(
                key[4], public_url(url), None, 0.0, why, base=public_url(base)
            )
        self._record(cid, attempt)

    # -- workers ---------------------------------------------------------------------------

    async def _work(self, target: _Target) -> None:
        assert self._session is not None
        session, me = self._session, asyncio.current_task()
        assert me is not None
        while True:
            target.idle += 1
            try:
                capture = await target.queue.get()
            finally:
                target.idle -= 1
            target.pending_bytes -= len(capture.body)
            if self._loop.time() < target.paused_until:  # queued before the target failed
                self._skip(capture, target.base, _PAUSED)
                target.queue.task_done()
                continue
            target.busy[me] = (capture, False, "", 0.0)

            def sending(capture: Capture = capture) -> None:
                target.busy[me] = (capture, False, now_iso(), self._loop.time())

            def tried(attempt: Attempt, wait: float | None, capture: Capture = capture) -> None:
                target.busy[me] = (capture, wait is not None, "", 0.0)  # waiting to retry?
                if attempt.status is None:
                    target.paused_until = self._loop.time() + NO_ANSWER_PAUSE
                self._record(capture.id, attempt)

            try:
                out = for_capture(capture, target.base)
                await deliver(session, out, self._policy, tried, on_send=sending)
            except Exception as e:  # a worker must outlive any one capture it cannot send
                self._skip(capture, target.base, f"not sent: {type(e).__name__}: {e}")
            finally:
                del target.busy[me]
                target.queue.task_done()

    # -- recording: one store append per FLUSH_DELAY --------------------------------------

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Attempts recorded inside are written no sooner than its end (the forwarding
        helper offers a batch of captures whose records it reads lazily, from files a
        write could reopen), and the captures skipped inside share one timestamp (the
        batch takes a few milliseconds)."""
        self._held = now_iso()
        try:
            yield
        finally:
            self._held = ""
            if len(self._done) >= FLUSH_MAX:
                self._flush()

    def _record(self, capture_id: int, attempt: Attempt) -> None:
        self._done.append((capture_id, attempt))
        if len(self._done) >= FLUSH_MAX and not self._held:
            self._flush()
        elif self._flush_timer is None:
            # a backlog: batch; none (a person's pace): at once, each line under its capture
            if any(t.queue.qsize() for t in self._targets.values()):
                self._flush_timer = self._loop.call_later(FLUSH_DELAY, self._flush)
            else:
                self._flush_timer = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        batch, self._done = self._done, []
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if not batch:
            return
        try:
            self.store.add_attempts((cid, "forwards", a) for cid, a in batch)
        except Exception as e:  # the forward happened; say the record of it was lost
            if self.warn is not None:
                self.warn(f"{len(batch)} forward attempt(s) not recorded: {e}")
        self.report(batch)

    # -- shutdown --------------------------------------------------------------------------

    async def close(self, grace: float = 0.5) -> None:
        """Give pending forwards up to GRACE seconds, then record what is left as not sent
        (queued) or unanswered (in flight), and close the session. Bounded by GRACE plus
        the time to cancel the workers."""
        self._closing = True
        targets = list(self._targets.values())
        if any(t.queue.qsize() or t.busy for t in targets):
            drained = asyncio.gather(*(t.queue.join() for t in targets))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(drained, grace)
        for t in targets:
            for capture, retrying, at, started in list(t.busy.values()):
                if retrying or not at:
                    why = "not retried" if retrying else "not sent"
                    self._skip(capture, t.base, f"{why}: listen stopped")
                    continue
                # on the wire when the stop came: recorded with the time it was in flight
                url = join_url(t.base, capture.path, capture.query)
                waited = round((self._loop.time() - started) * 1000, 2)
                why = f"no answer: listen stopped ({grace:g} s grace)"
                attempt = Attempt(at, public_url(url), None, waited, why, base=public_url(t.base))
                self._record(capture.id, attempt)
            for w in t.workers:
                w.cancel()
            while not t.queue.empty():
                self._skip(t.queue.get_nowait(), t.base, "not sent: listen stopped")
        await asyncio.gather(*(w for t in targets for w in t.workers), return_exceptions=True)
        self._flush()
        if self._session is not None:
            await self._session.close()


def check_not_self(routes: Routes, listen_url: str) -> None:
    """Refuse a target that is the listener itself: each forward would come back as a new
    capture, forwarded again, forever. Only loopback names are known to be local; a LAN
    address of this machine or a tunnel URL is not caught."""
    me = urlsplit(listen_url)
    for base in routes.targets:
        t = urlsplit(base)
        port = t.port or (443 if t.scheme == "https" else 80)
        same_host = t.hostname == me.hostname or (_local(t.hostname) and _local(me.hostname))
        if t.scheme == "http" and port == me.port and same_host:
            raise UsageError(
                f"{public_url(base)} is this listener ({listen_url}): every capture would be "
                "forwarded back to it, forever",
                "forward to your app's port, or run listen on another --port",
            )


def _local(host: str | None) -> bool:
    return host in ("localhost", "0.0.0.0", "::", "::1") or (host or "").startswith("127.")


def describe(capture_id: int, attempt: Attempt) -> dict[str, Any]:
    """The JSON line `listen --json` prints for a forward attempt."""
    return {
        "event": "forwarded",
        "id": capture_id,
        "target": attempt.target,
        "base": attempt.base,
        "status": attempt.status,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
        "retry": attempt.retry,
    }
