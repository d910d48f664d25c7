"""One way to run part of the listener's work in a helper process.

Forwarding (forward.py) and compaction (compact.py) each run in a helper process, so
that their Python work does not hold the GIL against the catch server's event loop.
Both go through this module; each helper's child half sits next to its parent half
(forward_child.py, compact_child.py).

- **Start**: `python -m MODULE ARGS... REPLY_FD`, in its own session (the terminal's
  Ctrl-C reaches only the listener, which stops the helper itself), stdin a pipe from
  the listener, REPLY_FD a pipe back to it (inherited), stdout and stderr the
  listener's (or /dev/null for a helper with nothing to print: `quiet`).
- **Protocol**: requests are lines on the helper's stdin, replies are lines on REPLY_FD,
  both UTF-8 without a newline inside a message; the first reply is `ready`, once the
  helper can take requests (`Helper.ready` waits for it). The listener never blocks on a
  write: what the pipe cannot take now waits in `backlog` and goes when it can.
- **Death**: the helper holds REPLY_FD until it exits, so its end of file says the helper
  is gone, on every system (pidfd would say the same on Linux only; one way serves all).
- **Stop**: what is queued goes (briefly), stdin is closed (the helper's cue to finish),
  the helper gets a grace to exit, then it is killed.
- **Fallback**: when a helper cannot start, cannot be used, or dies, its user hears it
  once (`on_lost`, with a `Loss`), says so once, and from then on does the work in the
  listener: forwarding in the listener's event loop (`in_loop`), compaction in a thread
  (`in_thread`). Each user words its own losses: the messages are its own.

Why pipes of our own and not `multiprocessing`: forwarding sends id ranges (a dozen
bytes) many times a second, from the event loop, which must never wait for the helper.
`multiprocessing.connection.Connection.send_bytes` blocks when the pipe is full (no
non-blocking send to pair with `loop.add_writer`), and `recv_bytes` blocks until a whole
message is in; `concurrent.futures.ProcessPoolExecutor` pickles a work item per call and
hands it over through a feeder thread and a result thread in the listener (two more
threads taking the GIL per batch, the cost the helpers exist to avoid), starts its workers
with fork (unsafe in a process with threads) or spawn (a fresh interpreter importing the
listener's main module), puts them in the listener's process group (Ctrl-C reaches them),
and runs function calls, where the forwarding helper is a long-lived event loop of its own
with keep-alive connections. Measured on this machine: docs/performance.md, "Helper
processes"."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

#: the first reply of every helper: it can take requests
READY = b"ready"
#: seconds `stop` lets a full pipe drain into the helper before closing it
FLUSH_WAIT = 0.2

#: what went wrong: could not `start`; started but `unusable` here (the event loop
#: cannot watch its pipes); a `write` to it failed; it `ended`; `slow`: not ready in time
LossKind = Literal["start", "unusable", "write", "ended", "slow"]


@dataclass(frozen=True)
class Loss:
    """Why a helper is gone, for its user to say (once) before doing the work itself."""

    kind: LossKind
    error: OSError | ValueError | NotImplementedError | None = None  # start, unusable, write
    exit: int | None = None  # ended: its exit status (negative: the signal that killed it)
    before_ready: bool = False  # ended before it said it was ready

    @property
    def started(self) -> bool:
        """Whether the helper ran, so may have taken requests it will now not carry out."""
        return self.kind not in ("start", "unusable")


class Helper:
    """The listener's side of one helper process (run inside the listener's event loop):
    starts it, sends it request lines, hands its reply lines to ON_REPLY, notices when it
    is gone (ON_LOST, called at most once), and stops it."""

    def __init__(
        self,
        module: str,
        args: Sequence[str],
        on_lost: Callable[[Loss], None],
        on_reply: Callable[[str], None] | None = None,
        quiet: bool = False,
    ):
        # -P: `python -m` would put the working directory first on the path, so a
        # `hookcli` directory there (a clone of another version, or anything named so)
        # would be what the helper runs; -P leaves the path as the listener's own
        self.argv = [sys.executable, "-P", "-m", module, *args]
        self._on_lost = on_lost
        self._on_reply = on_reply
        self._quiet = quiet
        self._proc: subprocess.Popen[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd = -1  # the helper's stdin
        self._reply_fd = -1
        self._reading = False
        self._writing = False
        self._out = bytearray()  # request lines the pipe could not take yet
        self._in = b""  # the start of a reply line not ended yet
        self._ready: asyncio.Future[bool] | None = None
        self._stopping = False
        self.lost: Loss | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def backlog(self) -> int:
        """Bytes of requests waiting for room in the helper's stdin."""
        return len(self._out)

    def start(self) -> bool:
        """Start the helper; False (and ON_LOST told) when it cannot be."""
        loop = self._loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        reply_r, reply_w = os.pipe()
        quiet = subprocess.DEVNULL if self._quiet else None
        try:
            self._proc = subprocess.Popen(
                [*self.argv, str(reply_w)],
                stdin=subprocess.PIPE,
                stdout=quiet,
                stderr=quiet,
                start_new_session=True,  # Ctrl-C is the listener's to handle
                close_fds=True,
                pass_fds=(reply_w,),
            )
        except (OSError, ValueError) as e:  # ValueError: no pass_fds on this system
            os.close(reply_r)
            self._lose(Loss("start", e))
            return False
        finally:
            os.close(reply_w)
        assert self._proc.stdin is not None
        self._fd = self._proc.stdin.fileno()
        self._reply_fd = reply_r
        try:
            os.set_blocking(self._fd, False)
            os.set_blocking(reply_r, False)
            loop.add_reader(reply_r, self._readable)
        except (OSError, NotImplementedError) as e:  # an event loop that cannot watch it
            self._proc.kill()
            self._proc.wait()
            self._proc.stdin.close()
            self._proc = None
            os.close(reply_r)
            self._reply_fd = -1
            self._lose(Loss("unusable", e))
            return False
        self._reading = True
        return True

    async def ready(self, timeout: float) -> None:
        """Wait until the helper said it is ready; one that does not within TIMEOUT
        seconds is killed and lost (`slow`)."""
        if self._ready is None or self.lost is not None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except TimeoutError:
            if self._proc is not None:
                self._proc.kill()
            self._lose(Loss("slow"))

    # -- requests (never block, never raise) ---------------------------------------------------

    def send(self, lines: bytes) -> None:
        """Queue LINES (whole request lines) for the helper and write what its pipe takes."""
        if self.lost is not None or self._proc is None or self._stopping:
            return
        self._out += lines
        self._flush()

    def _flush(self) -> None:
        while self._out:
            try:
                n = os.write(self._fd, self._out)
            except BlockingIOError:
                break
            except OSError as e:
                self._lose(Loss("write", e))
                return
            del self._out[:n]
        assert self._loop is not None
        if self._out and not self._writing:
            self._writing = True
            self._loop.add_writer(self._fd, self._flush)
        elif not self._out and self._writing:
            self._writing = False
            self._loop.remove_writer(self._fd)

    # -- replies -------------------------------------------------------------------------------

    def _readable(self) -> None:
        try:
            data = os.read(self._reply_fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._ended()
            return
        *lines, self._in = (self._in + data).split(b"\n")
        for line in lines:
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(line == READY)
            elif self._on_reply is not None and self.lost is None:
                self._on_reply(line.decode("utf-8", "replace"))

    def _ended(self) -> None:
        """End of file on the reply pipe: the helper exited (or is exiting)."""
        proc = self._proc
        status = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = proc.wait(1.0)  # its files are closed: it is being reaped
        before_ready = self._ready is None or not self._ready.done()
        self._lose(Loss("ended", exit=status, before_ready=before_ready))

    # -- losing and stopping -------------------------------------------------------------------

    def _lose(self, loss: Loss) -> None:
        """The helper is gone: stop watching it and tell the user, once."""
        if self.lost is not None or self._stopping:
            return
        self.lost = loss
        self._unwatch()
        self._out.clear()
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(False)
        self._on_lost(loss)

    def _unwatch(self) -> None:
        loop = self._loop
        if loop is None:
            return
        if self._reading:
            self._reading = False
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self._reply_fd)
        if self._writing:
            self._writing = False
            with contextlib.suppress(ValueError, OSError):
                loop.remove_writer(self._fd)

    async def stop(self, grace: float) -> None:
        """Write what is queued (for up to FLUSH_WAIT), close the helper's stdin (its cue
        to finish), give it GRACE seconds to exit, then kill it: what a helper does is
        safe to cut off (a compaction) or recorded before it exits (forwards not sent)."""
        proc = self._proc
        if proc is None or self._stopping:
            return
        deadline = time.monotonic() + FLUSH_WAIT
        while self._out and self.lost is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # a full pipe: the helper reads it meanwhile
            self._flush()
        self._stopping = True
        self._unwatch()
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        deadline = time.monotonic() + grace
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if self._reply_fd >= 0:
            os.close(self._reply_fd)
            self._reply_fd = -1


class ChildEnd:
    """The helper's side of the protocol: request lines on stdin, reply lines on the
    reply pipe (whose descriptor is the last argument), the first reply `ready`. The
    reply pipe stays open until the helper exits: that is how the listener sees it go."""

    def __init__(self, reply_fd: int):
        self._fd = reply_fd

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> tuple[ChildEnd, list[str]]:
        """The end named by ARGV's last argument, and the arguments before it."""
        return cls(int(argv[-1])), list(argv[:-1])

    def ready(self) -> None:
        self.reply(READY.decode())

    def reply(self, text: str) -> None:
        """Send one reply line (TEXT has no newline)."""
        data = text.encode("utf-8") + b"\n"
        while data:
            data = data[os.write(self._fd, data) :]

    @staticmethod
    def requests() -> Iterator[bytes]:
        """The request lines, one at a time, until stdin closes (blocking)."""
        for line in sys.stdin.buffer:
            yield line.rstrip(b"\n")

    @staticmethod
    def watch(
        loop: asyncio.AbstractEventLoop,
        on_lines: Callable[[list[bytes]], None],
        on_end: Callable[[], None],
    ) -> None:
        """Hand the request lines to ON_LINES as they come, in LOOP, without blocking it;
        ON_END once stdin closes."""
        os.set_blocking(0, False)
        buf = b""

        def readable() -> None:
            nonlocal buf
            try:
                data = os.read(0, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                loop.remove_reader(0)
            *lines, buf = (buf + data).split(b"\n")
            if lines:
                on_lines(lines)
            if not data:
                on_end()

        loop.add_reader(0, readable)
