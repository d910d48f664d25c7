"""The catch server's fast path (server/fastpath.py) against aiohttp's own request handling.

Two real catch servers on loopback, one with the fast path and one without, get the same
raw bytes; their answers (the Date line aside) and what they store must be the same, and
the fast one must have taken exactly the requests it is meant to take."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hookcli.server.app import CatchServer, Event, ServerOptions
from hookcli.server.fastpath import FastServer, parse
from hookcli.store import Store

BODY = b'{"id": "evt_1", "type": "invoice.paid", "amount": 1200}'


def post(target: str | bytes = "/hooks", extra: bytes = b"", body: bytes = BODY) -> bytes:
    raw = target.encode() if isinstance(target, str) else target
    return (
        b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n%s"
        b"Content-Length: %d\r\n\r\n%s" % (raw, extra, len(body), body)
    )


@dataclass
class Case:
    name: str
    chunks: list[bytes]  # sent one after the other, 50 ms apart
    answers: int  # final answers expected (a refusal closes the connection after its one)
    fast: int  # of those, how many the fast path must take
    bodiless: bool = False  # answers to HEAD: a Content-Length and no body


CASES = [
    Case("plain POST", [post()], 1, 1),
    Case("GET, no body", [b"GET /ping?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"], 1, 1),
    Case(
        "spaces and tabs around values, an empty value",
        [post(extra=b"X-A:   spaced  \t\r\nX-B:\r\nX-C:\tin  side\t\r\nX-Empty: \r\n")],
        1,
        1,
    ),
    Case("token characters in names", [post(extra=b"X-W!#$%&'*+.^_`|~1: v\r\n")], 1, 1),
    Case(
        "a target with reserved and escaped characters",
        [post("/a/b;c=d/%7Ex?q=%20&r[]=1&s='t'&u=(v)*!$,:@")],
        1,
        1,
    ),
    Case("PUT", [post().replace(b"POST", b"PUT", 1)], 1, 1),
    Case("PATCH", [post().replace(b"POST", b"PATCH", 1)], 1, 1),
    Case("DELETE", [b"DELETE /x/1 HTTP/1.1\r\nHost: a\r\n\r\n"], 1, 1),
    Case("OPTIONS", [b"OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n"], 1, 1),
    Case("Connection: keep-alive", [post(extra=b"Connection: Keep-Alive\r\n")], 1, 1),
    Case("an empty body with a length", [post(body=b"")], 1, 1),
    Case(
        "a length with leading zeros",
        [b"POST /z HTTP/1.1\r\nHost: a\r\nContent-Length: 0002\r\n\r\nhi"],
        1,
        1,
    ),
    Case("a lowercase method", [post().replace(b"POST", b"post", 1)], 1, 0),
    Case("a binary body", [post(body=bytes(range(256)) * 4)], 1, 1),
    Case("three pipelined in one write", [post() + post("/2") + post("/3")], 3, 3),
    Case("keep-alive, one after another", [post("/1"), post("/2"), post("/3")], 3, 3),
    Case(
        "a second request split over two writes",
        [post("/1") + post("/2")[:30], post("/2")[30:]],
        2,
        1,
    ),
    Case("head then body in two writes", [post()[:-10], post()[-10:]], 1, 0),
    Case("head over two writes", [post()[:20], post()[20:]], 1, 0),
    Case(
        "chunked",
        [
            b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        ],
        1,
        0,
    ),
    Case("HTTP/1.0", [post().replace(b"HTTP/1.1", b"HTTP/1.0", 1)], 1, 0),
    Case("Connection: close", [post(extra=b"Connection: close\r\n")], 1, 0),
    Case("HEAD", [b"HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n"], 1, 0, bodiless=True),
    Case("a method outside the six", [b"PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n"], 1, 0),
    Case("an unknown method (refused)", [b"FROB /d HTTP/1.1\r\nHost: a\r\n\r\n"], 1, 0),
    Case("a UTF-8 header value", [post(extra="X-Name: Zoë\r\n".encode())], 1, 0),
    Case("a latin-1 header value", [post(extra=b"X-Name: Zo\xeb\r\n")], 1, 0),
    Case("a control character (refused)", [post(extra=b"X-Bad: a\x01b\r\n")], 1, 0),
    Case("a space before the colon (refused)", [post(extra=b"X-Bad : v\r\n")], 1, 0),
    Case("an obsolete folded line", [post(extra=b"X-Fold: a\r\n  b\r\n")], 1, 0),
    Case("a bare LF", [post(extra=b"X-LF: a\nX-B: c\r\n")], 1, 0),
    Case(
        "two Content-Length (refused)",
        [post(extra=b"Content-Length: %d\r\n" % len(BODY))],
        1,
        0,
    ),
    Case(
        "a signed Content-Length (refused)",
        [b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\nhi"],
        1,
        0,
    ),
    Case("Expect with the body", [post(extra=b"Expect: 100-continue\r\n")], 1, 0),
    Case("over --max-body-size (413)", [post(body=b"x" * 5000)], 1, 0),
    Case("an absolute-form target", [post("http://example.com/x")], 1, 0),
    Case("a non-ASCII byte in the target (refused)", [post(b"/caf\xe9")], 1, 0),
    Case("a long header line (refused)", [post(extra=b"X-Long: " + b"a" * 9000 + b"\r\n")], 1, 0),
    Case("a head near the limit", [post(extra=b"X-Long: " + b"a" * 7900 + b"\r\n")], 1, 1),
    Case(
        "a plain request after one taken by aiohttp",
        [post(extra=b"X-Name: Zo\xeb\r\n") + post()],
        2,
        0,
    ),
]


def _normal(answers: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: -\r\n", answers)


def _final_answers(data: bytes, bodiless: bool = False) -> int:
    """How many whole answers (not 100 Continue) DATA holds."""
    count, pos = 0, 0
    while True:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return count
        head = data[pos:end]
        m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
        length = int(m.group(1)) if m and not bodiless else 0
        if len(data) < end + 4 + length:
            return count
        if not head.startswith(b"HTTP/1.1 100"):
            count += 1
        pos = end + 4 + length


async def _exchange(port: int, case: Case) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = b""
    try:
        for i, chunk in enumerate(case.chunks):
            if i:
                await asyncio.sleep(0.05)
            writer.write(chunk)
            await writer.drain()
        async with asyncio.timeout(5):
            while _final_answers(data, case.bodiless) < case.answers:
                more = await reader.read(65536)
                if not more:
                    break
                data += more
    finally:
        writer.close()
    return data


def _stored(root: Path) -> list[dict[str, Any]]:
    store = Store(root)
    try:
        out = []
        for rec in store.records():
            rec.pop("received_at")
            out.append(rec)
        return out
    finally:
        store.close()


async def _both(tmp_path: Path, **options: Any) -> list[tuple[Case, bytes, bytes, int]]:
    servers: list[CatchServer] = []
    events: list[Event] = []
    for name, fast in (("fast", True), ("aiohttp", False)):
        opts = ServerOptions(port=0, fast_path=fast, max_body_size=4096, **options)
        servers.append(CatchServer(Store(tmp_path / name), opts, events.extend))
    ports = [int((await s.start()).rsplit(":", 1)[1]) for s in servers]
    fast_server = servers[0]._runner.server  # type: ignore[union-attr]
    assert isinstance(fast_server, FastServer)
    results = []
    try:
        for case in CASES:
            before = fast_server.served
            got_fast = await _exchange(ports[0], case)
            got_plain = await _exchange(ports[1], case)
            results.append((case, got_fast, got_plain, fast_server.served - before))
    finally:
        for s in servers:
            await s.stop()
    return results


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"status": 201, "response_body": b"thanks", "response_headers": [("X-Trace", "t1")]},
        {
            "status": 299,
            "response_headers": [("Content-Type", "text/plain"), ("X-A", "1"), ("X-A", "2")],
        },
        {"status": 418, "response_body": b'{"teapot": true}'},
        {"delay": 0.01},
    ],
    ids=["default", "body-and-header", "unknown-status", "teapot", "delay"],
)
def test_fast_and_aiohttp_answer_and_store_the_same(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    results = asyncio.run(_both(tmp_path, **options))
    for case, fast, plain, served in results:
        assert _final_answers(plain, case.bodiless) == case.answers, (case.name, plain)
        assert _normal(fast) == _normal(plain), case.name
        assert served == case.fast, f"{case.name}: fast path took {served}, expected {case.fast}"
    stored_fast, stored_plain = _stored(tmp_path / "fast"), _stored(tmp_path / "aiohttp")
    assert len(stored_fast) == sum(1 for r in stored_plain)
    assert stored_fast == stored_plain
    # every request the fast path took is stored (and the others, unless refused)
    assert len(stored_fast) >= sum(c.fast for c in CASES) > 10


def test_parse_refuses_what_is_not_whole_or_plain() -> None:
    whole = post()
    assert parse(whole, 4096) == (
        "POST",
        "/hooks",
        [
            ("Host", "localhost"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(BODY))),
        ],
        BODY,
        len(whole),
    )
    for i in range(len(whole)):
        assert parse(whole[:i], 4096) is None, i
    assert parse(whole, len(BODY) - 1) is None
    assert parse(post(extra=b"Transfer-Encoding: chunked\r\n"), 4096) is None
    assert parse(post(extra=b"Upgrade: websocket\r\n"), 4096) is None
    assert parse(post(extra=b"TE: trailers\r\n"), 4096) is None
    assert parse(post(extra=b"X: " + b"y" * 8190 + b"\r\n"), 4096) is None
    many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    assert parse(post(extra=many), 4096) is None


def test_a_busy_fast_connection_is_answered_before_the_server_stops(tmp_path: Path) -> None:
    """A request taken by the fast path just before a stop is answered (its capture is
    committed), and idle connections are closed."""

    async def go() -> tuple[bytes, bytes]:
        server = CatchServer(
            Store(tmp_path / "s"), ServerOptions(port=0, delay=0.2), lambda e: None
        )
        port = int((await server.start()).rsplit(":", 1)[1])
        r1, w1 = await asyncio.open_connection("127.0.0.1", port)
        r2, w2 = await asyncio.open_connection("127.0.0.1", port)
        w1.write(post())
        await w1.drain()
        await asyncio.sleep(0.05)  # taken, answer due in 0.15 s
        stopping = asyncio.create_task(server.stop())
        answer = await asyncio.wait_for(r1.read(65536), 3)
        idle = await asyncio.wait_for(r2.read(65536), 3)
        await stopping
        w1.close()
        w2.close()
        return answer, idle

    answer, idle = asyncio.run(go())
    assert answer.startswith(b"HTTP/1.1 200 OK") and b'"id": 1' in answer
    assert idle == b""  # closed, nothing said
    assert len(_stored(tmp_path / "s")) == 1
