"""The pytest harness over HTTP goes through the same client as replay and forwarding
(delivery/client.py `fetch` over http1.py), against real servers on loopback: the whole
answer comes back (not replay's excerpt), from plain and from async tests, failures in
replay's words; and an app called in-process answers as the same app over HTTP would."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiohttp import web

from hookcli.errors import HookcliError
from hookcli.harness import Event, Harness
from hookcli.model.capture import EXCERPT_BYTES, Capture
from tests.receiver import Receiver

BIG = bytes(range(256)) * (4 * EXCERPT_BYTES // 256 + 7)  # several excerpts long


def event() -> Event:
    """A request with no provider: sent as it is, no secret needed."""
    return Event(Capture("POST", "/hooks/x", "a=1", [("Content-Type", "text/plain")], b"hi"))


def test_over_http_the_whole_body_comes_back() -> None:
    receiver = Receiver(body=BIG, headers={"X-Big": "yes"}).start()
    try:
        response = Harness().send(event(), receiver.url)
    finally:
        receiver.stop()
    assert response.status == 200
    assert response.body == BIG
    assert response.headers["x-big"] == "yes"
    assert response.headers["Content-Length"] == str(len(BIG))
    (seen,) = receiver.seen
    assert (seen.method, seen.path_qs, seen.body) == ("POST", "/hooks/x?a=1", b"hi")


@contextmanager
def serving(handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]) -> Iterator[str]:
    """HANDLER behind an aiohttp low-level server on loopback, on a loop in its own thread
    (so that a test's own running loop may block on send()); yields the base URL."""
    loop = asyncio.new_event_loop()
    runner = web.ServerRunner(web.Server(handler, access_log=None, loop=loop), handle_signals=False)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(runner.cleanup())
        loop.close()


def test_a_chunked_answer_is_read_to_its_end_also_from_an_async_test() -> None:
    async def chunked(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(BIG), 5000):
            await response.write(BIG[start : start + 5000])
        await response.write_eof()
        return response

    async def in_async_test(url: str) -> bytes:
        """send() called while the test's loop runs: the client gets a loop of its own."""
        return Harness().send(event(), url).body

    with serving(chunked) as url:
        plain = Harness().send(event(), url)
        inside = asyncio.run(in_async_test(url))
    assert (plain.status, plain.body, inside) == (200, BIG, BIG)
    assert "Content-Length" not in plain.headers


def test_failures_are_replays_sentences() -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)

    thread = threading.Thread(target=hang_up)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with pytest.raises(HookcliError) as caught:
            Harness().send(event(), url)
    finally:
        thread.join(10)
        listener.close()
    assert str(caught.value) == f"{url} closed the connection without answering"

    held = Receiver(held=True).start()
    try:
        with pytest.raises(
            HookcliError, match=re.escape(f"no answer from {held.url} within 0.3 s")
        ):
            Harness().send(event(), held.url, timeout=0.3)
    finally:
        held.release()
        held.stop()


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers as the Receiver below does: the same status, header and body."""
    await receive()
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [(b"x-name", "café ☕".encode()), (b"content-length", b"5")],
        }
    )
    await send({"type": "http.response.body", "body": b"hello"})


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    # PEP 3333: header values are latin-1 text standing for their bytes
    name = "café ☕".encode().decode("latin-1")
    start_response("202 Accepted", [("X-Name", name), ("Content-Length", "5")])
    return [b"hello"]


def test_in_process_and_over_http_give_the_same_answer() -> None:
    receiver = Receiver(status=202, body=b"hello", headers={"X-Name": "café ☕"}).start()
    try:
        over_http = Harness().send(event(), receiver.url)
    finally:
        receiver.stop()
    for app in (asgi_app, wsgi_app):
        in_process = Harness().send(event(), app=app)
        assert (in_process.status, in_process.body) == (over_http.status, over_http.body)
        assert in_process.headers["X-Name"] == over_http.headers["X-Name"] == "café ☕"
        assert in_process.headers["Content-Length"] == "5"
