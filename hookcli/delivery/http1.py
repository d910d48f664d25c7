"""A lean keep-alive HTTP/1.1 client: the one sender of `replay`, `listen --forward-to` and
`fabricate`.

Why not aiohttp's ClientSession: a forward shares the catch server's event loop and core,
and aiohttp's client spends 130 to 200 µs of CPU per request (request and response
objects, multidicts, URL objects, stream readers), more than recording a capture. A
delivery needs much less: the request's bytes are known in full (headers as they were
received, byte for byte, in their order, with their case and duplicates; the body), and
of the answer only the status, the headers and the first EXCERPT_BYTES of the body are
kept. So this writes the request in one go and parses only the status line, the headers
and the body's framing (Content-Length, chunked, or until close).

What it does and does not do:
- keeps connections alive per (scheme, host, port) and reuses them; one that sat idle
  longer than IDLE_REUSE seconds is closed instead, before the target's own idle timeout
  (5 s for Node) can race with a new request;
- TLS verified against the system's CAs, or not at all when `insecure`;
- the whole exchange (resolve, connect, TLS, send, answer) under one time limit;
- never follows redirects, sends no header of its own but Host, Content-Length and, for a
  URL with user:password@, Authorization; no cookies, no proxies, no decompression;
- a body longer than EXCERPT_BYTES is not read to its end: the connection is dropped;
- no pipelining: one request at a time per connection.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Sequence
from urllib.parse import quote, unquote, urlsplit

from hookcli.delivery.prepare import public_url
from hookcli.model.capture import EXCERPT_BYTES

#: seconds a kept-alive connection may sit unused and still be reused
IDLE_REUSE = 4.0
#: seconds between checks for exchanges past their time limit (how late a timeout may fire)
SWEEP = 0.05
#: seconds a resolved host name is remembered
DNS_TTL = 10.0
#: bytes of status line and headers an answer may have
MAX_HEAD = 64 * 1024

_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
#: methods sent again on a fresh connection when a reused one closed without answering
#: (the target may have closed it as idle just as the request went out)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})

Key = tuple[str, str, int]  # scheme, host, port
RawHeaders = list[tuple[bytes, bytes]]


class Disconnected(ConnectionError):
    """The target closed the connection before its answer was complete."""

    def __init__(self, started: bool):
        super().__init__("answer cut short" if started else "no answer")
        self.started = started  # some of the answer had arrived


class CannotConnect(ConnectionError):
    """No connection could be made to any address of the target (other than refused,
    which stays a ConnectionRefusedError). REASON: the operating system's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadAnswer(ConnectionError):
    """What came back is not an HTTP/1.x answer this client can read."""


class BadRequest(ValueError):
    """The request cannot be written as HTTP/1.1 (a line break in a header, say)."""


class Answer:
    """What a delivery keeps of an answer. EXCERPT: at most EXCERPT_BYTES + 1 bytes of the
    body (one more than kept tells there was more); CONTENT_LENGTH as the target said."""

    __slots__ = ("content_length", "excerpt", "headers", "status")

    def __init__(
        self, status: int, headers: RawHeaders, excerpt: bytes, content_length: int | None
    ):
        self.status = status
        self.headers = headers
        self.excerpt = excerpt
        self.content_length = content_length


# -- one connection ------------------------------------------------------------------------

_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection and the parser of the answer to its current request."""

    def __init__(self, key: Key):
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buf = bytearray()
        self._waiter: asyncio.Future[Answer] | None = None
        self._state = _DONE
        self._head_only = False
        self._started = False
        self._excerpt: bytes | bytearray = bytearray()
        self._keep = False
        self._remaining = 0
        self._status = 0
        self._headers: RawHeaders = []
        self._length: int | None = None

    # asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._state == _DONE:  # nothing asked: a target talking out of turn
            self.abort()
            return
        self._started = True
        try:
            if self._state == _HEAD and not self._buf:  # the usual case: the answer at once
                end = data.find(b"\r\n\r\n")
                if end >= 0:
                    self._head(data[:end])
                    data = data[end + 4 :]
                    if self._state == _LENGTH and len(data) == self._remaining <= EXCERPT_BYTES:
                        self._excerpt, self._remaining = data, 0
                        self._finish(keep=True)
                        return
                    if self._state == _DONE:  # no body; anything more is out of turn
                        if data:
                            self.abort()
                        return
            self._buf += data
            self._parse()
        except BadAnswer as e:
            self.fail(e)

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._state == _UNTIL_CLOSE:
            self._finish(keep=False)
        elif self._state != _DONE:
            self.fail(Disconnected(self._started))

    # one exchange -------------------------------------------------------------------------

    def start(self, data: bytes, body: bytes, head_only: bool) -> asyncio.Future[Answer]:
        """Write DATA (request line and headers) and BODY; the future is the answer."""
        assert self.transport is not None
        waiter: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self._state = _HEAD
        self._head_only = head_only
        self._started = False
        self._excerpt = bytearray()
        self._keep = False
        if len(body) < 65536:
            self.transport.write(data + body)
        else:
            self.transport.write(data)
            self.transport.write(body)
        return waiter

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def fail(self, e: Exception) -> None:
        self._state = _DONE
        self.abort()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(e)

    def _finish(self, keep: bool) -> None:
        self._state = _DONE
        transport = self.transport
        reusable = (
            keep
            and self._keep
            and not self._buf
            and not self.closed
            and transport is not None
            and not transport.get_write_buffer_size()
        )
        if not reusable:
            self.abort()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(
                Answer(self._status, self._headers, bytes(self._excerpt), self._length)
            )

    # the parser: called with whatever has arrived; consumes what it can ---------------------

    def _parse(self) -> None:
        buf = self._buf
        while True:
            state = self._state
            if state == _HEAD:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise BadAnswer(f"answer headers longer than {MAX_HEAD} bytes")
                    return
                head = bytes(buf[:end])
                del buf[: end + 4]
                self._head(head)
            elif state in (_LENGTH, _CHUNK_DATA):
                take = min(self._remaining, len(buf))
                if not take:
                    return
                self._keep_excerpt(buf, take)
                del buf[:take]
                self._remaining -= take
                if self._remaining:
                    if len(self._excerpt) > EXCERPT_BYTES:
                        self._finish(keep=False)  # enough seen; do not read a huge body
                    return
                if state == _LENGTH:
                    self._finish(keep=True)
                    return
                self._state = _CHUNK_CRLF
            elif state == _CHUNK_CRLF:
                if len(buf) < 2:
                    return
                if buf[:2] != b"\r\n":
                    raise BadAnswer("malformed chunked body")
                del buf[:2]
                if len(self._excerpt) > EXCERPT_BYTES:
                    self._finish(keep=False)
                    return
                self._state = _CHUNK_SIZE
            elif state == _CHUNK_SIZE:
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > 4096:
                        raise BadAnswer("malformed chunked body")
                    return
                line = bytes(buf[:end]).split(b";", 1)[0].strip()
                del buf[: end + 2]
                try:
                    size = int(line, 16)
                except ValueError:
                    raise BadAnswer("malformed chunked body") from None
                if size:
                    self._remaining = size
                    self._state = _CHUNK_DATA
                else:
                    self._state = _TRAILER
            elif state == _TRAILER:
                if buf[:2] == b"\r\n":
                    del buf[:2]
                    self._finish(keep=True)
                    return
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise BadAnswer("chunked trailer too long")
                    return
                del buf[: end + 4]
                self._finish(keep=True)
                return
            elif state == _UNTIL_CLOSE:
                self._keep_excerpt(buf, len(buf))
                buf.clear()
                if len(self._excerpt) > EXCERPT_BYTES:
                    self._finish(keep=False)
                return
            else:
                return

    def _keep_excerpt(self, buf: bytearray, take: int) -> None:
        room = EXCERPT_BYTES + 1 - len(self._excerpt)
        if room > 0:
            self._excerpt += buf[: min(room, take)]

    def _head(self, head: bytes) -> None:
        """Status line and headers; sets how the body is framed."""
        lines = head.split(b"\r\n")
        status_line = lines.pop(0)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise BadAnswer(f"not an HTTP/1.x answer: {status_line[:80]!r}")
        status = int(parts[1])
        headers = _header_fields(lines, b"\r\n " in head or b"\r\n\t" in head)
        length: int | None = None
        chunked = False
        connection = b""
        for name, value in headers:
            low = name.lower()
            if low == b"content-length":
                if not value.isdigit():
                    raise BadAnswer(f"bad Content-Length: {value[:40]!r}")
                length = int(value)
            elif low == b"transfer-encoding":
                chunked = value.lower().endswith(b"chunked")
            elif low == b"connection":
                connection = value.lower()
        if 100 <= status < 200 and status != 101:  # interim (100 Continue, 103): skip it
            return
        self._status, self._headers, self._length = status, headers, length
        if parts[0] == b"HTTP/1.1":
            self._keep = b"close" not in connection
        else:
            self._keep = b"keep-alive" in connection
        if self._head_only or status in (204, 304) or status < 200:
            self._finish(keep=True)
        elif chunked:
            self._state = _CHUNK_SIZE
        elif length is not None:
            self._remaining = length
            self._state = _LENGTH
            if not length:
                self._finish(keep=True)
        else:
            self._keep = False
            self._state = _UNTIL_CLOSE


def _header_fields(lines: list[bytes], folded: bool) -> RawHeaders:
    """(name, value) of each header line; FOLDED: some line continues the one before
    (obsolete line folding), joined to it with a space."""
    if not folded:
        try:
            return [(name, value.strip()) for name, value in (x.split(b":", 1) for x in lines)]
        except ValueError:
            pass  # a line without a colon: said below
    headers: RawHeaders = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise BadAnswer(f"malformed header line: {line[:80]!r}")
        headers.append((name, value.strip()))
    return headers


# -- the client ----------------------------------------------------------------------------


class Client:
    """Connections kept alive per target, the TLS setting and the default time limit: what
    a replay run or a forwarder shares across its requests. Use with `async with`, or call
    `close`."""

    def __init__(self, insecure: bool = False, timeout: float | None = 30.0):
        self.insecure = insecure
        self.timeout = timeout  # None or 0: no limit
        self._idle: dict[Key, list[_Connection]] = {}
        self._all: set[_Connection] = set()
        self._ssl: ssl.SSLContext | None = None
        self._deadlines: dict[_Connection, float] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._dns: dict[tuple[str, int], tuple[float, list[tuple[int, str]]]] = {}

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Drop every connection, idle or in use."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in list(self._all):
            conn.abort()
        self._all.clear()
        self._idle.clear()

    async def request(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        timeout: float | None = None,
    ) -> Answer:
        """Send one request and read its answer. HEADERS go out as given (bytes, order,
        case); Host and Content-Length are computed here and must not be among them.
        TIMEOUT overrides the client's (0: no limit). Raises OSError (refused,
        CannotConnect, Disconnected, BadAnswer), socket.gaierror, ssl.SSLError,
        TimeoutError or BadRequest."""
        limit = self.timeout if timeout is None else timeout
        key, host, target, auth = _split(url)
        data = _request_head(method, target, host, auth, headers, body)
        head_only = method.upper() == "HEAD"
        deadline = asyncio.get_running_loop().time() + limit if limit else None
        conn = self._reuse(key)
        if conn is not None:
            try:
                return await self._exchange(conn, data, body, head_only, deadline)
            except Disconnected as e:
                if e.started or method.upper() not in _IDEMPOTENT:
                    raise
        conn = await self._connect(key, deadline)
        return await self._exchange(conn, data, body, head_only, deadline)

    async def _exchange(
        self, conn: _Connection, data: bytes, body: bytes, head_only: bool, deadline: float | None
    ) -> Answer:
        if deadline is not None:
            self._deadlines[conn] = deadline
            if self._sweeper is None:
                self._sweeper = asyncio.get_running_loop().call_later(SWEEP, self._sweep)
        try:
            answer = await conn.start(data, body, head_only)
        except BaseException:  # timed out or cancelled mid-exchange: the connection is spent
            conn.abort()
            self._all.discard(conn)
            raise
        finally:
            if deadline is not None:
                del self._deadlines[conn]
        if conn.closed:
            self._all.discard(conn)
        else:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.key, []).append(conn)
        return answer

    def _sweep(self) -> None:
        """Fail the exchanges past their deadline. One timer for all of them, every SWEEP
        seconds while any is in flight: a timer per request (asyncio.timeout) costs a
        forward more than its parsing does."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        for conn, deadline in list(self._deadlines.items()):
            if deadline <= now:
                conn.fail(TimeoutError())
        self._sweeper = loop.call_later(SWEEP, self._sweep) if self._deadlines else None

    def _reuse(self, key: Key) -> _Connection | None:
        """An idle connection to KEY that is still open and not idle too long."""
        idle = self._idle.get(key)
        if idle:
            now = time.monotonic()
            while idle:
                conn = idle.pop()
                if not conn.closed and now - conn.idle_since < IDLE_REUSE:
                    return conn
                conn.abort()
                self._all.discard(conn)
        return None

    async def _connect(self, key: Key, deadline: float | None) -> _Connection:
        async with asyncio.timeout_at(deadline):
            conn = await self._open(key)
        self._all.add(conn)
        return conn

    async def _open(self, key: Key) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        ctx = self._context() if scheme == "https" else None
        errors: list[OSError] = []
        for family, address in await self._resolve(host, port):
            try:
                _, conn = await loop.create_connection(
                    lambda: _Connection(key),
                    address,
                    port,
                    family=family,
                    ssl=ctx,
                    server_hostname=host if ctx is not None else None,
                )
                return conn
            except ssl.SSLError:
                raise  # the address answered; its certificate or TLS is the trouble
            except OSError as e:
                errors.append(e)
        other = [e for e in errors if not isinstance(e, ConnectionRefusedError)]
        if not other:
            raise errors[0]
        first = other[0]
        reason = os.strerror(first.errno) if first.errno else str(first)
        raise CannotConnect(reason) from first

    async def _resolve(self, host: str, port: int) -> list[tuple[int, str]]:
        """(family, address) for HOST, every address it has, in the resolver's order."""
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return [(socket.AF_INET6 if ip.version == 6 else socket.AF_INET, host)]
        now = time.monotonic()
        known = self._dns.get((host, port))
        if known is not None and now - known[0] < DNS_TTL:
            return known[1]
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found: list[tuple[int, str]] = []
        for family, _, _, _, sockaddr in infos:
            if (family, str(sockaddr[0])) not in found:
                found.append((family, str(sockaddr[0])))
        self._dns[(host, port)] = (now, found)
        return found

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            ctx = ssl.create_default_context()
            if self.insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._ssl = ctx
        return self._ssl


# -- the request's bytes -------------------------------------------------------------------

#: what may stand in a request target as it is; anything else is percent-encoded
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


@functools.lru_cache(maxsize=1024)
def _split(url: str) -> tuple[Key, str, str, str | None]:
    """(key, Host header, request target, Authorization header) for URL. Cached: a
    forwarder sends to the same few paths thousands of times a second."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"not an http(s) URL: {public_url(url)!r}")
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:
        raise BadRequest(f"bad port in {public_url(url)!r}") from None
    hostname = parts.hostname
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port != default:
        host += f":{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii() or not target.isprintable() or " " in target:
        target = quote(target, safe=_TARGET_SAFE)
    auth = None
    if parts.username is not None:
        user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(user.encode()).decode("ascii")
    return (parts.scheme, hostname, port), host, target, auth


def _request_head(
    method: str,
    target: str,
    host: str,
    auth: str | None,
    headers: Sequence[tuple[bytes, bytes]],
    body: bytes,
) -> bytes:
    """Request line and headers: Host first, then HEADERS as given, then Content-Length
    when there is a body or the method carries one."""
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n".encode()]
    named_auth = False
    for name, value in headers:
        lines.append(name + b": " + value + b"\r\n")
        if auth is not None and name.lower() == b"authorization":
            named_auth = True
    if auth is not None and not named_auth:
        lines.append(f"Authorization: {auth}\r\n".encode())
    if body or method.upper() in _METHODS_WITH_BODY:
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    data = b"".join(lines)
    breaks = len(lines) + 1  # one CRLF per line, the request line's and the last one
    if data.count(b"\n") != breaks or data.count(b"\r") != breaks:
        for name, value in headers:
            if b"\r" in name + value or b"\n" in name + value:
                shown = name.decode("latin-1")
                raise BadRequest(f"header {shown!r} has a line break in it")
        raise BadRequest(f"line break in the method or URL: {method} {target}")
    if not method.isalpha() or not method.isascii():
        raise BadRequest(f"not an HTTP method: {method!r}")
    return data
