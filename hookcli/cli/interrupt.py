"""Run a command's event loop until it ends or Ctrl-C stops it, however the signal lands.

`asyncio.run` stops its task on SIGINT from a plain Python signal handler, and Python runs
such a handler only when the main thread next executes Python code. A loop with nothing
scheduled (`replay --timeout 0` against a target that never answers) sleeps in
`epoll_wait` with no time limit: a SIGINT taken just before that call (between Python's
last signal check and the system call), or by another thread, is noted and never acted on,
and the process waits forever. Here the loop's own signal handling wakes it:
`loop.add_signal_handler` has the C-level handler write to the loop's wakeup descriptor.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_stoppable(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(CORO); Ctrl-C cancels CORO (so it can record what it was doing) and
    then raises KeyboardInterrupt, as asyncio.run does; a second Ctrl-C raises at once."""
    stopped = False

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigint() -> None:
            nonlocal stopped
            if stopped:
                raise KeyboardInterrupt
            stopped = True
            task.cancel()

        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            return await coro
        try:
            return await coro
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if stopped:
            raise KeyboardInterrupt from None
        raise
