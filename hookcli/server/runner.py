"""Run the catch server until Ctrl-C or SIGTERM, then stop cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

from hookcli.server.app import CatchServer


async def serve_until_signal(
    server: CatchServer,
    on_started: Callable[[str], None],
    extra_start: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Start SERVER, announce its URL, wait for SIGINT/SIGTERM, stop it (pending writes
    flushed before the loop ends)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
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
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
