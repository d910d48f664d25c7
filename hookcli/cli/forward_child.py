"""`listen`'s forwarding helper (see server/forward_proc.py): run as

    python -m hookcli.cli.forward_child CONFIG_JSON [READY_FD]

with CONFIG_JSON naming the store, the routes, the forward options and the output
(`{"store", "json", "default", "routes", "options", "grace"}`). Reads `first last` id
ranges on stdin, forwards those captures from the store, prints each attempt's line;
on end of stdin gives pending forwards GRACE seconds, records the rest, and exits. Once
it can take captures it writes a byte to READY_FD (inherited from the listener)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported at run time inside main(): the child starts lean
    from hookcli.cli.live_print import LinePrinter
    from hookcli.delivery.routes import Routes
    from hookcli.model.capture import Capture
    from hookcli.server.forward import ForwardOptions
    from hookcli.store import Store
    from hookcli.store.snapshot import Stored

#: the helper's CPU priority below the listener's (see `nice`)
NICE = 10
#: seconds between two reads of the store for captures to forward under a flood: when the
#: last read found at least FLOOD captures (at a person's pace each is read at once)
FETCH_EVERY = 0.01
FLOOD = 8


def config(
    store: Path,
    as_json: bool,
    routes: Routes,
    options: ForwardOptions,
    grace: float,
) -> str:
    """CONFIG_JSON for the helper (ROUTES: a Routes, OPTIONS: a ForwardOptions)."""
    from dataclasses import asdict

    return json.dumps(
        {
            "store": str(store),
            "json": as_json,
            "default": list(routes.default),
            "routes": [r.to_record() for r in routes.routes],
            "options": asdict(options),
            "grace": grace,
        }
    )


def main(argv: list[str]) -> int:
    from hookcli.cli.live_print import LinePrinter
    from hookcli.delivery.routes import Route, Routes
    from hookcli.server.forward import ForwardOptions
    from hookcli.store import Store

    cfg = json.loads(argv[1])
    with contextlib.suppress(OSError, AttributeError):
        # background work: when CPU is short, recording (the listener) comes first, and
        # forwards that cannot keep up are skipped (and recorded as such)
        os.nice(NICE)
    routes = Routes([Route(r["event"], tuple(r["to"])) for r in cfg["routes"]], cfg["default"])
    options = ForwardOptions(**cfg["options"])
    printer = LinePrinter(bool(cfg["json"]))
    store = Store(Path(cfg["store"]))
    try:
        ready_fd = int(argv[2]) if len(argv) > 2 else -1
        asyncio.run(_serve(store, routes, options, printer, float(cfg["grace"]), ready_fd))
    except Exception as e:  # one line, no traceback; the listener then forwards itself
        printer.warning(f"the forwarding process failed: {type(e).__name__}: {e}")
        return 1
    finally:
        store.close()
    return 0


async def _serve(
    store: Store,
    routes: Routes,
    options: ForwardOptions,
    printer: LinePrinter,
    grace: float,
    ready_fd: int,
) -> None:
    from hookcli.model.capture import Capture
    from hookcli.server.forward import Forwarder

    forwarder = Forwarder(routes, store, printer.forwarded, options, printer.warning)
    forwarder.start()
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()
    wanted: list[int] = []
    buf = b""
    scheduled: list[asyncio.TimerHandle] = []
    fetched_at = -FETCH_EVERY
    last_count = 0
    os.set_blocking(0, False)

    def capture_of(stored: Stored) -> Capture:
        return Capture.from_record(stored.record())

    def fetch() -> None:
        ids = set(wanted)
        wanted.clear()
        # a record is read only for a target that takes it (not for skips), from the
        # reading's own descriptor; the captures skipped share one timestamp (held)
        with store.reading() as reading, forwarder.held():
            stored = reading.stored_by_id(ids)
            for one in stored:
                s = one.summary
                load = functools.partial(capture_of, one)
                forwarder.offer(
                    s["id"], s.get("event_type"), s["path"], s.get("query", ""),
                    s.get("body_size", 0), load,
                )  # fmt: skip
        if len(stored) < len(ids):  # deleted (--keep, rm) before they could be read
            gone = len(ids) - len(stored)
            printer.warning(f"{gone} capture(s) deleted before they were forwarded")

    def readable() -> None:
        nonlocal buf
        try:
            data = os.read(0, 1 << 16)
        except BlockingIOError:
            return
        if not data:
            loop.remove_reader(0)
            ended.set()
        buf += data
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            first, _, last = line.partition(b" ")
            wanted.extend(range(int(first), int(last or first) + 1))
        if wanted and not scheduled:
            # at once; under a flood (the last read found many) at most one read per
            # FETCH_EVERY, each taking all that came meanwhile
            wait = fetched_at + FETCH_EVERY - loop.time() if last_count >= FLOOD else 0.0
            scheduled.append(loop.call_later(max(0.0, wait), run_fetch))

    def run_fetch() -> None:
        nonlocal fetched_at, last_count
        scheduled.clear()
        fetched_at = loop.time()
        last_count = len(wanted)
        try:
            fetch()
        except Exception as e:  # one line, no traceback: the listener goes on
            printer.warning(f"captures could not be read for forwarding: {e}")

    loop.add_reader(0, readable)
    if ready_fd >= 0:  # the listener waits for this before it says it is listening
        os.write(ready_fd, b"1")
        os.close(ready_fd)
    await ended.wait()
    if scheduled:
        scheduled[0].cancel()
        run_fetch()
    await forwarder.close(grace)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
