"""Live forwarding in a helper process, so that forwarding costs the catch server next to
nothing.

Each forward (an HTTP exchange with the target, its attempt written to the store, its
line printed) costs about as much CPU as recording a capture. Done in the listener's
event loop, a flood of captures forwarded to a fast target cost ingest half its
throughput. Here the listener only tells a helper process which captures to forward:
their ids, as ranges (`first last` lines on the helper's stdin), written once per loop
turn. The helper reads the captures from the store (they are there before the hook
runs), forwards them with the same `Forwarder` (same bounded queues, skips, retries and
records), and prints the forward lines on the listener's stdout, one whole line per
write.

The helper runs in its own session: the terminal's Ctrl-C reaches only the listener,
which then closes the helper's stdin; the helper gives pending forwards their grace,
records what is left as not sent, and exits. If the helper cannot start or dies, the
listener says so once and forwards in its own loop from then on."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from hookcli.model.capture import Capture
from hookcli.server import helper

#: bytes of id ranges kept for the helper while its pipe is full; beyond, ranges are
#: dropped and the listener says how many captures were not forwarded
MAX_BACKLOG = 1 << 20
#: seconds the listener waits at start for the helper to be ready
READY_TIMEOUT = 10.0


class Submitter(Protocol):
    def submit(self, capture: Capture) -> None: ...

    async def close(self, grace: float) -> None: ...


class ForwardProcess:
    """The listener's side: hands capture ids to the helper started with ARGV."""

    def __init__(
        self,
        argv: Sequence[str],
        in_process: Callable[[], Submitter],
        warn: Callable[[str], None],
    ):
        self.argv = list(argv)
        self._in_process = in_process  # the fallback, made when first needed
        self._warn = warn
        self._proc: subprocess.Popen[bytes] | None = None
        self._fd = -1
        self._fallback: Submitter | None = None
        self._ids: list[int] = []
        self._out = b""  # range lines not yet written (the pipe was full)
        self._scheduled = False
        self._writer = False
        self._pidfd = -1
        self._ready_fd = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0  # captures not forwarded: the backlog was over MAX_BACKLOG

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the helper (inside the running loop); on failure, forward in-process."""
        self._loop = asyncio.get_running_loop()
        ready_r, ready_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [*self.argv, str(ready_w)],
                stdin=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
                pass_fds=(ready_w,),
            )
        except (OSError, ValueError) as e:  # ValueError: no pass_fds on this system
            os.close(ready_r)
            self._give_up(f"the forwarding process could not start ({e})")
            return
        finally:
            os.close(ready_w)
        assert self._proc.stdin is not None
        self._fd = self._proc.stdin.fileno()
        try:
            os.set_blocking(self._fd, False)
            self._loop.add_reader(ready_r, lambda: None)  # an event loop that can watch it?
            self._loop.remove_reader(ready_r)
        except (OSError, NotImplementedError) as e:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
            os.close(ready_r)
            self._give_up(f"the forwarding process cannot be used here ({e})")
            return
        self._ready_fd = ready_r
        with contextlib.suppress(AttributeError, OSError):  # pidfd: Linux 5.3 and later
            self._pidfd = os.pidfd_open(self._proc.pid)
            self._loop.add_reader(self._pidfd, self._exited)

    async def ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the helper can take captures (it writes a byte on a pipe once it
        can), so that the first captures meet its forwarder as they would meet one in
        this process; a helper that never gets there is given up on."""
        fd, self._ready_fd = self._ready_fd, -1
        if fd < 0 or self._loop is None:
            return
        done: asyncio.Future[bytes] = self._loop.create_future()

        def readable() -> None:
            if not done.done():
                done.set_result(os.read(fd, 1))

        self._loop.add_reader(fd, readable)
        try:
            got = await asyncio.wait_for(done, timeout)
        except TimeoutError:
            got = None
        finally:
            self._loop.remove_reader(fd)
            os.close(fd)
        if not got and self._fallback is None:
            why = "did not start in time" if got is None else "ended at start"
            if self._proc is not None and got is None:
                self._proc.kill()
            self._give_up(f"the forwarding process {why}")

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
        if self._fallback is not None or self._proc is None:
            return
        if ids:
            lines = []
            first = prev = ids[0]
            for cid in ids[1:]:
                if cid != prev + 1:
                    lines.append(b"%d %d\n" % (first, prev))
                    first = cid
                prev = cid
            lines.append(b"%d %d\n" % (first, prev))
            more = b"".join(lines)
            if len(self._out) + len(more) > MAX_BACKLOG:
                self.dropped += len(ids)
                if self.dropped == len(ids):  # the first time
                    self._warn("the forwarding process is not keeping up: captures skipped")
            else:
                self._out += more
        self._flush()

    def _flush(self) -> None:
        while self._out:
            try:
                n = os.write(self._fd, self._out)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.EPIPE or isinstance(e, BrokenPipeError):
                    self._give_up("the forwarding process ended")
                    return
                raise
            self._out = self._out[n:]
        assert self._loop is not None
        if self._out and not self._writer:
            self._writer = True
            self._loop.add_writer(self._fd, self._writable)
        elif not self._out and self._writer:
            self._writer = False
            self._loop.remove_writer(self._fd)

    def _writable(self) -> None:
        try:
            self._flush()
        except OSError as e:
            self._give_up(f"the forwarding process could not be written to ({e})")

    def _exited(self) -> None:
        if self._fallback is None and self._proc is not None:
            self._give_up(f"the forwarding process ended (exit {self._proc.wait()})")

    def _give_up(self, why: str) -> None:
        """Forward in this process from now on."""
        self._drop_watchers()
        if self._proc is None:
            self._warn(f"{why}: the listener forwards captures itself")
        else:
            self._warn(
                f"{why}: captures it had not forwarded yet are not forwarded; the listener "
                "forwards new ones itself"
            )
        self._fallback = self._in_process()

    def _drop_watchers(self) -> None:
        loop = self._loop
        if loop is None:
            return
        if self._pidfd >= 0:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        if self._writer:
            self._writer = False
            with contextlib.suppress(ValueError, OSError):
                loop.remove_writer(self._fd)

    async def close(self, grace: float) -> None:
        """Hand over what is left, close the helper's stdin, and wait for it to record
        what it could not send (GRACE for pending forwards, plus a second to finish);
        then stop it."""
        if self._scheduled:
            self._send()
        proc = self._proc
        if proc is not None and self._fallback is None:
            deadline = time.monotonic() + 0.2
            while self._out and time.monotonic() < deadline:  # a full pipe: briefly
                await asyncio.sleep(0.01)
                with contextlib.suppress(OSError):
                    self._flush()
        self._drop_watchers()
        if proc is not None:
            await helper.end(proc, grace + 1.0)
        if self._fallback is not None:
            await self._fallback.close(grace)
