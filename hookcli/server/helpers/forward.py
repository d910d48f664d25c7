"""Live forwarding in a helper process (the listener's half; the child's: forward_child.py),
so that forwarding costs the catch server next to nothing.

Each forward (an HTTP exchange with the target, its attempt written to the store, its
line printed) costs about as much CPU as recording a capture. Done in the listener's
event loop, a flood of captures forwarded to a fast target cost ingest half its
throughput. Here the listener only tells a helper process which captures to forward:
their ids, as ranges (`first last` request lines, process.py's protocol), written once
per loop turn. The helper reads the captures from the store (they are there before the
hook runs), forwards them with the same `Forwarder` (same bounded queues, skips,
retries and records), and prints the forward lines on the listener's stdout, one whole
line per write.

On Ctrl-C the listener closes the helper's stdin; the helper gives pending forwards
their grace, records what is left as not sent, and exits. If the helper cannot start or
dies, the listener says so once and forwards in its own event loop from then on
(`in_loop`)."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable
from typing import Protocol

from hookcli.model.capture import Capture
from hookcli.server.helpers.forward_child import ForwardSetup
from hookcli.server.helpers.process import Helper, Loss

#: the child half, run as `python -m`
CHILD = "hookcli.server.helpers.forward_child"
#: bytes of id ranges kept for the helper while its pipe is full; beyond, ranges are
#: dropped and the listener says how many captures were not forwarded
MAX_BACKLOG = 1 << 20
#: seconds the listener waits at start for the helper to be ready
READY_TIMEOUT = 10.0


class Submitter(Protocol):
    def submit(self, capture: Capture) -> None: ...

    async def close(self, grace: float) -> None: ...


class ForwardHelper:
    """The listener's side: hands capture ids to the forwarding helper started with
    SETUP; when the helper is lost, forwards through IN_LOOP (a forwarder in this
    process's event loop, made when first needed)."""

    def __init__(
        self,
        setup: ForwardSetup,
        in_loop: Callable[[], Submitter],
        warn: Callable[[str], None],
    ):
        self._helper = Helper(CHILD, [setup.encode()], self._lost)
        self._in_loop = in_loop
        self._warn = warn
        self._fallback: Submitter | None = None
        self._ids: list[int] = []
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0  # captures not forwarded: the backlog was over MAX_BACKLOG

    @property
    def pid(self) -> int | None:
        return self._helper.pid

    def start(self) -> None:
        """Start the helper (inside the running loop); if it cannot start, forward here."""
        self._loop = asyncio.get_running_loop()
        self._helper.start()

    async def ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the helper can take captures, so that the first captures meet its
        forwarder as they would meet one in this process; one that never gets there is
        given up on."""
        await self._helper.ready(timeout)

    # -- the server's hook: never blocks, never raises ---------------------------------------

    def submit(self, capture: Capture) -> None:
        if self._fallback is not None:
            self._fallback.submit(capture)
            return
        self._ids.append(capture.id)
        if not self._scheduled and self._loop is not None:
            # written on the next turn: after the capture's own line is printed
            self._scheduled = True
            self._loop.call_soon(self._send)

    def _send(self) -> None:
        self._scheduled = False
        ids, self._ids = self._ids, []
        if self._fallback is not None or not ids:
            return
        lines = []
        first = prev = ids[0]
        for cid in ids[1:]:
            if cid != prev + 1:
                lines.append(b"%d %d\n" % (first, prev))
                first = cid
            prev = cid
        lines.append(b"%d %d\n" % (first, prev))
        more = b"".join(lines)
        if self._helper.backlog + len(more) > MAX_BACKLOG:
            self.dropped += len(ids)
            if self.dropped == len(ids):  # the first time
                self._warn("the forwarding process is not keeping up: captures skipped")
            return
        self._helper.send(more)

    def _lost(self, loss: Loss) -> None:
        """Say so once, and forward in this process from now on."""
        if loss.started:
            then = "captures it had not forwarded yet are not forwarded; the listener "
            then += "forwards new ones itself"
        else:
            then = "the listener forwards captures itself"
        self._warn(f"the forwarding process {_what(loss)}: {then}")
        self._fallback = self._in_loop()

    async def close(self, grace: float) -> None:
        """Hand over what is left and stop the helper: it gets GRACE for pending
        forwards, plus a second to record what it could not send."""
        if self._scheduled:
            self._send()
        await self._helper.stop(grace + 1.0)
        if self._fallback is not None:
            await self._fallback.close(grace)


def _what(loss: Loss) -> str:
    """What happened to the helper, as the listener has always said it."""
    e = loss.error
    if loss.kind == "start":
        return f"could not start ({e})"
    if loss.kind == "unusable":
        return f"cannot be used here ({e})"
    if loss.kind == "slow":
        return "did not start in time"
    if loss.kind == "write":
        if isinstance(e, OSError) and e.errno == errno.EPIPE:
            return "ended"
        return f"could not be written to ({e})"
    return "ended at start" if loss.before_ready else f"ended (exit {loss.exit})"
