"""Send one request with aiohttp and describe what happened as an Attempt."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from hookcli.delivery.prepare import end_to_end
from hookcli.model.capture import Attempt, now_iso

EXCERPT = 500


@dataclass
class Outcome:
    attempt: Attempt
    body: bytes = b""
    headers: list[tuple[str, str]] | None = None


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    timeout: float,
) -> Outcome:
    """One request; never raises for network trouble: the Attempt says what went wrong."""
    at = now_iso()
    start = time.perf_counter()
    try:
        async with session.request(
            method,
            url,
            headers=list(end_to_end(headers)),
            data=body if body else None,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
        ) as resp:
            data = await resp.read()
            latency = (time.perf_counter() - start) * 1000
            return Outcome(
                Attempt(
                    at,
                    url,
                    resp.status,
                    round(latency, 2),
                    None,
                    data[:EXCERPT].decode("utf-8", errors="replace"),
                ),
                data,
                [(k, v) for k, v in resp.headers.items()],
            )
    except TimeoutError:
        error = f"timed out after {timeout:g} s"
    except aiohttp.ClientConnectorError as e:
        error = f"cannot connect: {e.os_error.strerror or e}"
    except aiohttp.ClientError as e:
        error = f"{type(e).__name__}: {e}"
    latency = (time.perf_counter() - start) * 1000
    return Outcome(Attempt(at, url, None, round(latency, 2), error, ""))
