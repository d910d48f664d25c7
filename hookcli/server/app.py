"""The catch server: an aiohttp catch-all that records every request byte-exact.

A request is answered only after its capture is in the store, and by default on stable
storage. Requests that arrive together are committed together (one lock, one write per
file, one fsync: see commit.py), which keeps the per-request cost of durability low under
load.

Never silent: every request not recorded (refused by the HTTP parser, over the size limit,
stalled, cut off, still arriving when the server stops) becomes one `refused` event, and
running out of file descriptors one rate-limited `warning` event instead of asyncio's
tracebacks."""

from __future__ import annotations

import ast
import asyncio
import errno
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadStatusLine, InvalidURLError
from multidict import CIMultiDict

from hookcli.model import headers as hdrs
from hookcli.model.capture import Capture
from hookcli.server.answering import Answering, Planned
from hookcli.server.commit import GroupCommit
from hookcli.server.fastpath import Answers, Done, FastServer, HeaderList, answerable
from hookcli.store import Store

#: what aiohttp's "out of system resource" accept errors carry
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: at most one descriptor-limit warning this often (seconds)
LIMIT_WARNING_EVERY = 30.0
#: on stop, requests still arriving get this long to finish, then as long again to unwind
SHUTDOWN_GRACE = 0.5
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


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
    fsync: bool = True  # answer after the capture is on stable storage, not only written
    keep: int | None = None  # retention: at most this many captures in the store
    fast_path: bool = True  # plain requests skip aiohttp's request handling (fastpath.py)


@dataclass
class Event:
    """What the server tells its caller: `captured`, `refused` (413/408/400, or no answer
    when the sender is gone), `error` (the store failed), `warning` (the server itself is
    short of something, e.g. file descriptors)."""

    kind: str
    capture: Capture | None = None
    method: str = ""
    target: str = ""
    size: int | None = None
    status: int | None = None
    detail: str = ""


Classifier = Callable[[Capture], None]
Listener = Callable[[list[Event]], None]


class CatchServer:
    def __init__(
        self,
        store: Store,
        options: ServerOptions,
        on_events: Listener,
        classify: Classifier | None = None,
        answering: Answering | None = None,
    ):
        self.store = store
        self.options = options
        self.on_events = on_events
        self.classify = classify
        #: handshakes and scripted failures; None when there are none to look for
        self.answering = answering if answering else None
        #: the fast path's planned answers, by id() of their capture, until answered
        self._planned: dict[int, Planned] = {}
        self.after_capture: list[Callable[[Capture], None]] = []
        self._commit = GroupCommit(
            store,
            fsync=options.fsync,
            keep=options.keep,
            on_committed=lambda caps: on_events([Event("captured", capture=c) for c in caps]),
            on_problem=lambda text: on_events([Event("warning", detail=text)]),
        )
        self._runner: web.ServerRunner | None = None
        self._answer_headers = _answer_headers(options)
        self._answers = Answers(options.status, self._answer_headers)
        self._not_recorded = Answers(500, [("Content-Type", "application/json; charset=utf-8")])
        self._limit_warned_at: float | None = None
        self._previous_loop_handler: Any = None
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

        common: dict[str, Any] = {
            "request_factory": make_request,
            "auto_decompress": False,
            "access_log": None,
            "logger": self._parser_errors(),
        }
        server: web.Server
        if self.options.fast_path and answerable(self.options.status, self._answer_headers):
            server = FastServer(
                self._handle,
                record=self._record,
                answer=self._fast_answer,
                delay=self.options.delay,
                max_body=max_size,
                **common,
            )
        else:
            server = web.Server(self._handle, **common)
        self._runner = web.ServerRunner(
            server, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE
        )
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
        self._previous_loop_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._loop_error)
        self._commit.compact_if_due()  # a store left full of deleted captures
        return self.url

    def _parser_errors(self) -> logging.Logger:
        """aiohttp logs requests its parser refuses (a bad header, broken chunk framing, a
        body cut short) with a traceback, and the first request of a connection only at
        debug level when its method is unknown; route them all to one `refused` event each."""
        logger = logging.getLogger(f"hookcli.server.{id(self)}")
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        logger.handlers = [_RefusalHandler(self.on_events)]
        return logger

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """At the descriptor limit asyncio reports each failed accept() with a traceback
        (and retries a second later by itself): one warning line every so often instead."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
            now = loop.time()
            if self._limit_warned_at is None or now - self._limit_warned_at >= LIMIT_WARNING_EVERY:
                self._limit_warned_at = now
                self.on_events([Event("warning", detail=_limit_message(exc))])
            return
        if self._previous_loop_handler is not None:
            self._previous_loop_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    async def stop(self) -> None:
        """Stop accepting, give requests still arriving SHUTDOWN_GRACE to finish, then cut
        them off (each reported as not recorded) and flush what is pending: about a second
        at most, whatever the senders do."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            loop = asyncio.get_running_loop()
            if loop.get_exception_handler() == self._loop_error:
                loop.set_exception_handler(self._previous_loop_handler)
        await self._commit.close()

    # -- request handling -------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        opts = self.options
        method = request.method
        target = request.raw_path
        declared = request.content_length
        if declared is not None and declared > opts.max_body_size:
            # with `Expect: 100-continue` this is the answer the client waits for
            return self._refuse(method, target, declared, 413, "body over --max-body-size")
        content = request.content
        try:
            if content.is_eof():  # the whole body came with the headers
                body = await request.read()
            else:
                if request.version >= (1, 1) and "Expect" in request.headers:
                    await self._continue(request)
                async with asyncio.timeout(opts.body_timeout):
                    body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            # only a chunked body gets here (a declared length is checked above): the size
            # given is what had arrived when it went over
            return self._refuse(
                method, target, content.total_bytes, 413, "chunked body over --max-body-size"
            )
        except TimeoutError:
            return self._refuse(method, target, None, 408, "sender stalled mid-body")
        except ConnectionError:
            return self._refuse(method, target, None, None, "sender disconnected mid-body")
        except asyncio.CancelledError:  # the server is stopping: say so, then unwind
            self._refuse(method, target, None, None, "listener stopped before the body arrived")
            raise
        except Exception as e:  # a malformed body (bad chunk framing, ...): one line, no trace
            return self._refuse(method, target, None, 400, f"unreadable body ({e})")
        version = request.version
        headers, encoding = hdrs.decode_raw(request.raw_headers)
        capture = self._capture(
            method,
            target,
            headers,
            body,
            request.remote,
            encoding,
            f"{version.major}.{version.minor}",
        )
        planned = self.answering.plan(capture) if self.answering is not None else None
        try:
            await self._commit.commit(capture)
        except Exception as e:  # the store failed: say so, never pretend it was recorded
            self.on_events([Event("error", method=method, target=target, detail=str(e))])
            return web.json_response({"ok": False, "error": "not recorded"}, status=500)
        for hook in self.after_capture:
            hook(capture)
        if opts.delay:
            await asyncio.sleep(opts.delay)
        if planned is not None:
            return web.Response(
                status=planned.status,
                body=Answering.body(capture, planned),
                headers=CIMultiDict(planned.headers),
            )
        return web.Response(
            status=opts.status,
            body=self._answer_body(capture),
            headers=CIMultiDict(self._answer_headers),
        )

    def _capture(
        self,
        method: str,
        target: str,
        headers: HeaderList,
        body: bytes,
        remote: str | None,
        encoding: str = hdrs.UTF8,
        version: str = "1.1",
    ) -> Capture:
        path, _, query = target.partition("?")
        capture = Capture(
            method=method,
            path=path,
            query=query,
            headers=headers,
            headers_encoding=encoding,
            body=body,
            http_version=version,
            remote_addr=remote,
            response={"status": self.options.status},
        )
        if self.classify is not None:
            self.classify(capture)
        return capture

    def _record(
        self,
        method: str,
        target: str,
        headers: HeaderList,
        body: bytes,
        remote: str | None,
        done: Done,
    ) -> None:
        """The fast path's request (plain ASCII headers, HTTP/1.1): capture and commit it,
        then DONE."""
        capture = self._capture(method, target, headers, body, remote)
        if self.answering is not None:
            planned = self.answering.plan(capture)
            if planned is not None:
                self._planned[id(capture)] = planned
        self._commit.submit(capture, done)

    def _fast_answer(self, capture: Capture, error: BaseException | None) -> bytes:
        """The fast path's answer, as `_handle` gives it."""
        planned = self._planned.pop(id(capture), None) if self._planned else None
        if error is not None:
            self.on_events(
                [Event("error", method=capture.method, target=capture.target, detail=str(error))]
            )
            return self._not_recorded(b'{"ok": false, "error": "not recorded"}')
        for hook in self.after_capture:
            hook(capture)
        if planned is not None:
            return Answers(planned.status, planned.headers)(Answering.body(capture, planned))
        return self._answers(self._answer_body(capture))

    @staticmethod
    async def _continue(request: web.BaseRequest) -> None:
        """`Expect: 100-continue`: the client waits for this before sending the body (curl
        a second, some clients forever). aiohttp's router answers it, its low-level server
        does not. Other expectations are recorded as sent, not refused."""
        if request.headers.get("Expect", "").strip().lower() == "100-continue":
            await request.writer.write(_CONTINUE)
            request.writer.output_size = 0  # the answer proper has not started yet

    def _answer_body(self, capture: Capture) -> bytes:
        body = self.options.response_body
        return b'{"ok": true, "id": %d}' % capture.id if body is None else body

    def _refuse(
        self, method: str, target: str, size: int | None, status: int | None, why: str
    ) -> web.Response:
        """Say why a request was not recorded; answer STATUS (None: nobody is listening)."""
        ev = Event("refused", method=method, target=target, size=size, status=status, detail=why)
        self.on_events([ev])
        resp = web.json_response({"ok": False, "error": why}, status=status or 400)
        resp.force_close()
        return resp


class _RefusalHandler(logging.Handler):
    def __init__(self, on_events: Listener):
        super().__init__(logging.DEBUG)
        self.on_events = on_events

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None and record.levelno < logging.WARNING:
            return  # aiohttp's debug chatter (only in asyncio debug mode), not a refusal
        # aiohttp's parser errors carry the offending raw line after the first line: keep
        # only the reason ("Invalid header value char"), and the method and target when
        # the line is the request line
        text = str(getattr(exc, "message", None) or exc or record.getMessage())
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        detail = lines[0].rstrip(":") if lines else type(exc).__name__
        method, target = _request_line(exc, lines[1:])
        status = getattr(exc, "code", None)
        self.on_events(
            [
                Event(
                    "refused",
                    method=method,
                    target=target,
                    status=status if isinstance(status, int) else 400,
                    detail=detail,
                )
            ]
        )


def _request_line(exc: BaseException | None, rest: list[str]) -> tuple[str, str]:
    """(method, target) from the raw request line aiohttp quotes in a request-line error
    (`b'FOO /m HTTP/1.1'`), or ("", "") when the error is about something else."""
    if not isinstance(exc, BadStatusLine | InvalidURLError) or not rest:
        return "", ""
    try:
        raw = ast.literal_eval(rest[0])
    except (ValueError, SyntaxError):
        return "", ""
    if not isinstance(raw, bytes):
        return "", ""
    parts = raw.split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
        return "", ""
    return (
        parts[0].decode("utf-8", errors="backslashreplace"),
        parts[1].decode("utf-8", errors="backslashreplace"),
    )


def _limit_message(exc: OSError) -> str:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    what = "file descriptors" if exc.errno in (errno.EMFILE, errno.ENFILE) else "memory"
    return (
        f"out of {what} ({exc.strerror}; open-file limit {soft}): new connections wait "
        "until others close"
    )


def _answer_headers(opts: ServerOptions) -> list[tuple[str, str]]:
    """The configured answer's headers, with a Content-Type unless one was given."""
    headers = list(opts.response_headers)
    if not any(k.lower() == "content-type" for k, _ in headers):
        body = opts.response_body
        ctype = "application/json" if body is None else _guess_type(body)
        headers.insert(0, ("Content-Type", ctype))
    return headers


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
            **c.summary(source=False, cut=False),
            **({"response": c.response} if len(c.response) > 1 else {}),
        }
    return {
        "event": event.kind,
        "method": event.method,
        "target": event.target,
        "size": event.size,
        "status": event.status,
        "detail": event.detail,
    }
