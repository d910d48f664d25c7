"""The lean HTTP/1.1 client of deliveries (hookcli/delivery/http1.py) against real aiohttp
servers on loopback: framing of answers, connection reuse, targets that misbehave."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from hookcli.delivery.client import new_session, send
from hookcli.delivery.http1 import Client
from hookcli.model.capture import EXCERPT_BYTES

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serving(handler: Handler, keepalive: float = 75.0) -> AsyncIterator[tuple[str, list]]:
    """An aiohttp low-level server on 127.0.0.1; yields (base URL, the client address of
    each request, in order), so tests can tell which requests shared a connection."""
    peers: list = []

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return await handler(request)

    server = web.Server(handle, access_log=None, keepalive_timeout=keepalive)
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", peers
    finally:
        await runner.cleanup()


async def ok(request: web.BaseRequest) -> web.Response:
    body = await request.read()
    return web.Response(body=b"got " + body, headers={"X-Seen": request.headers.get("X-A", "")})


def test_keep_alive_reuses_one_connection_for_requests_in_turn() -> None:
    async def go() -> None:
        async with serving(ok) as (url, peers), Client() as client:
            for n in range(5):
                answer = await client.request("POST", url + "/h", [(b"X-A", b"%d" % n)], b"x")
                assert (answer.status, answer.body) == (200, b"got x")
                assert (b"X-Seen", b"%d" % n) in answer.headers
            assert len(peers) == 5 and len(set(peers)) == 1

    asyncio.run(go())


def test_concurrent_requests_use_their_own_connections_and_all_get_answers() -> None:
    async def slow(request: web.BaseRequest) -> web.Response:
        await asyncio.sleep(0.05)
        return await ok(request)

    async def go() -> None:
        async with serving(slow) as (url, peers), Client() as client:
            answers = await asyncio.gather(
                *(client.request("POST", url, [], b"%d" % n) for n in range(6))
            )
            assert sorted(a.body for a in answers) == [b"got %d" % n for n in range(6)]
            assert len(set(peers)) == 6

    asyncio.run(go())


def test_a_chunked_answer_is_read_whole_and_the_connection_kept() -> None:
    async def chunked(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(status=202)
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for part in (b"one ", b"two ", b"three"):
            await resp.write(part)
        await resp.write_eof()
        return resp

    async def go() -> None:
        async with serving(chunked) as (url, peers), new_session() as session:
            first = await send(session, "POST", url, [], b"{}")
            second = await send(session, "POST", url, [], b"{}")
            for outcome in (first, second):
                attempt = outcome.attempt
                assert attempt.status == 202 and attempt.error is None
                assert attempt.response_excerpt == "one two three"
                assert attempt.response_size == len("one two three")
            assert len(set(peers)) == 1

    asyncio.run(go())


def test_connection_close_from_the_target_means_a_new_connection_next_time() -> None:
    async def closing(request: web.BaseRequest) -> web.Response:
        await request.read()
        return web.Response(text="bye", headers={"Connection": "close"})

    async def go() -> None:
        async with serving(closing) as (url, peers), Client() as client:
            for _ in range(3):
                answer = await client.request("GET", url, [], b"")
                assert (answer.status, answer.body) == (200, b"bye")
            assert len(set(peers)) == 3

    asyncio.run(go())


def test_a_connection_the_target_closed_while_idle_is_not_reused() -> None:
    async def go() -> None:
        async with serving(ok, keepalive=0.1) as (url, peers), Client() as client:
            await client.request("POST", url, [], b"1")
            await asyncio.sleep(0.4)  # the server drops the idle connection meanwhile
            answer = await client.request("POST", url, [], b"2")
            assert answer.body == b"got 2"
            assert len(set(peers)) == 2

    asyncio.run(go())


def test_a_target_that_closes_mid_answer_is_an_error_not_a_short_body() -> None:
    async def cut(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse()
        resp.content_length = 1000
        await resp.prepare(request)
        await resp.write(b"only this much")
        await asyncio.sleep(0.05)
        assert request.transport is not None
        request.transport.close()
        return resp

    async def go() -> None:
        async with serving(cut) as (url, _), new_session() as session:
            outcome = await send(session, "POST", url, [], b"{}")
        attempt = outcome.attempt
        assert attempt.status is None
        assert attempt.error == f"{url} closed the connection in the middle of its answer"
        assert outcome.retryable

    asyncio.run(go())


def test_a_target_that_closes_without_answering() -> None:
    async def drop(request: web.BaseRequest) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(0.05)
        return web.Response()

    async def go() -> None:
        async with serving(drop) as (url, _), new_session() as session:
            outcome = await send(session, "POST", url, [], b"{}")
        assert outcome.attempt.error == f"{url} closed the connection without answering"

    asyncio.run(go())


def test_timeout_ends_the_exchange_and_says_the_limit() -> None:
    async def stuck(request: web.BaseRequest) -> web.Response:
        await asyncio.sleep(3)
        return web.Response()

    async def go() -> None:
        async with serving(stuck) as (url, _), new_session(timeout=30) as session:
            start = time.monotonic()
            outcome = await send(session, "POST", url, [], b"{}", timeout=0.3)
            took = time.monotonic() - start
        assert outcome.attempt.error == f"no answer from {url} within 0.3 s (--timeout)"
        assert 0.3 <= took < 1.5

    asyncio.run(go())


def test_a_huge_body_is_excerpted_without_being_read_whole() -> None:
    huge = b"y" * (20 * 1024 * 1024)

    async def big(request: web.BaseRequest) -> web.Response:
        await request.read()
        return web.Response(body=huge)

    async def big_chunked(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(20):
            await resp.write(b"z" * (1024 * 1024))
        return resp

    async def go() -> None:
        for handler, size in ((big, len(huge)), (big_chunked, None)):
            async with serving(handler) as (url, _), new_session() as session:
                start = time.monotonic()
                outcome = await send(session, "GET", url, [], b"")
                assert time.monotonic() - start < 5
                attempt = outcome.attempt
                assert attempt.status == 200
                assert len(attempt.response_excerpt) == EXCERPT_BYTES
                assert attempt.response_size == size
                after = await send(session, "GET", url, [], b"")  # the client is still usable
                assert after.attempt.status == 200

    asyncio.run(go())


def test_head_and_204_answers_have_no_body_to_wait_for() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        if request.method == "HEAD":
            return web.Response(body=b"x" * 500)  # Content-Length: 500, no body sent
        return web.Response(status=204)

    async def go() -> None:
        async with serving(handler) as (url, peers), Client(timeout=2) as client:
            head = await client.request("HEAD", url, [], b"")
            assert (head.status, head.body, head.content_length) == (200, b"", 500)
            empty = await client.request("DELETE", url, [], b"")
            assert (empty.status, empty.body) == (204, b"")
            assert len(set(peers)) == 1

    asyncio.run(go())


def test_header_bytes_go_out_as_given_order_case_duplicates() -> None:
    seen: list[list[tuple[bytes, bytes]]] = []

    async def record(request: web.BaseRequest) -> web.Response:
        seen.append(list(request.raw_headers))
        return web.Response()

    async def go() -> None:
        headers = [(b"x-Dup", b"a"), (b"Content-Type", b"text/plain"), (b"X-DUP", b"b\xe9")]
        async with serving(record) as (url, _), Client() as client:
            await client.request("POST", url + "/p?q=1", headers, b"body")
        host = url.removeprefix("http://").encode()
        assert seen[0] == [(b"Host", host), *headers, (b"Content-Length", b"4")]

    asyncio.run(go())


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent() -> None:
    async def go() -> None:
        async with serving(ok) as (url, peers), new_session() as session:
            outcome = await send(session, "POST", url, [("X-A", "1\r\nX-Injected: 1")], b"")
            assert peers == []
        assert outcome.attempt.error == f"cannot send to {url}: header 'X-A' has a line break in it"
        assert not outcome.retryable

    asyncio.run(go())
