"""The forwarding helper's child half (its parent half: forward.py), run as

    python -m hookcli.server.helpers.forward_child SETUP_JSON REPLY_FD

with SETUP_JSON a `ForwardSetup` (the store, the routes, the forward options, the
output, the grace) and REPLY_FD the helper protocol's reply pipe (process.py). Reads
`first last` id ranges, one a line, on stdin, forwards those captures from the store,
prints each attempt's line; on end of stdin gives pending forwards GRACE seconds,
records the rest, and exits. It replies `ready` once it can take captures, and nothing
else."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hookcli.server.helpers.process import ChildEnd

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


@dataclass(frozen=True)
class ForwardSetup:
    """What the forwarding helper is started with (its first argument, as JSON)."""

    store: Path
    as_json: bool  # print JSON lines (`listen --json`)
    routes: Routes
    options: ForwardOptions
    grace: float  # seconds pending forwards get once stdin closes

    def encode(self) -> str:
        return json.dumps(
            {
                "store": str(self.store),
                "json": self.as_json,
                "default": list(self.routes.default),
                "routes": [r.to_record() for r in self.routes.routes],
                "options": asdict(self.options),
                "grace": self.grace,
            }
        )

    @classmethod
    def decode(cls, text: str) -> ForwardSetup:
        from hookcli.delivery.routes import Route, Routes
        from hookcli.server.forward import ForwardOptions

        cfg = json.loads(text)
        routes = [Route(r["event"], tuple(r["to"])) for r in cfg["routes"]]
        return cls(
            store=Path(cfg["store"]),
            as_json=bool(cfg["json"]),
            routes=Routes(routes, cfg["default"]),
            options=ForwardOptions(**cfg["options"]),
            grace=float(cfg["grace"]),
        )


def main(argv: list[str]) -> int:
    from hookcli.cli.live_print import LinePrinter
    from hookcli.store import Store

    end, args = ChildEnd.from_argv(argv)
    setup = ForwardSetup.decode(args[1])
    with contextlib.suppress(OSError, AttributeError):
        # background work: when CPU is short, recording (the listener) comes first, and
        # forwards that cannot keep up are skipped (and recorded as such)
        os.nice(NICE)
    printer = LinePrinter(setup.as_json)
    store = Store(setup.store)
    try:
        asyncio.run(_serve(store, setup, printer, end))
    except Exception as e:  # one line, no traceback; the listener then forwards itself
        printer.warning(f"the forwarding process failed: {type(e).__name__}: {e}")
        return 1
    finally:
        store.close()
    return 0


async def _serve(store: Store, setup: ForwardSetup, printer: LinePrinter, end: ChildEnd) -> None:
    from hookcli.model.capture import Capture
    from hookcli.server.forward import Forwarder

    forwarder = Forwarder(setup.routes, store, printer.forwarded, setup.options, printer.warning)
    forwarder.start()
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()
    wanted: list[int] = []
    scheduled: list[asyncio.TimerHandle] = []
    fetched_at = -FETCH_EVERY
    last_count = 0

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

    def ranges(lines: list[bytes]) -> None:
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

    end.watch(loop, ranges, ended.set)
    end.ready()  # the listener waits for this before it says it is listening
    await ended.wait()
    if scheduled:
        scheduled[0].cancel()
        run_fetch()
    await forwarder.close(setup.grace)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
