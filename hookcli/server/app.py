"""The catch server: an aiohttp catch-all that records every request byte-exact.

A request is answered only after its capture is in the store. Requests that arrive in
the same turn of the event loop are committed together (one lock, one write per file),
which keeps the per-request cost of durability low under load."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from hookcli.model.capture import Capture
from hookcli.store import Store


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 9000
    status: int = 200
    response_body: bytes | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    max_body_size: int = 25 * 1024 * 1024
    body_timeout: float = 60.0  # a sender that stalls mid-body gets 408 after this


@dataclass
class Event:
    """What the server tells its caller: `captured`, `refused` (413/408/400), `error`."""

    kind: str
    capture: Capture | None = None
    method: str = ""
    target: str = ""
    size: int | None = None
    status: int | None = None
    detail: str = ""


Classifier = Callable[[Capture], None]
Listener = Callable[[list[Event]], None]


def _decode_header(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class CatchServer:
    def __init__(
        self,
        store: Store,
        options: ServerOptions,
        on_events: Listener,
        classify: Classifier | None = None,
    ):
        self.store = store
        self.options = options
        self.on_events = on_events
        self.classify = classify
        self.after_capture: list[Callable[[Capture], None]] = []
        self._pending: list[tuple[Capture, asyncio.Future[int]]] = []
        self._flush_scheduled = False
        self._runner: web.ServerRunner | None = None
        self._answer_headers: list[tuple[str, str]] | None = None
        self.url = ""

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> str:
        # aiohttp's low-level server: a catch-all needs no router, app or middlewares,
        # and skipping them is a measurable share of the per-request cost
        loop = asyncio.get_running_loop()
        max_size = self.options.max_body_size

        def make_request(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=max_size
            )

        server = web.Server(
            self._handle,
            request_factory=make_request,
            auto_decompress=False,
            access_log=None,
            logger=self._parser_errors(),
        )
        self._runner = web.ServerRunner(server, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            raise
        host, port = self._runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        return self.url

    def _parser_errors(self) -> logging.Logger:
        """aiohttp logs requests its parser refuses (a bad header, broken chunk framing, a
        body cut short) with a traceback; route them to one `refused` event each instead."""
        logger = logging.getLogger(f"hookcli.server.{id(self)}")
        logger.propagate = False
        logger.setLevel(logging.WARNING)
        logger.handlers = [_RefusalHandler(self.on_events)]
        return logger

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._flush()

    # -- request handling -------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        opts = self.options
        method = request.method
        target = request.raw_path
        declared = request.content_length
        if declared is not None and declared > opts.max_body_size:
            return self._refuse(method, target, declared, 413, "body over --max-body-size")
        try:
            if request.content.is_eof():  # the whole body came with the headers
                body = await request.read()
            else:
                async with asyncio.timeout(opts.body_timeout):
                    body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(method, target, None, 413, "body over --max-body-size")
        except TimeoutError:
            return self._refuse(method, target, None, 408, "sender stalled mid-body")
        except ConnectionError:
            return self._refuse(method, target, None, None, "sender disconnected mid-body")
        except Exception as e:  # a malformed body (bad chunk framing, ...): one line, no trace
            return self._refuse(method, target, None, 400, f"unreadable body ({e})")
        path, _, query = target.partition("?")
        version = request.version
        capture = Capture(
            method=method,
            path=path,
            query=query,
            headers=[(_decode_header(k), _decode_header(v)) for k, v in request.raw_headers],
            body=body,
            http_version=f"{version.major}.{version.minor}",
            remote_addr=request.remote,
            response={"status": opts.status},
        )
        if self.classify is not None:
            self.classify(capture)
        try:
            await self._commit(capture)
        except Exception as e:  # the store failed: say so, never pretend it was recorded
            self.on_events([Event("error", method=method, target=target, detail=str(e))])
            return web.json_response({"ok": False, "error": "not recorded"}, status=500)
        for hook in self.after_capture:
            hook(capture)
        if opts.delay:
            await asyncio.sleep(opts.delay)
        return self._answer(capture)

    def _answer(self, capture: Capture) -> web.Response:
        """The configured answer; its headers are worked out once (this runs per request)."""
        opts = self.options
        if self._answer_headers is None:
            headers = list(opts.response_headers)
            if not any(k.lower() == "content-type" for k, _ in headers):
                body = opts.response_body
                ctype = "application/json" if body is None else _guess_type(body)
                headers.insert(0, ("Content-Type", ctype))
            self._answer_headers = headers
        if opts.response_body is None:
            body = b'{"ok": true, "id": %d}' % capture.id
        else:
            body = opts.response_body
        return web.Response(
            status=opts.status, body=body, headers=CIMultiDict(self._answer_headers)
        )

    def _refuse(
        self, method: str, target: str, size: int | None, status: int | None, why: str
    ) -> web.Response:
        """Say why a request was not recorded; answer STATUS (None: nobody is listening)."""
        ev = Event("refused", method=method, target=target, size=size, status=status, detail=why)
        self.on_events([ev])
        resp = web.json_response({"ok": False, "error": why}, status=status or 400)
        resp.force_close()
        return resp

    # -- group commit -----------------------------------------------------------------------

    async def _commit(self, capture: Capture) -> int:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((capture, fut))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await fut

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        self._flush_scheduled = False
        if not batch:
            return
        try:
            self.store.add([c for c, _ in batch])
        except Exception as e:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            return
        for cap, fut in batch:
            if not fut.done():
                fut.set_result(cap.id)
        self.on_events([Event("captured", capture=c) for c, _ in batch])


class _RefusalHandler(logging.Handler):
    def __init__(self, on_events: Listener):
        super().__init__(logging.WARNING)
        self.on_events = on_events

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        # aiohttp's parser errors carry the offending raw line after the first line: keep
        # only the reason ("Invalid header value char"), not request bytes
        text = str(getattr(exc, "message", None) or exc or record.getMessage())
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        detail = lines[0].rstrip(":") if lines else type(exc).__name__
        status = getattr(exc, "code", None)
        self.on_events(
            [Event("refused", status=status if isinstance(status, int) else 400, detail=detail)]
        )


def _guess_type(body: bytes) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


def describe(event: Event) -> dict[str, Any]:
    """The JSON line `listen --json` prints for EVENT."""
    if event.kind == "captured" and event.capture is not None:
        c = event.capture
        return {
            "event": "captured",
            "id": c.id,
            "received_at": c.received_at,
            "method": c.method,
            "path": c.path,
            "query": c.query,
            "body_size": c.body_size,
            "provider": c.provider,
            "event_type": c.event_type,
            "signature": c.signature,
        }
    return {
        "event": event.kind,
        "method": event.method,
        "target": event.target,
        "size": event.size,
        "status": event.status,
        "detail": event.detail,
    }
