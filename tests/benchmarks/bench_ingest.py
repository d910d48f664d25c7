"""Ingest: requests/s that `hookcli listen` records vs a bare aiohttp catch-all (baseline).

Same load generator for all: wrk, POST of a 1 KiB JSON body, keep-alive connections, a
short warm-up, then rounds of baseline / `listen` (the default: each capture fsync'd
before its answer, group commit) / `listen --no-fsync`, in an order that rotates from
round to round. Reports the median req/s of each and the ratios to the baseline (target
for the default >= 0.6, aim 0.8), checks that wrk saw no errors and that the store
recorded as many captures as wrk completed (up to the requests in flight).

    .venv/bin/python tests/benchmarks/bench_ingest.py [--rounds 3] [--duration 10]

Takes about rounds * 3 * (duration + warm-up + 2) seconds (~2 min by default).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _benchlib import (
    Server,
    WrkResult,
    json_body,
    last_id,
    median,
    recorded,
    require,
    run_wrk,
    verdict,
    wait_recorded,
    wrk_script,
)

TARGET = 0.6
AIM = 0.8


def measure(server: Server, script: Path, args: argparse.Namespace) -> WrkResult:
    run_wrk(server.url, script, args.warmup, args.connections, args.threads)
    return run_wrk(server.url, script, args.duration, args.connections, args.threads)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per run")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--json-output", action="store_true", help="run `listen --json`")
    p.add_argument(
        "--lowlevel-baseline",
        action="store_true",
        help="baseline on aiohttp's low-level web.Server (as listen uses) instead of an app",
    )
    args = p.parse_args()
    require("wrk")

    script = wrk_script(json_body(1024))
    variants = {"baseline": (), "fsync": (), "no-fsync": ("--no-fsync",)}
    rps: dict[str, list[float]] = {name: [] for name in variants}
    problems: list[str] = []
    kind = "low-level web.Server" if args.lowlevel_baseline else "Application catch-all"
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, POST 1 KiB JSON, "
        f"{args.warmup:g}s warm-up per run, {args.rounds} rounds; baseline: bare aiohttp {kind}"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="hookcli-bench-") as tmp:
            for rnd in range(1, args.rounds + 1):
                names = list(variants)
                shift = (rnd - 1) % len(names)
                for name in names[shift:] + names[:shift]:
                    if name == "baseline":
                        with Server.baseline(args.lowlevel_baseline) as srv:
                            r = measure(srv, script, args)
                        report(rnd, name, r, problems)
                    else:
                        store = Path(tmp) / f"store-{rnd}-{name}"
                        r = measure_hookcli(store, variants[name], script, args, rnd, problems)
                        report(rnd, name, r, problems)
                    rps[name].append(r.rps)
    finally:
        script.unlink(missing_ok=True)

    base = median(rps["baseline"])
    print()
    for name, runs in rps.items():
        print(
            f"{name:>9} median: {median(runs):9.0f} req/s"
            f"   (runs: {', '.join(f'{x:.0f}' for x in runs)})"
        )
    ratio = median(rps["fsync"]) / base
    loose = median(rps["no-fsync"]) / base
    aim = "aim met" if ratio >= AIM else f"below the {AIM} aim"
    ok = verdict(ratio >= TARGET)
    print(
        f"ratio listen (fsync, the default)/baseline: {ratio:.2f}  target >= {TARGET}: {ok} ({aim})"
    )
    print(f"ratio listen --no-fsync/baseline:           {loose:.2f}  (for comparison)")
    for prob in problems:
        print(f"PROBLEM: {prob}")
    print(f"zero errors and every request recorded: {verdict(not problems)}")
    return 0 if ratio >= TARGET and not problems else 1


def measure_hookcli(
    store: Path,
    extra: tuple[str, ...],
    script: Path,
    args: argparse.Namespace,
    rnd: int,
    problems: list[str],
) -> WrkResult:
    """One measured wrk run on `listen EXTRA`, checking the store against wrk's count."""
    with Server.hookcli(store, json_out=args.json_output, extra=extra) as srv:
        run_wrk(srv.url, script, args.warmup, args.connections, args.threads)
        before = wait_recorded(store)
        h = run_wrk(srv.url, script, args.duration, args.connections, args.threads)
        after = wait_recorded(store)
    newest = last_id(store)
    stored = after - before
    extra_n = stored - h.requests
    print(
        f"          store: {stored} captures recorded during the run (wrk completed "
        f"{h.requests}; {extra_n:+d} in flight when wrk stopped); total {after} = newest id "
        f"{newest} from `hookcli ls --json --limit 1`"
    )
    # wrk stops with up to one request per connection sent but unanswered; the listener
    # records those too (it answers only after recording)
    if not 0 <= extra_n <= args.connections:
        problems.append(f"round {rnd} {extra}: stored {stored}, wrk completed {h.requests}")
    if after != newest or recorded(store) != newest:
        problems.append(f"round {rnd} {extra}: recorded {after} != newest id {newest}")
    return h


def report(rnd: int, name: str, r: WrkResult, problems: list[str]) -> None:
    print(
        f"round {rnd} {name:>9}: {r.rps:9.0f} req/s  {r.requests} requests  "
        f"latency avg {r.latency_avg}  errors {r.errors}"
    )
    if r.errors:
        problems.append(f"{name} round {rnd}: {r.errors} errors")


if __name__ == "__main__":
    sys.exit(main())
