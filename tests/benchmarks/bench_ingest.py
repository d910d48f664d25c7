"""Ingest: requests/s that `hookcli listen` records vs a bare aiohttp catch-all (baseline).

Same load generator for both: wrk, POST of a 1 KiB JSON body, keep-alive connections, a
short warm-up, then rounds alternating baseline / hookcli. Reports the median req/s of each
and the ratio hookcli/baseline (target >= 0.6, aim 0.8), checks that wrk saw no errors and
that the store holds as many captures as wrk completed requests.

    .venv/bin/python tests/benchmarks/bench_ingest.py [--rounds 3] [--duration 10]

Takes about rounds * 2 * (duration + warm-up + 2) seconds (~80 s by default).
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
    require,
    run_wrk,
    verdict,
    wait_settled,
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
    base_rps: list[float] = []
    hook_rps: list[float] = []
    problems: list[str] = []
    kind = "low-level web.Server" if args.lowlevel_baseline else "Application catch-all"
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, POST 1 KiB JSON, "
        f"{args.warmup:g}s warm-up per run, {args.rounds} rounds; baseline: bare aiohttp {kind}"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="hookcli-bench-") as tmp:
            for rnd in range(1, args.rounds + 1):
                with Server.baseline(args.lowlevel_baseline) as srv:
                    b = measure(srv, script, args)
                base_rps.append(b.rps)
                print(
                    f"round {rnd} baseline: {b.rps:9.0f} req/s  {b.requests} requests  "
                    f"latency avg {b.latency_avg}  errors {b.errors}"
                )
                if b.errors:
                    problems.append(f"baseline round {rnd}: {b.errors} errors")

                store = Path(tmp) / f"store-{rnd}"
                with Server.hookcli(store, json_out=args.json_output) as srv:
                    run_wrk(srv.url, script, args.warmup, args.connections, args.threads)
                    before = wait_settled(store)
                    h = run_wrk(srv.url, script, args.duration, args.connections, args.threads)
                    after = wait_settled(store)
                newest = last_id(store)
                hook_rps.append(h.rps)
                stored = after - before
                extra = stored - h.requests
                print(
                    f"round {rnd} hookcli : {h.rps:9.0f} req/s  {h.requests} requests  "
                    f"latency avg {h.latency_avg}  errors {h.errors}"
                )
                print(
                    f"          store: {stored} captures recorded during the run "
                    f"(wrk completed {h.requests}; {extra:+d} in flight when wrk stopped); "
                    f"total {after} = newest id {newest} from `hookcli ls --json --limit 1`"
                )
                if h.errors:
                    problems.append(f"hookcli round {rnd}: {h.errors} errors")
                # wrk stops with up to one request per connection sent but unanswered; the
                # listener records those too (it answers only after recording)
                if not 0 <= extra <= args.connections:
                    problems.append(
                        f"hookcli round {rnd}: store has {stored} captures, wrk completed "
                        f"{h.requests}"
                    )
                if after != newest:
                    problems.append(f"round {rnd}: index count {after} != newest id {newest}")
    finally:
        script.unlink(missing_ok=True)

    b_med, h_med = median(base_rps), median(hook_rps)
    ratio = h_med / b_med
    print()
    for name, med, runs in (("baseline", b_med, base_rps), ("hookcli ", h_med, hook_rps)):
        print(f"{name} median : {med:9.0f} req/s   (runs: {', '.join(f'{x:.0f}' for x in runs)})")
    aim = "aim met" if ratio >= AIM else f"below the {AIM} aim"
    ok = verdict(ratio >= TARGET)
    print(f"ratio hookcli/baseline: {ratio:.2f}  target >= {TARGET}: {ok} ({aim})")
    for prob in problems:
        print(f"PROBLEM: {prob}")
    print(f"zero errors and every request recorded: {verdict(not problems)}")
    return 0 if ratio >= TARGET and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
