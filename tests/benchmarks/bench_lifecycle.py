"""Store lifecycle: reads, pruning and compaction on a 100k-capture store; ingest with --keep.

1. `show <oldest id>` vs `show last` (and their --json), hyperfine, two rounds in
   opposite order. Target: ratio <= 1.3 (the oldest is found by bisecting the index,
   not by walking it from the end).
2. `store info` vs `ls`, the same way. Target: ratio <= 1.5 (the totals are on the
   index's last line).
3. `prune --keep 1000` and `store compact` wall time on fresh copies of the store (the
   prune includes the compaction it triggers by itself; `store compact` on the full store
   copies every record: its worst case). Target: each < 10 s.
4. Ingest: wrk req/s into `listen --keep 1000` vs plain `listen`, rounds alternating,
   fresh stores. Target: ratio >= 0.8.

    .venv/bin/python tests/benchmarks/bench_lifecycle.py [--captures 100000] [--runs 10]

The 100k store is built with `Store.add` in batches (~1 KiB bodies), in a temporary
directory removed at the end. Takes about 4-5 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _benchlib import (
    CHILD_ENV,
    HOOKCLI_ARGV,
    Server,
    build_store,
    hyperfine,
    json_body,
    median,
    ms,
    recorded,
    require,
    run_wrk,
    verdict,
    wrk_script,
)

SHOW_TARGET = 1.3
INFO_TARGET = 1.5
SECONDS_TARGET = 10.0
KEEP_TARGET = 0.8


def paired(store: Path, a: list[str], b: list[str], runs: int) -> tuple[float, float]:
    """Median wall time of `hookcli A` and `hookcli B` on STORE: two hyperfine rounds in
    opposite orders, the median of the round medians."""
    first: list[float] = []
    second: list[float] = []
    for order in ((a, b), (b, a)):
        res = hyperfine(
            {" ".join(cmd): [*HOOKCLI_ARGV, *cmd, "--store", str(store)] for cmd in order},
            runs=runs,
            warmup=2,
            env={"COLUMNS": "120"},
        )
        first.append(res[" ".join(a)]["median"])
        second.append(res[" ".join(b)]["median"])
    return median(first), median(second)


def timed(store: Path, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [*HOOKCLI_ARGV, *args, "--store", str(store)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=CHILD_ENV,
        timeout=600,
    )
    return time.perf_counter() - t0


def bench_rewrites(big: Path, tmp: Path, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"prune --keep 1000": [], "store compact": []}
    for rnd in range(runs):
        for name, args in (
            ("prune --keep 1000", ("prune", "--keep", "1000")),
            ("store compact", ("store", "compact")),
        ):
            copy = tmp / f"copy-{rnd}"
            shutil.copytree(big, copy)
            subprocess.run(["sync"], check=False)  # the copy's writeback is not timed
            secs = timed(copy, *args)
            out[name].append(secs)
            left = recorded(copy)
            print(f"  run {rnd + 1} {name:<17}: {secs:6.2f} s  (next id after: {left + 1})")
            shutil.rmtree(copy)
    return out


def bench_keep_ingest(tmp: Path, rounds: int, duration: float) -> tuple[list[float], list[float]]:
    script = wrk_script(json_body(1024))
    plain: list[float] = []
    kept: list[float] = []
    try:
        for rnd in range(1, rounds + 1):
            variants = [("plain", (), plain), ("--keep 1000", ("--keep", "1000"), kept)]
            for name, extra, out in variants if rnd % 2 else reversed(variants):
                store = tmp / f"ingest-{rnd}-{len(out)}-{name.strip('-').replace(' ', '')}"
                with Server.hookcli(store, extra=extra) as srv:
                    run_wrk(srv.url, script, 2.0)
                    r = run_wrk(srv.url, script, duration)
                out.append(r.rps)
                size = sum(p.stat().st_size for p in store.glob("*.jsonl")) / 2**20
                print(
                    f"  round {rnd} {name:>12}: {r.rps:8.0f} req/s  errors {r.errors}  "
                    f"store {size:.1f} MiB after {recorded(store)} captures"
                )
                shutil.rmtree(store)
    finally:
        script.unlink(missing_ok=True)
    return plain, kept


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--captures", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=10, help="hyperfine runs per command and round")
    p.add_argument("--rewrites", type=int, default=3, help="runs of prune and compact")
    p.add_argument("--rounds", type=int, default=3, help="ingest rounds")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per ingest run")
    args = p.parse_args()
    require("hyperfine")
    require("wrk")
    results: list[tuple[str, str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="hookcli-bench-") as tmp_name:
        tmp = Path(tmp_name)
        big = tmp / "big"
        secs = build_store(big, args.captures)
        print(f"built a store of {args.captures} captures in {secs:.1f}s")

        print("show <oldest id> vs show last:")
        for suffix in ([], ["--json"]):
            oldest, last = paired(big, ["show", "1", *suffix], ["show", "last", *suffix], args.runs)
            ratio = oldest / last
            name = " ".join(["show", *suffix])
            print(f"  {name}: oldest {ms(oldest)}, last {ms(last)}, ratio {ratio:.2f}")
            results.append((f"{name} oldest/last", f"{ratio:.2f}", ratio <= SHOW_TARGET))

        print("store info vs ls:")
        for suffix in ([], ["--json"]):
            info, ls = paired(big, ["store", "info", *suffix], ["ls", *suffix], args.runs)
            ratio = info / ls
            name = " ".join(["store info", *suffix])
            print(f"  {name}: {ms(info)}, ls {ms(ls)}, ratio {ratio:.2f}")
            results.append((f"{name} / ls", f"{ratio:.2f}", ratio <= INFO_TARGET))

        print("prune and compact on copies of the store:")
        for name, runs in bench_rewrites(big, tmp, args.rewrites).items():
            med = median(runs)
            results.append((f"{name} (s, median)", f"{med:.2f}", med < SECONDS_TARGET))

        print("ingest, --keep 1000 vs without:")
        plain, kept = bench_keep_ingest(tmp, args.rounds, args.duration)
        ratio = median(kept) / median(plain)
        results.append(("ingest --keep 1000 / plain", f"{ratio:.2f}", ratio >= KEEP_TARGET))

    print()
    for name, value, ok in results:
        print(f"{name:<32} {value:>8}  {verdict(ok)}")
    return 0 if all(ok for _, _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
