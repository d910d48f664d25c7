"""Send requests with aiohttp and describe what happened as Attempts.

`send` makes one request and never raises for network trouble: the Attempt says what went
wrong in words a user can act on. `deliver` adds retries with exponential backoff and full
jitter. Both are shared by `replay`, `listen --forward-to` and `fabricate`."""

from __future__ import annotations

import asyncio
import http.client
import random
import socket
import ssl
import time
import weakref
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from hookcli.delivery.direct import send_bytes
from hookcli.delivery.prepare import Outgoing, end_to_end, origin
from hookcli.model import headers as hdrs
from hookcli.model.capture import EXCERPT_BYTES, Attempt, now_iso

#: headers aiohttp would add on its own; a replay sends only the captured ones
_NO_AUTO = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


_EXACT_HEADERS: ContextVar[Sequence[tuple[str, str]] | None] = ContextVar(
    "hookcli_exact_headers", default=None
)


class _ExactHeadersRequest(aiohttp.ClientRequest):
    """A request that sends the headers it is given as they are: order, case and
    duplicates kept. ClientSession merges headers case-sensitively by name first, which
    loses `x-dup: a` when `X-Dup: b` follows; for such lists `send` hands them over in a
    context variable instead of through that merge."""

    def update_headers(self, headers: Any) -> None:
        exact = _EXACT_HEADERS.get()
        super().update_headers(None if exact is not None else headers)
        for key, value in exact or ():
            self.headers.add(key, value)


#: new_session's INSECURE, for the standard-library sender of non-UTF-8 headers
_INSECURE: weakref.WeakKeyDictionary[aiohttp.ClientSession, bool] = weakref.WeakKeyDictionary()


def _needs_exact(headers: Sequence[tuple[str, str]]) -> bool:
    """True when a name repeats with another case, which aiohttp's own path would merge."""
    seen: dict[str, str] = {}
    for k, _ in headers:
        first = seen.setdefault(k.lower(), k)
        if first != k:
            return True
    return False


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


def client_timeout(seconds: float | None) -> aiohttp.ClientTimeout:
    """SECONDS for the whole exchange; None or 0 waits forever (a debugger on a breakpoint)."""
    return aiohttp.ClientTimeout(total=seconds or None)


def new_session(
    concurrency: int = 100, insecure: bool = False, timeout: float | None = 30.0
) -> aiohttp.ClientSession:
    """A client session for deliveries: no cookies kept, no auto headers, TLS verified
    unless INSECURE."""
    connector = aiohttp.TCPConnector(limit=concurrency, ssl=not insecure)
    session = aiohttp.ClientSession(
        connector=connector,
        request_class=_ExactHeadersRequest,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=client_timeout(timeout),
        auto_decompress=False,
    )
    _INSECURE[session] = insecure
    return session


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    timeout: float | None = None,
    headers_encoding: str = hdrs.UTF8,
) -> Outcome:
    """One request. TIMEOUT overrides the session's (0: no limit). Headers whose bytes are
    not UTF-8 (HEADERS_ENCODING latin-1, as a capture records them) go out through a
    sender that writes them back byte for byte: aiohttp writes header text as UTF-8."""
    at = now_iso()
    start = time.perf_counter()
    limit = session.timeout.total if timeout is None else timeout
    wire = end_to_end(headers)
    try:
        if headers_encoding != hdrs.UTF8:
            insecure = _INSECURE.get(session, False)
            status, raw, data, length = await asyncio.to_thread(
                send_bytes,
                method,
                url,
                hdrs.encode(wire, headers_encoding),
                body,
                limit,
                insecure,
                EXCERPT_BYTES + 1,
            )
            return _answered(at, start, url, status, raw, data, length)
        exact = _needs_exact(wire)
        token = _EXACT_HEADERS.set(wire if exact else None)
        kwargs = {} if timeout is None else {"timeout": client_timeout(timeout)}
        try:
            async with session.request(
                method,
                url,
                headers=None if exact else wire,
                data=body if body else None,
                allow_redirects=False,
                skip_auto_headers=_NO_AUTO,
                **kwargs,  # type: ignore[arg-type]
            ) as resp:
                data = await _read_excerpt(resp)
                return _answered(
                    at, start, url, resp.status, resp.raw_headers, data, resp.content_length
                )
        finally:
            _EXACT_HEADERS.reset(token)
    except Exception as e:  # every failure becomes an Attempt with a sentence
        error, retryable = describe_error(e, url, limit)
    latency = (time.perf_counter() - start) * 1000
    return Outcome(Attempt(at, url, None, round(latency, 2), error, ""), retryable)


def _answered(
    at: str,
    start: float,
    url: str,
    status: int,
    raw_headers: Sequence[tuple[bytes, bytes]],
    data: bytes,
    content_length: int | None,
) -> Outcome:
    """The Attempt for an answer: DATA is at most EXCERPT_BYTES + 1 bytes of its body."""
    latency = (time.perf_counter() - start) * 1000
    # as on the wire; latin-1 (1:1 with the bytes) if any is not UTF-8
    resp_headers, _ = hdrs.decode_raw(raw_headers)
    size = len(data) if len(data) <= EXCERPT_BYTES else content_length
    error = None
    location = hdrs.get(resp_headers, "Location") if 300 <= status < 400 else None
    if location is not None:
        error = f"redirected to {location} (not followed)"
    attempt = Attempt(
        at,
        url,
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


async def _read_excerpt(resp: aiohttp.ClientResponse) -> bytes:
    """Up to EXCERPT_BYTES + 1 bytes of the body: enough to show and to know whether there
    was more. A huge body is never read whole; the connection is dropped instead."""
    buf = b""
    while len(buf) <= EXCERPT_BYTES:
        chunk = await resp.content.read(EXCERPT_BYTES + 1 - len(buf))
        if not chunk:
            break
        buf += chunk
    if len(buf) > EXCERPT_BYTES:
        resp.close()
    return buf


def describe_error(e: BaseException, url: str, timeout: float | None) -> tuple[str, bool]:
    """(a sentence naming what went wrong, whether trying again may help)."""
    where = origin(url)
    host = urlsplit(url).hostname or where
    if isinstance(e, asyncio.TimeoutError | TimeoutError):
        limit = f"{timeout:g} s" if timeout else "the time limit"
        return f"no answer from {where} within {limit} (--timeout)", True
    if isinstance(e, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate of {host} not trusted: {e.certificate_error} (--insecure)", False
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS certificate of {host} not trusted: {e.verify_message} (--insecure)", False
    if isinstance(e, aiohttp.ClientSSLError | ssl.SSLError):
        return f"TLS failure talking to {where}: {_reason(e)} (--insecure)", False
    if isinstance(e, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve host {host!r}", True
    if isinstance(e, aiohttp.ClientConnectorError):
        os_error = e.os_error
        if isinstance(os_error, ConnectionRefusedError):
            return f"connection refused to {where}", True
        return f"cannot connect to {where}: {os_error.strerror or os_error}", True
    if isinstance(e, socket.gaierror):
        return f"cannot resolve host {host!r}", True
    if isinstance(e, ConnectionRefusedError):
        return f"connection refused to {where}", True
    if isinstance(e, aiohttp.ServerDisconnectedError | http.client.RemoteDisconnected):
        return f"{where} closed the connection without answering", True
    if isinstance(e, aiohttp.InvalidURL):
        return f"invalid URL {url!r}", False
    if isinstance(e, aiohttp.ClientError | OSError | http.client.HTTPException):
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
    session: aiohttp.ClientSession,
    out: Outgoing,
    policy: RetryPolicy,
    on_attempt: Callable[[Attempt, float | None], None] | None = None,
    timeout: float | None = None,
) -> list[Attempt]:
    """Send OUT, retrying on connection errors, timeouts, 5xx and 429 as POLICY allows.
    ON_ATTEMPT(attempt, wait) is called after each try, with the wait before the next one
    (None when there is none)."""
    attempts: list[Attempt] = []
    for retry in range(policy.retries + 1):
        outcome = await send(
            session, out.method, out.url, out.headers, out.body, timeout, out.headers_encoding
        )
        attempt = outcome.attempt
        attempt.base = out.base
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
