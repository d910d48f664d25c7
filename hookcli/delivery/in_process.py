"""Hand a prepared request to an ASGI or WSGI app in this process, without a socket, as a
server would hand it over, and read the app's whole answer: the pytest harness's `app=`.

Why this is not part of the HTTP client (http1.py, which the harness uses for a URL, as
replay and forwarding do): no bytes go over any wire here. A server's side is played
instead: the request becomes a WSGI environ or an ASGI scope and messages, and the app's
answer comes back as Python values, so there is nothing to write, frame or parse. What
it shares with the client is the result, the same `Answer`, and the header bytes an app
sees: the capture's, in its `headers_encoding`, as the client would send them."""

from __future__ import annotations

import asyncio
import inspect
import io
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes, urlsplit

from hookcli.delivery.prepare import Outgoing, end_to_end, host_header
from hookcli.delivery.response import Answer, RawHeaders
from hookcli.errors import HookcliError
from hookcli.model import headers as hdrs

_BODY_METHODS = ("POST", "PUT", "PATCH")
T = TypeVar("T")


def _app_headers(out: Outgoing) -> list[tuple[bytes, bytes]]:
    """The header bytes an app sees from a server: Host first, the request's end-to-end
    headers in order (in the capture's `headers_encoding`), then Content-Length."""
    headers = [(b"Host", host_header(out.url).encode("ascii"))]
    headers += hdrs.encode(end_to_end(out.headers), out.headers_encoding)
    if out.body or out.method in _BODY_METHODS:
        headers.append((b"Content-Length", str(len(out.body)).encode("ascii")))
    return headers


def is_asgi(app: Any) -> bool:
    """ASGI apps are coroutine functions (or objects with one as __call__); WSGI apps are
    plain callables."""
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(
        getattr(app, "__call__", None)  # noqa: B004 - the method, not callable()
    )


def call(app: Any, out: Outgoing) -> Answer:
    """OUT handed to APP (ASGI or WSGI) as a server would hand it; the whole answer.
    Exceptions the app raises reach the caller, as in a test client."""
    return _asgi(app, out) if is_asgi(app) else _wsgi(app, out)


def _server(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "localhost", parts.port or (443 if parts.scheme == "https" else 80)


def _wsgi(app: Callable[..., Iterable[bytes]], out: Outgoing) -> Answer:
    parts = urlsplit(out.url)
    host, port = _server(out.url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": out.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme,
        "wsgi.input": io.BytesIO(out.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in _app_headers(out):
        key = name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")  # PEP 3333: header bytes as latin-1 text
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = text
            continue
        key = "HTTP_" + key
        # repeated headers are joined, as servers do
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return lambda data: chunks.append(data)

    chunks: list[bytes] = []
    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise HookcliError("the WSGI app returned without calling start_response")
    # PEP 3333: header text stands for its latin-1 bytes
    return _answer(int(str(started[0]).split()[0]), hdrs.encode(started[1], hdrs.LATIN1), chunks)


def _asgi(app: Callable[..., Awaitable[None]], out: Outgoing) -> Answer:
    parts = urlsplit(out.url)
    path_bytes = (parts.path or "/").encode("ascii", "surrogateescape")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": out.method,
        "scheme": parts.scheme,
        "path": unquote_to_bytes(path_bytes).decode("utf-8", "replace"),
        "raw_path": path_bytes,
        "query_string": parts.query.encode("ascii", "surrogateescape"),
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in _app_headers(out)],
        "client": ("127.0.0.1", 50000),
        "server": _server(out.url),
        "state": {},
    }
    answer: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def run() -> None:
        done = asyncio.Event()
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": out.body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()

        await app(scope, receive, send)

    run_to_end(run)
    if "status" not in answer:
        raise HookcliError("the ASGI app returned without sending http.response.start")
    return _answer(answer["status"], answer["headers"], chunks)


def _answer(status: int, headers: RawHeaders, chunks: list[bytes]) -> Answer:
    """The same Answer the HTTP client gives: raw header bytes, the whole body, the
    Content-Length the app set (None when it set none)."""
    length = next((v for k, v in headers if k.lower() == b"content-length"), b"")
    return Answer(status, headers, b"".join(chunks), int(length) if length.isdigit() else None)


def run_to_end(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end from synchronous code and return its result, also when
    called inside a running event loop (an async test): then in a thread with a loop of
    its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as e:
            error.append(e)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
