"""Run the catch server until Ctrl-C or SIGTERM, then stop cleanly (and quickly)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from hookcli.server.app import CatchServer

_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: something that runs beside the server (a tunnel), given the server's URL
Alongside = Callable[[str], AbstractAsyncContextManager[object]]


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
    alongside: Alongside | None = None,
) -> None:
    """Start SERVER, announce its URL, wait for SIGINT/SIGTERM, stop it (pending writes
    flushed before the loop ends; see CatchServer.stop for how long that may take). A
    second signal while stopping exits at once: every answered capture is already in
    the store, so only requests still in flight are lost, and they were never answered.
    EXTRA_START(url) runs once the server is up, before it is announced. ALONGSIDE(url)
    is entered after it, and exited first when the server stops; a signal while it is
    being entered stops at once."""
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
            async with contextlib.AsyncExitStack() as extras:
                if alongside is None or await _enter_unless(stop, extras, alongside(url)):
                    on_started(url)
                    await stop.wait()
        finally:
            await server.stop()
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)


async def _enter_unless(
    stop: asyncio.Event,
    extras: contextlib.AsyncExitStack,
    cm: AbstractAsyncContextManager[object],
) -> bool:
    """Enter CM into EXTRAS unless STOP is set first (then cancel the entering, and
    ignore how it ended: the user asked to stop). True when entered."""
    entering = asyncio.ensure_future(extras.enter_async_context(cm))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({entering, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if stop.is_set():
        entering.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await entering
        return False
    entering.result()
    return True
