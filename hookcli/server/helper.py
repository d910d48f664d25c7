"""What the listener's helper processes (compactor.py, forward_proc.py) share: ending one."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time


async def end(proc: subprocess.Popen[bytes], wait: float) -> None:
    """Close PROC's stdin (its cue to finish), give it WAIT seconds to exit, then kill it:
    what a helper does is safe to cut off (a compaction), or recorded before it exits
    (forwards not sent)."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    deadline = time.monotonic() + wait
    while proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
