"""A lean keep-alive HTTP/1.1 client: the one sender of `replay`, `listen --forward-to`,
`fabricate` and the pytest harness (harness.py) over HTTP.

Why not aiohttp's ClientSession: a forward shares the catch server's event loop and core,
and aiohttp's client spends 130 to 200 µs of CPU per request (request and response
objects, multidicts, URL objects, stream readers), more than recording a capture. A
delivery needs much less: the request's bytes are known in full (headers as they were
received, byte for byte, in their order, with their case and duplicates; the body), and
of the answer only the status, the headers and the first EXCERPT_BYTES of the body are
kept (all of the body for the harness, whose tests assert on it). So this writes the
request in one go (request.py) and parses only the status line, the headers and the
body's framing (response.py, which says why it is our own parser).

This module is the connections: kept alive, opened, limited in time.

What it does and does not do:
- keeps connections alive per (scheme, host, port) and reuses them; one that sat idle
  longer than IDLE_REUSE seconds is closed instead, before the target's own idle timeout
  (5 s for Node) can race with a new request;
- TLS verified against the system's CAs, or not at all when `insecure`;
- the whole exchange (resolve, connect, TLS, send, answer) under one time limit;
- never follows redirects, sends no header of its own but Host, Content-Length and, for a
  URL with user:password@, Authorization; no cookies, no proxies, no decompression;
- a body longer than the request's limit is not read to its end: the connection is dropped;
- no pipelining: one request at a time per connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Sequence

from hookcli.delivery.request import BadRequest, request_head, split
from hookcli.delivery.response import Answer, BadAnswer, Connection, Disconnected, Key

__all__ = ["Answer", "BadAnswer", "BadRequest", "CannotConnect", "Client", "Disconnected"]

#: seconds a kept-alive connection may sit unused and still be reused
IDLE_REUSE = 4.0
#: seconds between checks for exchanges past their time limit (how late a timeout may fire)
SWEEP = 0.05
#: seconds a resolved host name is remembered
DNS_TTL = 10.0

#: methods sent again on a fresh connection when a reused one closed without answering
#: (the target may have closed it as idle just as the request went out)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


class CannotConnect(ConnectionError):
    """No connection could be made to any address of the target (other than refused,
    which stays a ConnectionRefusedError). REASON: the operating system's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Client:
    """Connections kept alive per target, the TLS setting and the default time limit: what
    a replay run or a forwarder shares across its requests. Use with `async with`, or call
    `close`."""

    def __init__(self, insecure: bool = False, timeout: float | None = 30.0):
        self.insecure = insecure
        self.timeout = timeout  # None or 0: no limit
        self._idle: dict[Key, list[Connection]] = {}
        self._all: set[Connection] = set()
        self._ssl: ssl.SSLContext | None = None
        self._deadlines: dict[Connection, float] = {}
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
        keep: int | None = None,
    ) -> Answer:
        """Send one request and read its answer. HEADERS go out as given (bytes, order,
        case); Host and Content-Length are computed here and must not be among them.
        TIMEOUT overrides the client's (0: no limit). KEEP: how many bytes of the body to
        read at most (None: all of it); past them the connection is dropped. Raises
        OSError (refused, CannotConnect, Disconnected, BadAnswer), socket.gaierror,
        ssl.SSLError, TimeoutError or BadRequest."""
        limit = self.timeout if timeout is None else timeout
        key, host, target, auth = split(url)
        data = request_head(method, target, host, auth, headers, body)
        head_only = method.upper() == "HEAD"
        deadline = asyncio.get_running_loop().time() + limit if limit else None
        conn = self._reuse(key)
        if conn is not None:
            try:
                return await self._exchange(conn, data, body, head_only, keep, deadline)
            except Disconnected as e:
                if e.started or method.upper() not in _IDEMPOTENT:
                    raise
        conn = await self._connect(key, deadline)
        return await self._exchange(conn, data, body, head_only, keep, deadline)

    async def _exchange(
        self,
        conn: Connection,
        data: bytes,
        body: bytes,
        head_only: bool,
        keep: int | None,
        deadline: float | None,
    ) -> Answer:
        if deadline is not None:
            self._deadlines[conn] = deadline
            if self._sweeper is None:
                self._sweeper = asyncio.get_running_loop().call_later(SWEEP, self._sweep)
        try:
            answer = await conn.start(data, body, head_only, keep)
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

    def _reuse(self, key: Key) -> Connection | None:
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

    async def _connect(self, key: Key, deadline: float | None) -> Connection:
        async with asyncio.timeout_at(deadline):
            conn = await self._open(key)
        self._all.add(conn)
        return conn

    async def _open(self, key: Key) -> Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        ctx = self._context() if scheme == "https" else None
        errors: list[OSError] = []
        for family, address in await self._resolve(host, port):
            try:
                _, conn = await loop.create_connection(
                    lambda: Connection(key),
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
