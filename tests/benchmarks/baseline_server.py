"""The ingest baseline: a bare aiohttp catch-all that reads the body and answers 200 with a
small JSON body, and records nothing. Same aiohttp, same Python, same runner settings as
`hookcli listen` (no access log, no decompression), so the ratio shows hookcli's own cost.

    python tests/benchmarks/baseline_server.py --port 9100 [--lowlevel]

By default it is an aiohttp Application with one catch-all route, the usual way to write
one. With --lowlevel it uses aiohttp's low-level `web.Server` (no router, no app), as
`hookcli listen` does: the stricter baseline. With --delay SECONDS it answers that much
later: the slow target of the forwarding benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web


async def handle(request: web.BaseRequest) -> web.Response:
    await request.read()
    return web.Response(status=200, body=b'{"ok":true}', content_type="application/json")


def slow(delay: float) -> Callable[[web.BaseRequest], Awaitable[web.Response]]:
    """The handler, answering after DELAY seconds: a slow forward target."""

    async def handle_slowly(request: web.BaseRequest) -> web.Response:
        await request.read()
        await asyncio.sleep(delay)
        return web.Response(status=200, body=b'{"ok":true}', content_type="application/json")

    return handle_slowly


async def main(host: str, port: int, lowlevel: bool, delay: float = 0.0) -> None:
    handler = slow(delay) if delay else handle
    runner: web.BaseRunner
    if lowlevel:
        server = web.Server(handler, auto_decompress=False, access_log=None)
        runner = web.ServerRunner(server, handle_signals=False)
    else:
        app = web.Application(client_max_size=25 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, auto_decompress=False, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on http://{host}:{port}", flush=True)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--lowlevel", action="store_true", help="aiohttp's low-level server")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before answering")
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port, args.lowlevel, args.delay))
