"""Parsing answers: CPU per answer of the delivery client's own parser (delivery/response.py)
against the two maintained HTTP/1.1 parsers it could use instead, httptools (llhttp, C,
what uvicorn uses) and h11 (pure Python), on typical webhook answers.

Each parser does what a delivery needs of an answer and no more: the status, the raw
headers in order, the body (its first EXCERPT_BYTES + 1 bytes), the Content-Length and
whether the connection may be reused; each ends with the same `Answer`. Timed: CPU
(`time.process_time`) over many answers, each fed in one piece as it usually arrives;
with, for our parser, the start of the exchange (a future), and for h11 the request it
must be handed before it reads an answer. Rounds rotate the parsers; the figure is the
median over rounds of µs per answer.

    python tests/benchmarks/bench_parse.py [--rounds 5] [--answers 20000]

Needs `pip install httptools h11` (not dependencies of hookcli). Information: the
reason for response.py's own parser (its docstring quotes the figures). ~1 min.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Callable
from typing import Any

from _benchlib import ROOT, median

sys.path.insert(0, str(ROOT))

from hookcli.delivery.response import Answer, Connection
from hookcli.model.capture import EXCERPT_BYTES

KEEP = EXCERPT_BYTES + 1
DATE = b"Date: Sun, 06 Dec 2026 23:50:00 GMT\r\n"
ANSWERS = {
    # aiohttp's web.json_response, what the benchmarks' receiver and many test apps send
    "aiohttp 200 JSON, 4 headers": b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json; charset=utf-8\r\nContent-Length: 18\r\n"
    + DATE
    + b'Server: Python/3.11 aiohttp/3.13.2\r\n\r\n{"received": true}',
    # Express's res.send("OK")
    "Express 200 text, 7 headers": b"HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\n"
    b"Content-Type: text/html; charset=utf-8\r\nContent-Length: 2\r\n"
    b'ETag: W/"2-nOO9QiTIwXgNtWtBJezz8kv3SLc"\r\n'
    + DATE
    + b"Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nOK",
    # a framework streaming 1 KiB of JSON in three chunks
    "chunked 1 KiB in 3 chunks": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n"
    + DATE
    + b"\r\n"
    + b"".join(b"%x\r\n%s\r\n" % (n, b"x" * n) for n in (400, 400, 224))
    + b"0\r\n\r\n",
}


class _Transport:
    """What Connection asks of its transport, doing nothing."""

    def write(self, data: bytes) -> None:
        pass

    def abort(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def ours() -> Callable[[bytes], Answer]:
    conn = Connection(("http", "h", 80))
    conn.transport = _Transport()  # type: ignore[assignment]

    def parse(data: bytes) -> Answer:
        waiter = conn.start(b"", b"", False, KEEP)
        conn.data_received(data)
        return waiter.result()

    return parse


def with_httptools() -> Callable[[bytes], Answer]:
    import httptools

    class Parsed:
        def __init__(self) -> None:
            self.headers: list[tuple[bytes, bytes]] = []
            self.body = bytearray()
            self.done = False
            self.parser = httptools.HttpResponseParser(self)

        def on_message_begin(self) -> None:
            self.headers = []
            self.body = bytearray()
            self.done = False

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers.append((name, value))

        def on_body(self, data: bytes) -> None:
            room = KEEP - len(self.body)
            if room > 0:
                self.body += data[:room]

        def on_message_complete(self) -> None:
            self.done = True

    p = Parsed()

    def parse(data: bytes) -> Answer:
        p.parser.feed_data(data)
        assert p.done
        length = None
        for name, value in p.headers:
            if name.lower() == b"content-length":
                length = int(value)
        p.parser.should_keep_alive()
        return Answer(p.parser.get_status_code(), p.headers, bytes(p.body), length)

    return parse


def with_h11() -> Callable[[bytes], Answer]:
    import h11

    conn = h11.Connection(h11.CLIENT)

    def parse(data: bytes) -> Answer:
        conn.send(h11.Request(method="POST", target="/", headers=[("Host", "h")]))
        conn.send(h11.EndOfMessage())
        conn.receive_data(data)
        status, headers, body, length = 0, [], bytearray(), None
        while True:
            event: Any = conn.next_event()
            if isinstance(event, h11.Response):
                status, headers = event.status_code, list(event.headers.raw_items())
                for name, value in headers:
                    if name.lower() == b"content-length":
                        length = int(value)
            elif isinstance(event, h11.Data):
                room = KEEP - len(body)
                if room > 0:
                    body += event.data[:room]
            elif isinstance(event, h11.EndOfMessage):
                break
        conn.start_next_cycle()
        return Answer(status, headers, bytes(body), length)

    return parse


PARSERS = {"ours": ours, "httptools": with_httptools, "h11": with_h11}


def measure(make: Callable[[], Callable[[bytes], Answer]], data: bytes, n: int) -> float:
    """Mean µs per answer over N answers (after a warm-up)."""
    parse = make()
    for _ in range(200):
        parse(data)
    start = time.process_time()
    for _ in range(n):
        parse(data)
    return (time.process_time() - start) / n * 1e6


async def main(rounds: int, n: int) -> None:
    gc.disable()  # a collection landing in one parser's timing is noise
    for label, data in ANSWERS.items():
        results: dict[str, list[float]] = {name: [] for name in PARSERS}
        same = {name: make()(data) for name, make in PARSERS.items()}
        kept = {(a.status, a.body, a.content_length, len(a.headers)) for a in same.values()}
        assert len(kept) == 1, f"the parsers disagree on {label}: {kept}"
        for rnd in range(rounds):
            order = list(PARSERS.items())
            order = order[rnd % len(order) :] + order[: rnd % len(order)]
            for name, make in order:
                results[name].append(measure(make, data, n))
        shown = ", ".join(f"{name} {median(r):.2f} µs" for name, r in results.items())
        print(f"{label}: {shown}")
        base = median(results["ours"])
        print(
            "  ratio to ours: "
            + ", ".join(f"{k} {median(r) / base:.2f}" for k, r in results.items())
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--answers", type=int, default=20000)
    args = ap.parse_args()
    asyncio.run(main(args.rounds, args.answers))
