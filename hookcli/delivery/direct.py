"""Send one prepared request synchronously and read the whole answer: over HTTP, or
in-process to an ASGI or WSGI app without a socket. For the pytest plugin.

`client.py` (over `http1.py`) is the sender of replay and forward: asynchronous, with
retries, and it keeps only an excerpt of each answer for the record. A test wants none of
that: it calls from plain synchronous code (or from inside a running event loop, which
cannot nest), needs the full body to assert on, and, with `app=`, no network at all. The
HTTP path is `send_bytes`, on `http.client`, which writes header bytes exactly as given
(order, case, duplicates, bytes that are not UTF-8), as `http1.py` does."""

from __future__ import annotations

import asyncio
import http.client
import inspect
import io
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from hookcli.delivery.prepare import Outgoing, end_to_end, host_header
from hookcli.errors import HookcliError
from hookcli.model import headers as hdrs

_BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def send_bytes(
    method: str,
    url: str,
    headers: Sequence[tuple[bytes, bytes]],
    body: bytes,
    timeout: float | None,
    insecure: bool = False,
    read_limit: int | None = None,
) -> tuple[int, list[tuple[bytes, bytes]], bytes, int | None]:
    """One blocking request with the standard library, which writes header bytes as given
    (Host and Content-Length are added). Returns (status, raw headers, the body or its
    first READ_LIMIT bytes, Content-Length). Raises what the connection raises."""
    parts = urlsplit(url)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        ctx = ssl.create_default_context()
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout or None, context=ctx
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout or None)
    try:
        conn.putrequest(method, _target(url), skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host_header(url))
        for name, value in headers:
            conn.putheader(name.decode("latin-1"), value)
        if body or method.upper() in _BODY_METHODS:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        resp = conn.getresponse()
        data = resp.read(read_limit)
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.getheaders()]
        length = resp.getheader("Content-Length")
        return resp.status, raw, data, int(length) if length and length.isdigit() else None
    finally:
        conn.close()


def over_http(out: Outgoing, timeout: float | None = 30.0) -> Answer:
    """OUT over a new connection; the whole answer. HookcliError, in replay's words, when
    there is none."""
    wire = hdrs.encode(end_to_end(out.headers), out.headers_encoding)
    try:
        status, raw, data, _ = send_bytes(out.method, out.url, wire, out.body, timeout)
    except Exception as e:
        from hookcli.delivery.client import describe_error

        raise HookcliError(describe_error(e, out.url, timeout)[0]) from None
    return Answer(status, hdrs.decode_raw(raw)[0], data)


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


def in_process(app: Any, out: Outgoing) -> Answer:
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
    return Answer(int(str(started[0]).split()[0]), list(started[1]), b"".join(chunks))


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
                answer["headers"] = [
                    (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                    for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()

        await app(scope, receive, send)

    _run_coroutine(run)
    if "status" not in answer:
        raise HookcliError("the ASGI app returned without sending http.response.start")
    return Answer(answer["status"], answer["headers"], b"".join(chunks))


def _run_coroutine(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to the end from synchronous code, also when called inside a running
    event loop (an async test): then in a thread with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    error: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(make())
        except BaseException as e:
            error.append(e)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
