"""The ingest baseline: a bare aiohttp catch-all that reads the body and answers 200 with a
small JSON body, and records nothing. Same aiohttp, same Python, same runner settings as
`hookcli listen` (no access log, no decompression), so the ratio shows hookcli's own cost.

    python tests/benchmarks/baseline_server.py --port 9100 [--lowlevel]

By default it is an aiohttp Application with one catch-all route, the usual way to write
one. With --lowlevel it uses aiohttp's low-level `web.Server` (no router, no app), as
`hookcli listen` does: the stricter baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web


async def handle(request: web.BaseRequest) -> web.Response:
    await request.read()
    return web.Response(status=200, body=b'{"ok":true}', content_type="application/json")


async def main(host: str, port: int, lowlevel: bool) -> None:
    runner: web.BaseRunner
    if lowlevel:
        server = web.Server(handle, auto_decompress=False, access_log=None)
        runner = web.ServerRunner(server, handle_signals=False)
    else:
        app = web.Application(client_max_size=25 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", handle)
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
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port, args.lowlevel))
