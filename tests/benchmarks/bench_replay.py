"""Replay: requests/s of `hookcli replay --repeat N --concurrency C` vs a plain aiohttp
client loop sending the same request to the same receiver (baseline), same run.

The receiver is the bare aiohttp catch-all of the ingest benchmark (low-level server). The
capture is a 1 KiB JSON POST. The baseline is the loop anyone would write: one
ClientSession, C tasks pulling from a shared counter, `await resp.read()`. Both figures are
the sending phase as each process measures it (process start-up is reported apart): hookcli
prints its own rate in its summary line, which also covers recording every attempt in the
store and printing a line per delivery.

    python tests/benchmarks/bench_replay.py [--rounds 5] [--repeat 2000] [--concurrency 32]

Target: ratio >= 0.7, aim 0.9. Takes well under a minute.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _benchlib import (
    CHILD_ENV,
    PYTHON,
    ROOT,
    TREE,
    Server,
    hookcli_argv,
    json_body,
    median,
    verdict,
)

TARGET = 0.7
AIM = 0.9

BASELINE = r"""
import asyncio, sys, time, aiohttp
url, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = sys.stdin.buffer.read()
headers = {"Content-Type": "application/json", "X-Bench": "1"}
async def main():
    left = [n]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as s:
        async def worker():
            while left[0] > 0:
                left[0] -= 1
                async with s.post(url, data=body, headers=headers) as r:
                    await r.read()
                    assert r.status == 200
        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(c)))
        return time.perf_counter() - t
print(f"{n / asyncio.run(main()):.1f}")
"""


def make_store(store: Path, body: bytes) -> None:
    sys.path.insert(0, str(TREE))
    from hookcli.model.capture import Capture
    from hookcli.store import Store

    db = Store(store)
    db.add(
        [
            Capture(
                "POST",
                "/hooks/bench",
                "",
                [("Content-Type", "application/json"), ("X-Bench", "1")],
                body,
            )
        ]
    )
    db.close()


def run_baseline(url: str, body: bytes, n: int, c: int) -> float:
    out = subprocess.run(
        [PYTHON, "-c", BASELINE, url + "hooks/bench", str(n), str(c)],
        input=body,
        capture_output=True,
        check=True,
        env=CHILD_ENV,
        timeout=300,
    )
    return float(out.stdout)


def run_replay(url: str, store: Path, n: int, c: int) -> tuple[float, float]:
    """(requests/s of the sending phase as hookcli reports it, wall seconds of the run)."""
    argv = [*hookcli_argv(), "replay", "1", "--to", url, "--repeat", str(n)]
    start = time.perf_counter()
    out = subprocess.run(
        [*argv, "--concurrency", str(c), "--store", str(store)],
        capture_output=True,
        env={**CHILD_ENV, "NO_COLOR": "1"},
        cwd=ROOT,
        timeout=300,
    )
    wall = time.perf_counter() - start
    text = out.stdout.decode()
    m = re.search(r"(\d+) sent, (\d+) answered 2xx, (\d+) failed in ([\d.]+) s", text)
    if out.returncode != 0 or m is None:
        raise RuntimeError(f"replay failed ({out.returncode}): {out.stderr.decode()[-500:]}")
    if int(m.group(2)) != n:
        raise RuntimeError(f"only {m.group(2)} of {n} answered 2xx")
    return n / float(m.group(4)), wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=32)
    args = p.parse_args()
    body = json_body(1024).encode()
    base: list[float] = []
    hook: list[float] = []
    walls: list[float] = []
    print(
        f"{args.repeat} POSTs of 1 KiB JSON, {args.concurrency} in flight, to a bare aiohttp "
        f"catch-all; {args.rounds} rounds alternating baseline / hookcli"
    )
    with (
        tempfile.TemporaryDirectory(prefix="hookcli-bench-replay-") as tmp,
        Server.baseline(lowlevel=True) as receiver,
    ):
        for rnd in range(1, args.rounds + 1):
            store = Path(tmp) / f"store-{rnd}"
            make_store(store, body)
            b = run_baseline(receiver.url, body, args.repeat, args.concurrency)
            h, wall = run_replay(receiver.url, store, args.repeat, args.concurrency)
            base.append(b)
            hook.append(h)
            walls.append(wall)
            print(
                f"round {rnd}: baseline {b:7.0f} req/s   hookcli replay {h:7.0f} req/s   "
                f"(replay wall time {wall:.2f} s with start-up and planning)"
            )
    b_med, h_med = median(base), median(hook)
    # rounds alternate, so each round's pair saw the same machine load: the median of the
    # per-round ratios is the figure least moved by other work on a shared machine
    ratio = median([h / b for h, b in zip(hook, base, strict=True)])
    print()
    print(f"baseline median: {b_med:7.0f} req/s  (runs: {', '.join(f'{x:.0f}' for x in base)})")
    print(f"hookcli median : {h_med:7.0f} req/s  (runs: {', '.join(f'{x:.0f}' for x in hook)})")
    print(f"replay wall time median: {median(walls):.2f} s; ratio of medians {h_med / b_med:.2f}")
    aim = "aim met" if ratio >= AIM else f"below the {AIM} aim"
    ok = verdict(ratio >= TARGET)
    print(
        f"ratio hookcli/baseline (median of rounds): {ratio:.2f}  target >= {TARGET}: {ok} ({aim})"
    )
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
