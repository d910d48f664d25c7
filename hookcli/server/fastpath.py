"""The catch server's fast path: the common webhook request served without aiohttp's
per-request machinery.

Almost every webhook is one small HTTP/1.1 request on a keep-alive connection: a request
line, a few plain ASCII header lines, a body with a Content-Length, all in one read.
For those, aiohttp's request handler (a task per connection, a StreamReader, a request
and a response object, a header multidict, a writer) costs more than the rest of
recording does. A `FastConnection` takes such a request straight from the socket's
bytes, hands the capture to the group commit, and writes the answer's bytes itself
once the capture is stored.

Anything else goes to aiohttp, unchanged: the first time a connection brings bytes this
module does not take whole (a request split over reads, a chunked or over-size body,
`Expect`, `Upgrade`, `Connection: close`, HTTP/1.0, HEAD, a method outside the common
six, a byte outside plain ASCII or a control character in the head, a head over 8 KiB
or over 100 header lines), the connection is handed to aiohttp's own protocol with
every byte it has brought, and stays there. So the parser's refusals, size limits,
stalled bodies and the rest keep aiohttp's behaviour exactly, and what this module
accepts is only what aiohttp accepts too, recorded the same way
(tests/integration/test_fastpath.py compares the two, byte for byte)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE
from aiohttp.web_response import REASON_PHRASES

from hookcli.model.capture import Capture

HeaderList = list[tuple[str, str]]
#: (capture, None) when stored, (capture, error) when not
Done = Callable[[Capture, BaseException | None], None]
#: build a capture from (method, target, headers, body, remote) and commit it; then Done
Record = Callable[[str, str, HeaderList, bytes, str | None, Done], None]
#: the answer's bytes for a committed capture (or for the error that kept it out)
Answer = Callable[[Capture, BaseException | None], bytes]

#: the head: request line and header lines of plain ASCII, no control character but
#: tab, header names that are tokens, an origin-form target
_HEAD = re.compile(
    rb"(GET|POST|PUT|PATCH|DELETE|OPTIONS) "
    rb"(/[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*) HTTP/1\.1\r\n"
    rb"((?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*\r\n)*)\r\n"
)
#: one header line: the value without the spaces and tabs around it, as aiohttp keeps it
_FIELD = re.compile(r"([^:\r\n]+):[ \t]*([^\r\n]*?)[ \t]*\r\n")
#: at most this many bytes of head (aiohttp refuses a line over 8190) and header lines
#: (aiohttp refuses over 128)
MAX_HEAD = 8190
MAX_FIELDS = 100
#: headers whose presence sends a request to aiohttp (Connection: keep-alive excepted)
_SPECIAL = frozenset(
    {"content-length", "transfer-encoding", "expect", "upgrade", "connection", "te"}
)
#: a connection brings at most this much ahead of its answers before it stops being read
MAX_AHEAD = 1 << 20
#: how often idle fast connections are looked at, against aiohttp's keep-alive timeout
SWEEP_EVERY = 60.0


def parse(buf: bytes, max_body: int) -> tuple[str, str, HeaderList, bytes, int] | None:
    """(method, target, headers, body, bytes used) of the request at the start of BUF
    when it is whole and plain enough for the fast path; None otherwise."""
    m = _HEAD.match(buf)
    if m is None:
        return None
    end = m.end()
    block = m.group(3)
    if end > MAX_HEAD or block.count(b"\n") > MAX_FIELDS:
        return None
    headers: HeaderList = _FIELD.findall(block.decode("ascii"))
    length = 0
    seen_length = False
    for name, value in headers:
        low = name.lower()
        if low in _SPECIAL:
            if low == "content-length":
                if seen_length or not value.isdigit() or len(value) > 15:
                    return None
                seen_length = True
                length = int(value)
            elif low != "connection" or value.lower() != "keep-alive":
                return None
    if length > max_body or len(buf) < end + length:
        return None
    body = buf[end : end + length]
    return m.group(1).decode("ascii"), m.group(2).decode("ascii"), headers, body, end + length


class Answers:
    """Answers with STATUS and HEADERS, in the bytes aiohttp's `web.Response` gives them on
    a keep-alive connection: the status line, HEADERS in order, then Content-Length, Date
    and Server. Only the body, its length and the date change from one to the next."""

    def __init__(self, status: int, headers: list[tuple[str, str]]):
        lines = [f"HTTP/1.1 {status} {REASON_PHRASES.get(status, '')}"]
        lines += [f"{k}: {v}" for k, v in headers]
        self._prefix = ("\r\n".join(lines) + "\r\n").encode("utf-8")
        self._server = SERVER_SOFTWARE.encode("utf-8")

    def __call__(self, body: bytes) -> bytes:
        return b"%sContent-Length: %d\r\nDate: %s\r\nServer: %s\r\n\r\n%s" % (
            self._prefix,
            len(body),
            rfc822_formatted_time().encode("ascii"),
            self._server,
            body,
        )


def answerable(status: int, headers: list[tuple[str, str]]) -> bool:
    """Whether `serialize` gives the same answer as aiohttp for this configuration: not
    for answers without a body (1xx, 204, 304), nor headers aiohttp sets or adjusts."""
    if status < 200 or status in (204, 304):
        return False
    own = {"content-length", "date", "server", "connection", "transfer-encoding"}
    return not any(k.lower() in own for k, _ in headers)


class FastServer(web.Server):
    """aiohttp's low-level server whose connections start on the fast path."""

    def __init__(
        self,
        handler: Any,
        *,
        record: Record,
        answer: Answer,
        delay: float = 0.0,
        max_body: int,
        **kwargs: Any,
    ):
        super().__init__(handler, **kwargs)
        self.record = record
        self.answer = answer
        self.delay = delay
        self.max_body = max_body
        self.keepalive = float(kwargs.get("keepalive_timeout", 3630.0))
        self.fast: set[FastConnection] = set()
        self.served = 0  # requests taken by the fast path
        self.closing = False
        self._sweeper: asyncio.TimerHandle | None = None
        self._drained: asyncio.Future[None] | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def __call__(self) -> Any:
        if self.closing:
            return super().__call__()
        return FastConnection(self)

    def handover(self, conn: FastConnection, transport: asyncio.Transport, data: bytes) -> None:
        """CONN's connection goes to aiohttp's protocol, with the bytes not yet served."""
        self.fast.discard(conn)
        handler = super().__call__()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if data:
            handler.data_received(data)

    def idle(self, conn: FastConnection) -> None:
        drained = self._drained
        if drained is not None and not drained.done() and not any(c.busy for c in self.fast):
            drained.set_result(None)

    def added(self, conn: FastConnection) -> None:
        self.fast.add(conn)
        if self._sweeper is None:
            self._sweeper = self._loop.call_later(SWEEP_EVERY, self._sweep)

    def _sweep(self) -> None:
        """Close the fast connections idle for longer than aiohttp's keep-alive timeout."""
        now = self._loop.time()
        for conn in list(self.fast):
            if not conn.busy and now - conn.last > self.keepalive:
                conn.close()
        self._sweeper = self._loop.call_later(SWEEP_EVERY, self._sweep)

    def pre_shutdown(self) -> None:
        self.closing = True
        for conn in list(self.fast):
            if not conn.busy:
                conn.close()
        super().pre_shutdown()

    async def shutdown(self, timeout: float | None = None) -> None:
        """Requests already taken get up to TIMEOUT to be answered (their captures are in
        the group commit), then every fast connection is closed."""
        self.closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        if any(c.busy for c in self.fast):
            self._drained = self._loop.create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), timeout)
        for conn in list(self.fast):
            conn.close()
        await super().shutdown(timeout)


class FastConnection(asyncio.Protocol):
    """One connection on the fast path: one request at a time, answered in order."""

    __slots__ = ("buf", "busy", "last", "paused", "remote", "server", "transport")

    def __init__(self, server: FastServer):
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.remote: str | None = None
        self.buf = b""
        self.busy = False  # a request taken, its answer not yet written
        self.last = 0.0
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.remote = str(peer[0]) if isinstance(peer, tuple | list) and peer else None
        self.last = self.server.loop.time()
        self.server.added(self)

    def data_received(self, data: bytes) -> None:
        self.buf = self.buf + data if self.buf else data
        if not self.busy:
            self._serve()
        elif len(self.buf) > MAX_AHEAD and self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def _serve(self) -> None:
        transport = self.transport
        if transport is None or not self.buf:
            return
        server = self.server
        if server.closing:  # as aiohttp does with a request on an idle connection then
            self.close()
            return
        parsed = parse(self.buf, server.max_body)
        if parsed is None:
            data, self.buf = self.buf, b""
            self.transport = None
            server.handover(self, transport, data)
            return
        method, target, headers, body, used = parsed
        self.buf = self.buf[used:]
        server.served += 1
        self.busy = True
        server.record(method, target, headers, body, self.remote, self._committed)

    def _committed(self, capture: Capture, error: BaseException | None) -> None:
        data = self.server.answer(capture, error)
        if self.server.delay:
            self.server.loop.call_later(self.server.delay, self._write, data)
        else:
            self._write(data)

    def _write(self, data: bytes) -> None:
        self.busy = False
        transport = self.transport
        if transport is None:
            return
        transport.write(data)
        self.last = self.server.loop.time()
        if self.paused:
            self.paused = False
            transport.resume_reading()
        if self.buf:
            self._serve()
        else:
            self.server.idle(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.transport = None
        self.busy = False
        self.server.fast.discard(self)
        self.server.idle(self)
