"""Delivery client: CPU per request of hookcli's sender (`delivery.client.send` over the
lean HTTP/1.1 client of `delivery/http1.py`) vs aiohttp's ClientSession, same run.

Why CPU and not requests/s: a forward shares the `listen` process's core with recording
captures, so what it costs that process is what forwarding takes away from ingest. Each
side sends N POSTs of 1 KiB JSON, C at a time, over kept-alive connections, to the bare
aiohttp receiver of the ingest benchmark (its own process), and counts its own process's
user + system CPU (getrusage) over the measured requests. The aiohttp side is the loop
anyone would write (one session, C tasks, the answer's first 4 KiB read), without the
Attempt bookkeeping hookcli's side includes. Rounds alternate; the figure is the median of
per-round ratios (hookcli's CPU over aiohttp's: lower is better).

    python tests/benchmarks/bench_client.py [--rounds 5] [--requests 8000] [--concurrency 8]

Information (no target): what the forwarding and replay figures build on. ~1 min.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from collections.abc import Awaitable, Callable

from _benchlib import TREE, Server, json_body, median

sys.path.insert(0, str(TREE))

HEADERS = [("Content-Type", "application/json"), ("User-Agent", "bench"), ("X-Seq", "1")]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def measure(
    one: Callable[[], Awaitable[None]], n: int, c: int, warmup: int = 200
) -> tuple[float, float]:
    """(CPU µs per request, requests/s) for N calls of ONE, C at a time."""

    async def worker(count: int) -> None:
        for _ in range(count):
            await one()

    await worker(warmup)
    cpu, start = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker(n // c) for _ in range(c)))
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - start
    return cpu / n * 1e6, n / wall


async def with_aiohttp(url: str, body: bytes, n: int, c: int) -> tuple[float, float]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as s:

        async def one() -> None:
            async with s.post(url, headers=HEADERS, data=body, allow_redirects=False) as r:
                await r.content.read(4097)
                assert r.status == 200

        return await measure(one, n, c)


async def with_hookcli(url: str, body: bytes, n: int, c: int) -> tuple[float, float]:
    from hookcli.delivery.client import new_session, send

    async with new_session() as session:

        async def one() -> None:
            outcome = await send(session, "POST", url, HEADERS, body)
            assert outcome.attempt.status == 200, outcome.attempt.error

        return await measure(one, n, c)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=8000)
    p.add_argument("--concurrency", type=int, default=8)
    args = p.parse_args()
    body = json_body(1024).encode()
    ratios = []
    print(
        f"{args.requests} POSTs of 1 KiB JSON, {args.concurrency} in flight, to a bare aiohttp "
        f"catch-all; {args.rounds} rounds alternating aiohttp / hookcli"
    )
    with Server.baseline(lowlevel=True) as target:
        url = target.url + "hooks/bench"
        for rnd in range(1, args.rounds + 1):
            a_cpu, a_rps = asyncio.run(with_aiohttp(url, body, args.requests, args.concurrency))
            h_cpu, h_rps = asyncio.run(with_hookcli(url, body, args.requests, args.concurrency))
            ratios.append(h_cpu / a_cpu)
            print(
                f"round {rnd}: aiohttp {a_cpu:6.1f} µs CPU/request ({a_rps:5.0f} req/s)   "
                f"hookcli {h_cpu:6.1f} µs CPU/request ({h_rps:5.0f} req/s)   "
                f"ratio {h_cpu / a_cpu:.2f}"
            )
    print(
        f"median of round ratios (hookcli CPU / aiohttp CPU, lower is better): {median(ratios):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
