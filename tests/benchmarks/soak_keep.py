"""Soak: `listen --keep N` under a steady load for a long time (issue 16's "done when":
with `--keep 500` for an hour it holds 500 captures in a few megabytes).

A `hookcli listen --keep N` on a fresh store takes a steady load (CLIENTS aiohttp clients,
each sending bursts of 15 POSTs of a ~740-byte JSON body, then sleeping out the rest of
200 ms: about 300 req/s with 4 clients). Every INTERVAL seconds it prints one JSON line:
the answers so far by status, the store's size on disk, and `store info --json`. At the
end: the listener's RSS, the range of sizes seen, and whether the store held N every time.
Bounded by --duration; stops by itself.

    python tests/benchmarks/soak_keep.py [--duration 3600] [--keep 500] [--interval 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from _benchlib import CHILD_ENV, HOOKCLI_ARGV, ROOT, Server

BODY = b'{"type":"invoice.paid","data":{"pad":"' + b"a" * 700 + b'"}}'


def store_info(store: Path) -> dict[str, Any]:
    argv = [*HOOKCLI_ARGV, "--store", str(store), "store", "info", "--json"]
    r = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=CHILD_ENV)
    return dict(json.loads(r.stdout)) if r.returncode == 0 else {"error": r.stderr.strip()}


def on_disk(store: Path) -> int:
    return sum(p.stat().st_size for p in store.iterdir() if p.is_file())


async def client(url: str, stop: float, counts: dict[int, int]) -> None:
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < stop:
            start = time.monotonic()
            for _ in range(15):
                try:
                    async with session.post(url, data=BODY, headers=headers) as r:
                        await r.read()
                        counts[r.status] = counts.get(r.status, 0) + 1
                except aiohttp.ClientError:
                    counts[0] = counts.get(0, 0) + 1  # 0: no answer
            await asyncio.sleep(max(0.0, 0.2 - (time.monotonic() - start)))


async def soak(srv: Server, store: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    stop = time.monotonic() + args.duration
    counts: dict[int, int] = {}
    clients = [
        asyncio.create_task(client(f"{srv.url}hooks/{i}", stop, counts))
        for i in range(args.clients)
    ]
    samples = []
    t0 = time.monotonic()
    while time.monotonic() < stop:
        await asyncio.sleep(min(args.interval, max(0.5, stop - time.monotonic())))
        info = await asyncio.to_thread(store_info, store)
        sample = {
            "t": round(time.monotonic() - t0),
            "answers": dict(counts),
            "bytes_on_disk": on_disk(store),
            "rss_kib": srv.rss_kib(),
            "info": info,
        }
        samples.append(sample)
        print(json.dumps(sample), flush=True)
    await asyncio.gather(*clients)
    return samples


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=3600.0)
    p.add_argument("--keep", type=int, default=500)
    p.add_argument("--interval", type=float, default=300.0)
    p.add_argument("--clients", type=int, default=4)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="hookcli-soak-") as tmp:
        store = Path(tmp) / "store"
        with Server.hookcli(store, extra=["--keep", str(args.keep)]) as srv:
            samples = asyncio.run(soak(srv, store, args))
    held = {s["info"].get("captures") for s in samples}
    sizes = [s["bytes_on_disk"] for s in samples]
    answers = samples[-1]["answers"] if samples else {}
    print(
        f"answered: {answers}; store held {sorted(held)} captures at every sample "
        f"(target: {args.keep}); on disk {min(sizes, default=0):,} to {max(sizes, default=0):,}"
        f" bytes; listener RSS at the end {samples[-1]['rss_kib'] if samples else 0} KiB"
    )


if __name__ == "__main__":
    main()
