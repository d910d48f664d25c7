"""One connection of the lean HTTP/1.1 client (http1.py) and the parser of the answers that
come back on it, and `Answer`, what every delivery path (replay, forwarding, `fabricate`,
the pytest harness over HTTP or in-process) gets back.

The parser reads only what a delivery keeps: the status line, the headers and the body's
framing (Content-Length, chunked, or until close), keeping the body's first LIMIT bytes
and dropping the connection rather than reading past them.

Why our own parser and not a maintained one. Measured 2026-12-07 (2 shared cores, load 6
to 8): `python tests/benchmarks/bench_parse.py --rounds 5`, CPU per answer parsed into the
same Answer, median of 5 rounds:

    answer                              this parser   httptools 0.9.0   h11 0.16.0
    aiohttp JSON, 4 headers                 5.11 µs   1.95 µs (0.38)    44.9 µs (8.8)
    Express text, 7 headers                 6.06 µs   2.41 µs (0.40)    50.4 µs (8.3)
    chunked, 1 KiB in 3 chunks             11.46 µs   2.85 µs (0.25)    60.2 µs (5.3)

h11 (pure Python) is 5 to 9 times slower: a forward would spend more on its answer than
on recording the capture. httptools (llhttp, C, uvicorn's) parses 3 to 9 µs faster, but a
delivery costs 50 to 105 µs of CPU in all (`bench_client.py`), and a connection built on
httptools did not measure faster than this one there (hookcli/aiohttp CPU 0.49 and 0.43
against 0.40 and 0.45, rounds interleaved). And it would change what replay records and
how: its response parser cannot be told an answer is to HEAD (its on_headers_complete
can only signal an upgrade), so a HEAD answer with a Content-Length would wait for a body
that never comes; it refuses answers this parser reads (obsolete header folding, a space
before the colon: "Unexpected whitespace after header value", "Invalid header token")
and words its errors its own way, which attempts record; and it would make a compiled
extension a hard dependency of a command-line tool (uvicorn keeps it optional for that
reason, with h11 as the fallback). So: our parser, small and tested
(tests/integration/test_http1_client.py).
"""

from __future__ import annotations

import asyncio
import sys

#: bytes of status line and headers an answer may have
MAX_HEAD = 64 * 1024

RawHeaders = list[tuple[bytes, bytes]]


class Answer:
    """An answer as a delivery keeps it. HEADERS: the raw (name, value) bytes in the order
    received; BODY: the whole body, or its first LIMIT bytes when the request asked for a
    limit (one more byte than a caller keeps tells it there was more); CONTENT_LENGTH as
    the target said, None when it did not."""

    __slots__ = ("body", "content_length", "headers", "status")

    def __init__(self, status: int, headers: RawHeaders, body: bytes, content_length: int | None):
        self.status = status
        self.headers = headers
        self.body = body
        self.content_length = content_length


class Disconnected(ConnectionError):
    """The target closed the connection before its answer was complete."""

    def __init__(self, started: bool):
        super().__init__("answer cut short" if started else "no answer")
        self.started = started  # some of the answer had arrived


class BadAnswer(ConnectionError):
    """What came back is not an HTTP/1.x answer this client can read."""


Key = tuple[str, str, int]  # scheme, host, port

_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)
#: the limit of a request that keeps the whole body
WHOLE = sys.maxsize


class Connection(asyncio.Protocol):
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
        self._limit = WHOLE
        self._started = False
        self._body: bytes | bytearray = bytearray()
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
                    if self._state == _LENGTH and len(data) == self._remaining < self._limit:
                        self._body, self._remaining = data, 0
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

    def start(
        self, data: bytes, body: bytes, head_only: bool, limit: int | None
    ) -> asyncio.Future[Answer]:
        """Write DATA (request line and headers) and BODY; the future is the answer, with
        at most LIMIT bytes of its body (None: all of it)."""
        assert self.transport is not None
        waiter: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self._state = _HEAD
        self._head_only = head_only
        self._limit = WHOLE if limit is None else limit
        self._started = False
        self._body = bytearray()
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
            waiter.set_result(Answer(self._status, self._headers, bytes(self._body), self._length))

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
                self._keep_body(buf, take)
                del buf[:take]
                self._remaining -= take
                if self._remaining:
                    if len(self._body) >= self._limit:
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
                if len(self._body) >= self._limit:
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
                self._keep_body(buf, len(buf))
                buf.clear()
                if len(self._body) >= self._limit:
                    self._finish(keep=False)
                return
            else:
                return

    def _keep_body(self, buf: bytearray, take: int) -> None:
        room = self._limit - len(self._body)
        if room > 0:
            self._body += buf[: min(room, take)]

    def _head(self, head: bytes) -> None:
        """Status line and headers; sets how the body is framed."""
        lines = head.split(b"\r\n")
        status_line = lines.pop(0)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise BadAnswer(f"not an HTTP/1.x answer: {status_line[:80]!r}")
        status = int(parts[1])
        headers = header_fields(lines, b"\r\n " in head or b"\r\n\t" in head)
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


def header_fields(lines: list[bytes], folded: bool) -> RawHeaders:
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
