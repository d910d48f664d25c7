"""The body of `hookcli listen`, kept apart so that aiohttp loads only when it runs."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hookcli.cli.common import REPAIR_HINT, open_store
from hookcli.cli.live_print import LinePrinter
from hookcli.delivery.prepare import public_url
from hookcli.delivery.routes import Routes
from hookcli.errors import HookcliError
from hookcli.model.escape import visible
from hookcli.model.units import human_size
from hookcli.server import forward
from hookcli.server.answering import Answering
from hookcli.server.app import CatchServer, Event, ServerOptions, describe
from hookcli.server.failures import Failures
from hookcli.server.forward import Forwarder, ForwardOptions
from hookcli.server.helpers.forward import ForwardHelper
from hookcli.server.helpers.forward_child import ForwardSetup
from hookcli.server.runner import Alongside, serve_until_signal
from hookcli.signing.classify import classify

if TYPE_CHECKING:
    from hookcli.store import Store
    from hookcli.tunnel import TunnelOptions

#: how a store error reads when the store's files are damaged (StoreCorrupt, store/log.py)
_UNREADABLE = " cannot be read: "
#: seconds pending forwards get once the server has stopped (which takes up to about a
#: second with stalled senders): the whole stop must stay within 2 s
FORWARD_GRACE = 0.5


@dataclass
class ListenConfig:
    host: str
    port: int
    status: int
    response_body: bytes | None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    max_body_size: int = 25 * 1024 * 1024
    read_timeout: float = 60.0
    secrets: dict[str, str] = field(default_factory=dict)
    keep: int | None = None  # None: the config's `keep`, else no limit
    fsync: bool = True
    store: Path | None = None
    json: bool = False
    tunnel: TunnelOptions | None = None
    forward: Routes | None = None
    forward_options: ForwardOptions = field(default_factory=ForwardOptions)
    handshakes: bool = True  # answer providers' endpoint-verification handshakes
    verify_token: str | None = None  # Meta's hub.verify_token, checked when given
    fail_first: int = 0
    fail_status: int = 500
    fail_rate: float = 0.0
    seed: int | None = None


class Printer(LinePrinter):
    """Turns server events into live lines (or JSON lines) on stdout, warnings on stderr."""

    def __init__(self, as_json: bool):
        super().__init__(as_json)
        self.public_url: str | None = None  # the tunnel's, once it is open

    def started(self, url: str, store_path: Path, routes: Routes | None) -> None:
        if self.as_json:
            ev: dict[str, object] = {"event": "listening", "url": url, "store": str(store_path)}
            if routes:
                ev["forward_to"] = [public_url(u) for u in routes.default]
                ev["routes"] = [
                    {**r.to_record(), "to": [public_url(u) for u in r.to]} for r in routes.routes
                ]
            self._emit(ev)
            if self.public_url:
                self._emit({"event": "tunnel", "public_url": self.public_url})
            return
        out = [f"Listening on {url}  (Ctrl-C to stop)", f"Store: {_home_short(store_path)}"]
        if self.public_url:
            out.append(f"Public URL: {self.public_url}  → {url}")
        if routes:
            out += [
                f"Route {visible(r.event)} → {', '.join(map(public_url, r.to))}"
                for r in routes.routes
            ]
            if routes.default:
                rest = "Everything else" if routes.routes else "Forwarding"
                out.append(f"{rest} → {', '.join(map(public_url, routes.default))}")
        sys.stdout.write("\n".join(self.lines.prose(line) for line in out) + "\n")
        sys.stdout.flush()

    def events(self, events: list[Event]) -> None:
        out = sys.stdout
        for ev in events:
            if ev.kind == "captured" and ev.capture is not None:
                if self.as_json:
                    out.write(json.dumps(describe(ev), ensure_ascii=False) + "\n")
                else:
                    out.write(self.lines.captured(ev.capture) + "\n")
                continue
            if self.as_json:
                out.write(json.dumps(describe(ev), ensure_ascii=False) + "\n")
            if ev.kind == "warning":  # about the server itself, not one request
                sys.stderr.write(self.warn.warning(ev.detail) + "\n")
                sys.stderr.flush()
                continue
            detail = ev.detail
            if _UNREADABLE in detail:  # the store is damaged: say how to mend it
                detail += f"; {REPAIR_HINT}"
            size = f" ({human_size(ev.size)})" if ev.size is not None else ""
            what = f"{visible(ev.method)} {visible(ev.target)}{size}" if ev.method else "a request"
            status = f": answered {ev.status}" if ev.status else ""
            sys.stderr.write(self.warn.warning(f"{what} not recorded, {detail}{status}") + "\n")
            sys.stderr.flush()
        out.flush()


def _home_short(path: Path) -> str:
    """PATH with the home directory written `~`, as a shell user reads it."""
    home = str(Path.home())
    text = str(path)
    if home not in ("", "/") and (text == home or text.startswith(home + "/")):
        return "~" + text[len(home) :]
    return text


def run(cfg: ListenConfig) -> None:
    store = open_store(cfg.store)
    store.check()  # opens (and if need be repairs) the store before binding the port
    keep = cfg.keep
    if keep is None:
        from hookcli import config

        keep = config.load().keep
    if keep is not None:
        store.retain(keep)  # a store holding more than --keep shrinks now, not later
    printer = Printer(cfg.json)
    options = ServerOptions(
        host=cfg.host,
        port=cfg.port,
        status=cfg.status,
        response_body=cfg.response_body,
        response_headers=cfg.response_headers,
        delay=cfg.delay,
        max_body_size=cfg.max_body_size,
        body_timeout=cfg.read_timeout,
        fsync=cfg.fsync,
        keep=keep,
    )
    secrets = cfg.secrets
    failures = Failures(cfg.fail_first, cfg.fail_status, cfg.fail_rate, cfg.seed)
    answering = Answering(cfg.handshakes, secrets, cfg.verify_token, failures)
    server = CatchServer(store, options, printer.events, lambda c: classify(c, secrets), answering)
    routes = cfg.forward
    tunnel = with_tunnel(cfg.tunnel, printer) if cfg.tunnel else None

    async def serve() -> None:
        forwarder = None
        if routes:
            forwarder = forwarding(routes, store, cfg, printer)
            server.after_capture.append(forwarder.submit)

        async def check(url: str) -> None:
            if routes:
                forward.check_not_self(routes, url)
            if forwarder is not None:
                await forwarder.ready()

        try:
            await serve_until_signal(
                server, lambda url: printer.started(url, store.root, routes), check, tunnel
            )
        finally:
            if forwarder is not None:
                await forwarder.close(FORWARD_GRACE)

    try:
        asyncio.run(serve())
    except OSError as e:
        problem = bind_problem(e, cfg.host, cfg.port)
        if problem is None:
            raise
        raise problem from None
    finally:
        store.close()


def forwarding(routes: Routes, store: Store, cfg: ListenConfig, printer: Printer) -> ForwardHelper:
    """--forward-to and routes: forwarded by a helper process (server/helpers/forward.py),
    or in this process's event loop if the helper cannot run."""

    def in_loop() -> Forwarder:
        fwd = Forwarder(routes, store, printer.forwarded, cfg.forward_options, printer.warning)
        fwd.start()
        return fwd

    setup = ForwardSetup(store.root, cfg.json, routes, cfg.forward_options, FORWARD_GRACE)
    helper = ForwardHelper(setup, in_loop, printer.warning)
    helper.start()
    return helper


def with_tunnel(options: TunnelOptions, printer: Printer) -> Alongside:
    """--tunnel: an ngrok tunnel beside the server, its public URL announced with it."""
    from hookcli.tunnel import open_tunnel

    @contextlib.asynccontextmanager
    async def tunnel(url: str) -> AsyncIterator[None]:
        # a person at a terminal hears at once that the agent is starting; a pipe does not
        progress = printer.note if sys.stderr.isatty() else lambda _: None
        async with open_tunnel(url, options, printer.note, progress) as public_url:
            printer.public_url = public_url
            yield

    return tunnel


def bind_problem(e: OSError, host: str, port: int) -> HookcliError | None:
    """Why binding HOST:PORT failed, pointing at the option to change; None when the error
    is not about the address."""
    if isinstance(e, socket.gaierror) or e.errno == errno.EADDRNOTAVAIL:
        return HookcliError(
            f"cannot listen on {host}: it is not an address of this machine",
            "--host takes one of its addresses: 127.0.0.1, or 0.0.0.0 for every interface",
        )
    if e.errno == errno.EADDRINUSE:
        return HookcliError(
            f"cannot listen on {host}:{port}: the port is in use by another program",
            "pick another with --port, or --port 0 for a free one",
        )
    if e.errno == errno.EACCES:
        return HookcliError(
            f"cannot listen on {host}:{port}: not allowed to use that port",
            "ports below 1024 need privileges: pick a higher --port, or --port 0",
        )
    return None
