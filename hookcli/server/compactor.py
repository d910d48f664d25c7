"""The listener's compactions, run in a helper process.

Under `--keep N` a store compacts itself every N or so captures (many times a second
under load). Run in a thread of the listener, each compaction's Python work holds the
GIL against the event loop and ingest loses a fifth to a third of its throughput; in a
process of its own it runs beside the loop, on another core when there is one.

The helper is `python -m hookcli.server.compactor STORE`, started at the first
compaction and kept. It reads one `compact` line at a time on stdin and answers one
line on stdout: `done`, `busy` (another process is compacting the store) or `error
TEXT`; it ends when stdin closes (the listener stopped, or died). It runs in its own
session, so the terminal's Ctrl-C reaches only the listener, which stops it. A
compaction is safe to cut off at any point (store/compact.py), so a stop that finds one
running waits briefly, then kills it. If the helper cannot start or dies, the listener
says so once and compacts in a thread, as before."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from hookcli.server import helper

#: answers: (None when compacted, or skipped because another process compacts; else the
#: reason it failed)
Reply = Callable[[str | None], None]


class Compactor:
    """The listener's side: one helper process, one compaction at a time."""

    def __init__(self, root: Path, loop: asyncio.AbstractEventLoop, reply: Reply):
        self.root = root
        self._loop = loop
        self._reply = reply
        self._proc: subprocess.Popen[bytes] | None = None
        self._buf = b""
        self.waiting = False  # a compaction asked for and not yet answered
        self.dead: str | None = None  # why the helper is not there (then: use a thread)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def request(self) -> bool:
        """Ask for a compaction; False when the helper is not there (or just died)."""
        if self.dead is not None:
            return False
        try:
            if self._proc is None:
                self._start()
            assert self._proc is not None and self._proc.stdin is not None
            os.write(self._proc.stdin.fileno(), b"compact\n")
        except (OSError, ValueError, NotImplementedError) as e:
            self._died(f"the compaction process could not be used ({e})")
            return False
        self.waiting = True
        return True

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "hookcli.server.compactor", str(self.root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C is the listener's to handle
        )
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._readable, fd)

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._died("the compaction process ended")
            return
        self._buf += data
        while b"\n" in self._buf:
            line, _, self._buf = self._buf.partition(b"\n")
            self.waiting = False
            text = line.decode("utf-8", "replace")
            self._reply(text[len("error ") :] if text.startswith("error ") else None)

    def _died(self, why: str) -> None:
        """The helper is gone: stop reading it, and answer a pending request with WHY."""
        self.dead = why
        proc = self._proc
        if proc is not None and proc.stdout is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(proc.stdout.fileno())
        if self.waiting:
            self.waiting = False
            self._reply(why)

    async def close(self, grace: float) -> None:
        """End the helper: at once when idle, after up to GRACE seconds when compacting,
        then killed (its compaction is safe to cut off)."""
        proc = self._proc
        if proc is None:
            return
        if self.dead is None and proc.stdout is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(proc.stdout.fileno())
        self.dead = self.dead or "stopped"
        await helper.end(proc, grace if self.waiting else 0.2)
        if proc.stdout is not None:
            proc.stdout.close()


def main(argv: list[str]) -> int:
    """The helper: compact the store named by ARGV[1] on each `compact` line of stdin."""
    from hookcli.store import Store

    store = Store(Path(argv[1]))
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if line.strip() != b"compact":
            continue
        try:
            done = store.compact(wait=False, full_check=False)
            reply = b"done\n" if done is not None else b"busy\n"
        except Exception as e:  # said to the listener, which reports it
            reply = ("error " + " ".join(str(e).split()) + "\n").encode("utf-8")
        finally:
            # forget what was read: the next compaction starts from the index's last line
            # (O(1) under the store's lock) instead of reading every line appended since
            store.close()
        out.write(reply)
        out.flush()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
