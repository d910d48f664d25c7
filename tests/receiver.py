"""A real aiohttp app on loopback standing in for the user's app under development."""

from __future__ import annotations

import asyncio
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web


@dataclass
class Seen:
    method: str
    path_qs: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


@dataclass
class Receiver:
    status: int = 200
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    #: statuses for the first requests, in order; then `status` (e.g. [503, 503] then 200)
    statuses: list[int] = field(default_factory=list)
    #: answer with these bytes (and headers) instead of {"received": true}
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ssl_context: ssl.SSLContext | None = None  # serve HTTPS (url still says http://)
    #: hold every answer until release() (a target that is slow for as long as a test needs)
    held: bool = False
    _arrived: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def start(self) -> Receiver:
        ready = threading.Event()

        async def handler(request: web.Request) -> web.Response:
            body = await request.read()
            hdrs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]
            with self._arrived:
                self.seen.append(Seen(request.method, request.raw_path, hdrs, body))
                self._arrived.notify_all()
            await self._gate.wait()
            if self.delay:
                await asyncio.sleep(self.delay)
            status = self.statuses.pop(0) if self.statuses else self.status
            if self.body is not None:
                return web.Response(body=self.body, status=status, headers=self.headers)
            return web.json_response({"received": True}, status=status, headers=self.headers)

        def serve() -> None:
            self.loop = asyncio.new_event_loop()
            self._gate = asyncio.Event()
            if not self.held:
                self._gate.set()
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", handler)
            # stop() does not wait for answers still held (a delay, a held gate): they are
            # cancelled at once, as a killed app's would be
            self.runner = web.AppRunner(
                app, access_log=None, auto_decompress=False, shutdown_timeout=0.05
            )
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
            self.loop.run_until_complete(site.start())
            port = self.runner.addresses[0][1]
            self.url = f"http://127.0.0.1:{port}"
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self.runner.cleanup())

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def release(self) -> None:
        """Answer the held requests, and every later one at once."""
        self.loop.call_soon_threadsafe(self._gate.set)

    def wait(self, n: int = 1, timeout: float = 10) -> list[Seen]:
        """SEEN once it holds N requests (or when TIMEOUT has passed), as soon as they come."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.seen) >= n, timeout)
        return self.seen

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class TlsReceiver:
    """The test receiver behind HTTPS with a certificate from a CA of its own. Clients do not
    trust it unless told: `ca_file` holds the CA in PEM, for SSL_CERT_FILE."""

    def __init__(self, tmp: Path):
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.ca_file = tmp / "test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.inner = Receiver(ssl_context=ctx).start()
        self.url = self.inner.url.replace("http://", "https://")

    def stop(self) -> None:
        self.inner.stop()
