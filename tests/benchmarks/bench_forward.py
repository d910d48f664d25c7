"""Forwarding: what `listen --forward-to` costs the catch server, and the latency it adds.

Three measurements, each against a baseline taken in the same run, rounds alternating:

1. fast   ingest req/s of `listen --forward-to FAST` over `listen` alone, FAST being a bare
          aiohttp catch-all (the low-level server of the ingest baseline) in its own
          process. Target >= 0.7. Also reports how many captures were forwarded (2xx) and
          how many skipped because the forward queue was full: under this flood the
          forwarder cannot keep up, so the ratio says what forwarding costs the sender,
          the share says how much of the flood reached the target.
1b.       the same with a queue that never fills: every capture forwarded; the rate
          counts the time the backlog takes to drain after wrk stops (information).
2. latency median time from the sender starting a request to the target's handler seeing
          it, forwarded through `listen` vs sent to the target directly; the difference
          is what forwarding adds. Target <= +2 ms. One request at a time, no load.
3. stuck  ingest req/s of `listen --forward-to DEAD --forward-to SLOW` over `listen` alone;
          DEAD refuses connections, SLOW answers after 2.5 s. Target >= 0.7 and zero sender
          errors; reports what was recorded for each target (refused, skipped, 2xx).

Ingest load as in bench_ingest.py: wrk -t1 -c32, POST 1 KiB JSON, keep-alive, warm-up.
The ingest figure is the median of per-round ratios (a round is one plain run next to one
forwarding run, so both saw about the same load from other work on the machine).

    python tests/benchmarks/bench_forward.py [--rounds 3] [--duration 8] [--only fast,latency,stuck]

Takes about 4 min with the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _benchlib import (
    HOST,
    PutCounter,
    Server,
    WrkResult,
    free_port,
    json_body,
    median,
    require,
    run_wrk,
    verdict,
    wait_settled,
    wrk_script,
)

INGEST_TARGET = 0.7
LATENCY_TARGET_MS = 2.0
SLOW_SECONDS = 2.5


def dead_url() -> str:
    """A loopback port with nothing listening: every connection is refused."""
    return f"http://{HOST}:{free_port()}"


def outcomes(store: Path) -> tuple[int, dict[str, Counter[str]]]:
    """(captures in STORE, per forward base: how its attempts ended)."""
    captures = 0
    per_base: dict[str, Counter[str]] = {}
    with (store / "captures.jsonl").open("rb") as f:
        for line in f:
            if line.startswith(b'{"op":"put"'):
                captures += 1
            elif line.startswith(b'{"op":"attempt"'):
                a = json.loads(line)["attempt"]
                err = a["error"] or ""
                if a["status"] is not None and 200 <= a["status"] < 300:
                    kind = "2xx"
                elif err.startswith("skipped:"):
                    kind = "skipped"
                elif err.startswith("connection refused"):
                    kind = "refused"
                elif "listen stopped" in err:
                    kind = "cut at stop"
                else:
                    kind = "other"
                per_base.setdefault(a["base"], Counter())[kind] += 1
    return captures, per_base


def ingest(
    store: Path, extra: list[str], script: Path, args: argparse.Namespace
) -> tuple[WrkResult, int, dict[str, Counter[str]]]:
    with Server.hookcli(store, extra=extra) as srv:
        run_wrk(srv.url, script, args.warmup, args.connections)
        result = run_wrk(srv.url, script, args.duration, args.connections)
        wait_settled(store)
    captures, per_base = outcomes(store)
    return result, captures, per_base


def drain(puts: PutCounter, attempts: PutCounter, limit: float = 120.0) -> float:
    """Seconds until every capture has its forward attempt recorded."""
    start = time.monotonic()
    while time.monotonic() - start < limit and attempts.count() < puts.count():
        time.sleep(0.05)
    return time.monotonic() - start


def forward_all(
    store: Path, url: str, script: Path, args: argparse.Namespace
) -> tuple[WrkResult, float, int]:
    """`listen --forward-to URL` with a queue that never fills, so every capture is
    forwarded: (wrk's result, seconds the backlog took to drain after wrk stopped, captures
    recorded during the measured run)."""
    extra = ["--forward-to", url, "--forward-queue", "1000000"]
    puts, attempts = PutCounter(store), PutCounter(store, "attempt")
    with Server.hookcli(store, extra=extra) as srv:
        run_wrk(srv.url, script, args.warmup, args.connections)
        drain(puts, attempts)
        before = puts.count()
        result = run_wrk(srv.url, script, args.duration, args.connections)
        waited = drain(puts, attempts)
        captured = wait_settled(store) - before
    return result, waited, captured


def compare(
    name: str, targets: dict[str, str], tmp: Path, script: Path, args: argparse.Namespace
) -> tuple[float, float, list[str]]:
    """Rounds of `listen` alone vs `listen --forward-to` each of TARGETS (label -> URL)."""
    extra = [x for url in targets.values() for x in ("--forward-to", url)] + args.listen_arg
    plain: list[float] = []
    fwd: list[float] = []
    forwarded_share: list[float] = []
    problems: list[str] = []
    for rnd in range(1, args.rounds + 1):
        p, _, _ = ingest(tmp / f"{name}-plain-{rnd}", [], script, args)
        f, captures, per_base = ingest(tmp / f"{name}-fwd-{rnd}", extra, script, args)
        plain.append(p.rps)
        fwd.append(f.rps)
        print(
            f"round {rnd}: listen {p.rps:7.0f} req/s (errors {p.errors})   "
            f"with forwarding {f.rps:7.0f} req/s (errors {f.errors})   "
            f"ratio {f.rps / p.rps:.2f}"
        )
        for label, url in targets.items():
            seen = per_base.get(url, Counter())
            forwarded_share.append(seen["2xx"] / max(1, captures))
            parts = ", ".join(f"{k} {v}" for k, v in seen.most_common()) or "none"
            print(f"         {label:5} {captures} captures; forward attempts: {parts}")
            if sum(seen.values()) != captures:
                problems.append(
                    f"round {rnd} {label}: {sum(seen.values())} attempts for {captures} captures"
                )
        for which, r in (("listen", p), ("forwarding", f)):
            if r.errors:
                problems.append(f"round {rnd} {which}: {r.errors} sender errors")
    # adjacent runs share the machine's state: the median of per-round ratios is the figure
    # least moved by other load (the ratio of medians is printed too)
    ratio = median([f / p for f, p in zip(fwd, plain, strict=True)])
    print(
        f"median: listen {median(plain):.0f} req/s, with forwarding {median(fwd):.0f} req/s "
        f"(ratio of medians {median(fwd) / median(plain):.2f}); median of round ratios "
        f"{ratio:.2f} (target >= {INGEST_TARGET}: {verdict(ratio >= INGEST_TARGET)})"
    )
    if name == "fast":
        print(
            f"share of captures forwarded (2xx), the rest skipped: "
            f"{median(forwarded_share):.0%} (median)"
        )
    return ratio, median(plain), problems


def sustained(url: str, plain: float, tmp: Path, script: Path, args: argparse.Namespace) -> None:
    """Every capture forwarded (nothing skipped): the rate `listen` sustains, counting the
    time its forward backlog takes to drain, against plain ingest."""
    rates = []
    for rnd in range(1, args.rounds + 1):
        store = tmp / f"all-{rnd}"
        r, waited, captured = forward_all(store, url, script, args)
        _, per_base = outcomes(store)
        kinds = ", ".join(f"{k} {v}" for k, v in per_base.get(url, Counter()).most_common())
        rate = captured / (r.seconds + waited)
        rates.append(rate)
        print(
            f"round {rnd}: {r.rps:7.0f} req/s while wrk ran (errors {r.errors}), backlog "
            f"drained {waited:.1f} s later: {rate:.0f} captures/s all forwarded ({kinds})"
        )
    print(
        f"median: {median(rates):.0f} captures/s forwarded = {median(rates) / plain:.2f} of "
        f"plain ingest (information: what one core does when it must forward everything)"
    )


# -- latency -----------------------------------------------------------------------------------


def latency(tmp: Path, args: argparse.Namespace) -> tuple[float, list[str]]:
    import aiohttp
    from aiohttp import web

    body = json_body(1024).encode()
    port = free_port()
    arrived: dict[str, float] = {}
    waiting: dict[str, asyncio.Future[float]] = {}

    async def handle(request: web.BaseRequest) -> web.Response:
        at = time.perf_counter()
        seq = request.headers.get("X-Seq", "")
        arrived[seq] = at
        fut = waiting.pop(seq, None)
        if fut is not None and not fut.done():
            fut.set_result(at)
        await request.read()
        return web.Response(body=b'{"ok":true}', content_type="application/json")

    answered: list[float] = []  # ms until listen's own answer, for the forwarded requests

    async def one(session: aiohttp.ClientSession, url: str, seq: str) -> float:
        fut = asyncio.get_running_loop().create_future()
        waiting[seq] = fut
        start = time.perf_counter()
        async with session.post(url, data=body, headers={"X-Seq": seq}) as resp:
            await resp.read()
        if seq.startswith("f"):
            answered.append((time.perf_counter() - start) * 1000)
        at = await asyncio.wait_for(fut, 5)
        return (at - start) * 1000

    async def run(listen_url: str) -> tuple[list[float], list[float]]:
        direct: list[float] = []
        forwarded: list[float] = []
        target = f"http://{HOST}:{port}/hooks/bench"
        async with aiohttp.ClientSession() as session:
            for n in range(args.latency_warmup):
                await one(session, target, f"wd{n}")
                await one(session, listen_url + "hooks/bench", f"wf{n}")
            for rnd in range(args.rounds):
                d = [await one(session, target, f"d{rnd}-{n}") for n in range(args.samples)]
                f = [
                    await one(session, listen_url + "hooks/bench", f"f{rnd}-{n}")
                    for n in range(args.samples)
                ]
                print(
                    f"round {rnd + 1}: direct median {median(d):.2f} ms, "
                    f"forwarded median {median(f):.2f} ms, adds {median(f) - median(d):+.2f} ms"
                )
                direct += d
                forwarded += f
        return direct, forwarded

    async def main() -> tuple[list[float], list[float]]:
        runner = web.ServerRunner(web.Server(handle, access_log=None), handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, HOST, port).start()
        try:
            extra = ["--forward-to", f"http://{HOST}:{port}"]
            srv = await asyncio.to_thread(Server.hookcli, tmp / "latency", False, extra)
            try:
                return await run(srv.url)
            finally:
                await asyncio.to_thread(srv.stop)
        finally:
            await runner.cleanup()

    direct, forwarded = asyncio.run(main())
    added = median(forwarded) - median(direct)
    problems = [] if len(forwarded) == args.rounds * args.samples else ["samples missing"]
    q = sorted(forwarded)
    print(
        f"median over {len(direct)} requests each: direct {median(direct):.2f} ms, forwarded "
        f"{median(forwarded):.2f} ms (p90 {q[int(len(q) * 0.9)]:.2f} ms); forwarding adds "
        f"{added:+.2f} ms (target <= +{LATENCY_TARGET_MS:g} ms: "
        f"{verdict(added <= LATENCY_TARGET_MS)})"
    )
    print(
        f"for scale: listen's own answer to those requests came after {median(answered):.2f} ms"
        " (median): recording the capture is part of what forwarding adds"
    )
    return added, problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=8.0, help="seconds per measured wrk run")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of wrk warm-up per run")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--samples", type=int, default=200, help="latency requests per round")
    p.add_argument("--latency-warmup", type=int, default=50)
    p.add_argument("--only", default="fast,latency,stuck", help="which measurements")
    p.add_argument(
        "--listen-arg",
        action="append",
        default=[],
        help="extra argument for the forwarding listener (repeat for each word), "
        "e.g. --listen-arg=--forward-concurrency --listen-arg=2",
    )
    args = p.parse_args()
    require("wrk")
    only = set(args.only.split(","))
    ok = True
    problems: list[str] = []
    script = wrk_script(json_body(1024))
    print(
        f"wrk -t1 -c{args.connections} -d{args.duration:g}s, POST 1 KiB JSON, "
        f"{args.warmup:g}s warm-up per run, {args.rounds} rounds"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="hookcli-bench-forward-") as tmpdir:
            tmp = Path(tmpdir)
            if "fast" in only:
                print("\n1. ingest with --forward-to a fast receiver vs without")
                with Server.baseline(lowlevel=True) as fast:
                    ratio, plain, probs = compare("fast", {"fast": fast.url}, tmp, script, args)
                    print("\n1b. the same, with a queue that never fills (nothing skipped)")
                    sustained(fast.url, plain, tmp, script, args)
                ok &= ratio >= INGEST_TARGET
                problems += probs
            if "latency" in only:
                print("\n2. latency added by forwarding (one request at a time)")
                added, probs = latency(tmp, args)
                ok &= added <= LATENCY_TARGET_MS
                problems += probs
            if "stuck" in only:
                print(f"\n3. ingest with --forward-to a dead and a {SLOW_SECONDS:g} s target")
                dead = dead_url()
                with Server.baseline(lowlevel=True, delay=SLOW_SECONDS) as slow:
                    targets = {"dead": dead, "slow": slow.url}
                    ratio, _, probs = compare("stuck", targets, tmp, script, args)
                ok &= ratio >= INGEST_TARGET
                problems += probs
    finally:
        script.unlink(missing_ok=True)
    print()
    for prob in problems:
        print(f"PROBLEM: {prob}")
    print(f"all targets met, zero sender errors: {verdict(ok and not problems)}")
    return 0 if ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
