"""Send requests (with the lean client of http1.py) and describe what happened as Attempts.

`send` makes one request and never raises for network trouble: the Attempt says what went
wrong in words a user can act on. `deliver` adds retries with exponential backoff and full
jitter. Both are shared by `replay`, `listen --forward-to` and `fabricate`. `fetch` is the
pytest harness's request over HTTP: the same client and the same words for what went
wrong, but the whole answer, and the words as a HookcliError."""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from hookcli.delivery.http1 import CannotConnect, Client
from hookcli.delivery.prepare import Outgoing, end_to_end, origin, public_url
from hookcli.delivery.request import BadRequest
from hookcli.delivery.response import Answer, BadAnswer, Disconnected
from hookcli.errors import HookcliError
from hookcli.model import headers as hdrs
from hookcli.model.capture import EXCERPT_BYTES, Attempt, now_iso


@dataclass
class Outcome:
    attempt: Attempt
    retryable: bool = False
    retry_after: float | None = None  # seconds asked for by a 429/503 Retry-After


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter: before retry n (1, 2, ...) wait a random time
    in [0, min(cap, base * 2**(n-1))], or what the target's Retry-After asks (bounded)."""

    retries: int = 0
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** (retry - 1)))


def new_session(insecure: bool = False, timeout: float | None = 30.0) -> Client:
    """A client for deliveries: connections kept alive, TLS verified unless INSECURE, each
    exchange limited to TIMEOUT seconds (None or 0: no limit)."""
    return Client(insecure, timeout)


async def send(
    session: Client,
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    timeout: float | None = None,
    headers_encoding: str = hdrs.UTF8,
) -> Outcome:
    """One request. TIMEOUT overrides the session's (0: no limit). The header text goes out
    as the bytes it was received as (HEADERS_ENCODING: the capture's `headers_encoding`),
    hop-by-hop and transport headers left out and recomputed."""
    at = now_iso()
    start = time.perf_counter()
    try:
        wire = hdrs.encode(end_to_end(headers), headers_encoding)
        answer = await session.request(method, url, wire, body, timeout, EXCERPT_BYTES + 1)
        return _answered(at, start, url, answer)
    except Exception as e:  # every failure becomes an Attempt with a sentence
        limit = session.timeout if timeout is None else timeout
        error, retryable = describe_error(e, url, limit)
    latency = (time.perf_counter() - start) * 1000
    return Outcome(Attempt(at, public_url(url), None, round(latency, 2), error, ""), retryable)


async def fetch(out: Outgoing, timeout: float | None = 30.0) -> Answer:
    """OUT over a connection of its own; the whole answer. HookcliError, in replay's
    words, when there is none."""
    wire = hdrs.encode(end_to_end(out.headers), out.headers_encoding)
    async with Client(timeout=timeout) as session:
        try:
            return await session.request(out.method, out.url, wire, out.body)
        except Exception as e:
            raise HookcliError(describe_error(e, out.url, timeout)[0]) from None


def _answered(at: str, start: float, url: str, answer: Answer) -> Outcome:
    """The Attempt for an answer: its excerpt is at most EXCERPT_BYTES + 1 bytes of the body."""
    latency = (time.perf_counter() - start) * 1000
    status, data = answer.status, answer.body
    # as on the wire; latin-1 (1:1 with the bytes) if any is not UTF-8
    resp_headers, _ = hdrs.decode_raw(answer.headers)
    size = len(data) if len(data) <= EXCERPT_BYTES else answer.content_length
    error = None
    if 300 <= status < 400:
        location = hdrs.get(resp_headers, "Location")
        if location is not None:
            error = f"redirected to {location} (not followed)"
    attempt = Attempt(
        at,
        public_url(url),
        status,
        round(latency, 2),
        error,
        data[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
        response_headers=resp_headers,
        response_size=size,
    )
    retryable = status >= 500 or status == 429
    wait = _retry_after(hdrs.get(resp_headers, "Retry-After")) if retryable else None
    return Outcome(attempt, retryable, wait)


def describe_error(e: BaseException, url: str, timeout: float | None) -> tuple[str, bool]:
    """(a sentence naming what went wrong, whether trying again may help)."""
    where = origin(url)
    host = urlsplit(url).hostname or where
    if isinstance(e, asyncio.TimeoutError | TimeoutError):
        limit = f"{timeout:g} s" if timeout else "the time limit"
        return f"no answer from {where} within {limit} (--timeout)", True
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS certificate of {host} not trusted: {e.verify_message} (--insecure)", False
    if isinstance(e, ssl.SSLError):
        return f"TLS failure talking to {where}: {_reason(e)} (--insecure)", False
    if isinstance(e, socket.gaierror):
        return f"cannot resolve host {host!r}", True
    if isinstance(e, ConnectionRefusedError):
        return f"connection refused to {where}", True
    if isinstance(e, CannotConnect):
        return f"cannot connect to {where}: {e.reason}", True
    if isinstance(e, Disconnected):
        if e.started:
            return f"{where} closed the connection in the middle of its answer", True
        return f"{where} closed the connection without answering", True
    if isinstance(e, BadRequest):
        return f"cannot send to {where}: {e}", False
    if isinstance(e, BadAnswer):
        return f"unreadable answer from {where}: {e}", True
    if isinstance(e, OSError):
        return f"{type(e).__name__} talking to {where}: {e}", True
    raise e


def _reason(e: BaseException) -> str:
    return str(getattr(e, "reason", None) or getattr(e, "strerror", None) or e)


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


async def deliver(
    session: Client,
    out: Outgoing,
    policy: RetryPolicy,
    on_attempt: Callable[[Attempt, float | None], None] | None = None,
    timeout: float | None = None,
    on_send: Callable[[], None] | None = None,
) -> list[Attempt]:
    """Send OUT, retrying on connection errors, timeouts, 5xx and 429 as POLICY allows.
    ON_ATTEMPT(attempt, wait) is called after each try, with the wait before the next one
    (None when there is none); ON_SEND() just before each try goes on the wire."""
    attempts: list[Attempt] = []
    for retry in range(policy.retries + 1):
        if on_send is not None:
            on_send()
        outcome = await send(
            session, out.method, out.url, out.headers, out.body, timeout, out.headers_encoding
        )
        attempt = outcome.attempt
        attempt.base = public_url(out.base)
        attempt.retry = retry
        attempts.append(attempt)
        wait = None
        if outcome.retryable and retry < policy.retries:
            wait = policy.delay(retry + 1, outcome.retry_after)
        if on_attempt is not None:
            on_attempt(attempt, wait)
        if wait is None:
            break
        await asyncio.sleep(wait)
    return attempts
