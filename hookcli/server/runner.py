"""Run the catch server until Ctrl-C or SIGTERM, then stop cleanly (and quickly)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from hookcli.server.app import CatchServer

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard one: each connection is a descriptor,
    and the soft default (often 1024) is low for a server. Returns the soft limit now."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft >= hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):  # some systems cap it below the hard limit
        return soft
    return hard


async def serve_until_signal(
    server: CatchServer,
    on_started: Callable[[str], None],
    extra_start: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Start SERVER, announce its URL, wait for SIGINT/SIGTERM, stop it (pending writes
    flushed before the loop ends; see CatchServer.stop for how long that may take). A
    second signal while stopping exits at once: every answered capture is already in
    the store, so only requests still in flight are lost, and they were never answered."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    raise_fd_limit()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):  # a closed pipe: say nothing
                    stream.flush()
            os._exit(128 + signum)
        stop.set()

    for sig in _SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        url = await server.start()
        try:
            if extra_start is not None:
                await extra_start(url)
            on_started(url)
            await stop.wait()
        finally:
            await server.stop()
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
