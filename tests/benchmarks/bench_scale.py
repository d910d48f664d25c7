"""Scale: does hookcli slow down or grow as the store fills up?

1. Read commands: `hookcli ls`, `ls --json`, `show last`, `show last --json` wall time on a
   store of 100,000 captures vs a store of 10 (hyperfine). Target: ratio 100k/10 <= 1.5.
2. Ingest: wrk req/s into a listener on the 100k store vs on an empty store, alternating.
   Target: ratio 100k/empty >= 0.9.
3. Memory: the listener's RSS (VmRSS) after 100,000 captures sent over HTTP vs after 1,000
   (same process). Target: ratio <= 1.2.

    .venv/bin/python tests/benchmarks/bench_scale.py [--captures 100000] [--runs 10]

The stores are built directly with `Store.add` in batches of 1000 (~1 KiB bodies), in a
temporary directory removed at the end. Takes about 3-4 minutes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _benchlib import (
    HOOKCLI,
    Server,
    build_store,
    count_puts,
    hyperfine,
    json_body,
    median,
    ms,
    require,
    run_wrk,
    send_captures,
    verdict,
    wrk_script,
)

READ_TARGET = 1.5
INGEST_TARGET = 0.9
RSS_TARGET = 1.2


def bench_reads(big: Path, small: Path, runs: int) -> list[tuple[str, float, float, float]]:
    commands = {
        "ls": ["ls"],
        "ls --json": ["ls", "--json"],
        "show last": ["show", "last"],
        "show last --json": ["show", "last", "--json"],
    }
    rows = []
    for name, args in commands.items():
        # the two stores back to back for each command, so both see the same machine state
        res = hyperfine(
            {
                "10": [HOOKCLI, *args, "--store", str(small)],
                "100k": [HOOKCLI, *args, "--store", str(big)],
            },
            runs=runs,
            warmup=3,
            env={"COLUMNS": "120"},
        )
        t_small, t_big = res["10"]["median"], res["100k"]["median"]
        rows.append((name, t_small, t_big, t_big / t_small))
    return rows


def bench_ingest(
    big: Path, empty: Path, rounds: int, duration: float
) -> tuple[float, float, list[float]]:
    script = wrk_script(json_body(1024))
    big_rps: list[float] = []
    empty_rps: list[float] = []
    try:
        for rnd in range(1, rounds + 1):
            runs = [("empty", empty, empty_rps), ("100k", big, big_rps)]
            for label, store, out in runs if rnd % 2 else reversed(runs):
                with Server.hookcli(store) as srv:
                    run_wrk(srv.url, script, 2.0)
                    r = run_wrk(srv.url, script, duration)
                if r.errors:
                    print(f"  PROBLEM: {label} round {rnd}: {r.errors} wrk errors")
                out.append(r.rps)
                print(f"  round {rnd} {label:>5} store: {r.rps:8.0f} req/s ({r.requests} requests)")
    finally:
        script.unlink(missing_ok=True)
    paired = [b / e for b, e in zip(big_rps, empty_rps, strict=True)]
    return median(big_rps), median(empty_rps), paired


def bench_add(big: Path, empty: Path, batch: int = 8, count: int = 4000) -> tuple[float, float]:
    """In-process cost of Store.add per capture on the big vs the empty store (no HTTP, so
    little noise): batches of BATCH, the listener's typical group-commit size under load,
    alternating between the stores. Returns microseconds per capture (median of rounds)."""
    from hookcli.model.capture import Capture
    from hookcli.store import Store

    body = json_body(1024).encode()
    headers = [("Host", "127.0.0.1"), ("Content-Type", "application/json")]
    stores = {"big": Store(big), "empty": Store(empty)}
    times: dict[str, list[float]] = {"big": [], "empty": []}
    for _ in range(5):
        for name, store in stores.items():
            caps = [Capture("POST", "/add", "", headers, body) for _ in range(count)]
            t0 = time.perf_counter()
            for i in range(0, count, batch):
                store.add(caps[i : i + batch])
            times[name].append((time.perf_counter() - t0) / count * 1e6)
    for store in stores.values():
        store.close()
    return median(times["big"]), median(times["empty"])


def bench_rss(root: Path, small: int, big: int) -> tuple[int, int, int, int]:
    store = root / "rss-store"
    with Server.hookcli(store) as srv:
        start_rss = srv.rss_kib()
        n1 = send_captures(srv.url, store, small)
        time.sleep(1.0)
        rss1 = srv.rss_kib()
        print(f"  after {n1} captures: VmRSS {rss1} KiB (at start {start_rss} KiB)")
        n2 = send_captures(srv.url, store, big)
        time.sleep(1.0)
        rss2 = srv.rss_kib()
        hwm = srv.hwm_kib()
        print(f"  after {n2} captures: VmRSS {rss2} KiB (peak VmHWM {hwm} KiB)")
    return n1, rss1, n2, rss2


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--captures", type=int, default=100_000, help="size of the big store")
    p.add_argument("--runs", type=int, default=10, help="hyperfine runs per command")
    p.add_argument("--rounds", type=int, default=3, help="ingest rounds per store")
    p.add_argument(
        "--only",
        default="reads,ingest,rss",
        help="comma-separated parts to run: reads, ingest, rss (default: all)",
    )
    p.add_argument("--duration", type=float, default=10.0, help="seconds per ingest run")
    args = p.parse_args()
    parts = set(args.only.split(","))
    require("wrk")
    require("hyperfine")
    failed = False

    with tempfile.TemporaryDirectory(prefix="hookcli-bench-") as tmp:
        root = Path(tmp)
        big, small, empty = root / "big", root / "small", root / "empty"
        secs = build_store(big, args.captures)
        build_store(small, 10)
        size_mib = sum(f.stat().st_size for f in big.iterdir()) / 2**20
        print(
            f"built a store of {count_puts(big)} captures in {secs:.1f}s ({size_mib:.0f} MiB), "
            f"and one of {count_puts(small)}"
        )

        t0 = time.monotonic()
        if "reads" in parts:
            failed |= report_reads(big, small, args.runs)
            print(f"  ({time.monotonic() - t0:.0f}s)")
        t0 = time.monotonic()
        if "ingest" in parts:
            failed |= report_ingest(big, empty, args.rounds, args.duration)
            print(f"  ({time.monotonic() - t0:.0f}s)")
        t0 = time.monotonic()
        if "rss" in parts:
            failed |= report_rss(root)
            print(f"  ({time.monotonic() - t0:.0f}s)")
    return 1 if failed else 0


def report_reads(big: Path, small: Path, runs: int) -> bool:
    print(f"\n1. read commands, hyperfine median of {runs} runs (3 warm-up)")
    print(f"  {'command':<18} {'10 captures':>12} {'100k':>12} {'ratio':>7}")
    failed = False
    for name, t_small, t_big, ratio in bench_reads(big, small, runs):
        ok = ratio <= READ_TARGET
        failed |= not ok
        print(
            f"  {name:<18} {ms(t_small):>12} {ms(t_big):>12} {ratio:7.2f}  "
            f"target <= {READ_TARGET}: {verdict(ok)}"
        )
    return failed


def report_ingest(big: Path, empty: Path, rounds: int, duration: float) -> bool:
    print(f"\n2. ingest, wrk -t1 -c32 -d{duration:g}s, 1 KiB JSON, {rounds} rounds")
    add_big, add_empty = bench_add(big, empty)
    print(
        f"  Store.add alone (batches of 8, in-process): empty store {add_empty:.1f} us/capture, "
        f"100k store {add_big:.1f} us/capture, ratio {add_empty / add_big:.2f} (throughput)"
    )
    rps_big, rps_empty, paired = bench_ingest(big, empty, rounds, duration)
    ratio = rps_big / rps_empty
    ok = ratio >= INGEST_TARGET
    print(
        f"  median: empty store {rps_empty:.0f} req/s, 100k store {rps_big:.0f} req/s, "
        f"ratio {ratio:.2f}  target >= {INGEST_TARGET}: {verdict(ok)}"
    )
    print(
        f"  per-round ratios (adjacent runs): {', '.join(f'{x:.2f}' for x in paired)}; "
        f"median {median(paired):.2f}"
    )
    return not ok


def report_rss(root: Path) -> bool:
    print("\n3. listener memory (VmRSS), captures sent over HTTP with wrk")
    n1, rss1, n2, rss2 = bench_rss(root, 1_000, 100_000)
    ratio = rss2 / rss1
    ok = ratio <= RSS_TARGET
    print(
        f"  RSS after {n2} / after {n1}: {rss2 / 1024:.1f} MiB / {rss1 / 1024:.1f} MiB = "
        f"{ratio:.2f}  target <= {RSS_TARGET}: {verdict(ok)}"
    )
    return not ok


if __name__ == "__main__":
    sys.exit(main())
