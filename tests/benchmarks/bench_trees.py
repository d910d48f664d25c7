"""Two checkouts of hookcli, A and B: ingest req/s of `listen` from each, alternating.

What a change costs the catch server, measured on a shared machine: the other
benchmarks compare hookcli to a baseline within one run, and comparing their ratios
from two runs adds both runs' noise. Here each pair is one `listen` of tree A next to
one of tree B (the same variant, the same wrk load), the order swapping from pair to
pair, and the figure is the median of the per-pair ratios B/A.

PYTHONPATH selects the tree (each child prints the `hookcli` it imports first). The
variants:

- fsync      `listen` (each capture fsync'd before its answer)
- no-fsync   `listen --no-fsync`
- keep       `listen --keep 1000`
- fast       `listen --forward-to FAST`, FAST the ingest benchmark's bare receiver
- stuck      `listen --forward-to DEAD --forward-to SLOW` (refused; answers after 2.5 s)
- replay     `replay 1 --to FAST --repeat N --concurrency 32`, the rate it prints (sending,
             recording and printing every attempt), each run on a fresh copy of a store of
             one 1 KiB capture; --replay-pairs pairs (short runs: more of them)

    python tests/benchmarks/bench_trees.py --a ../before --b ../after \\
        [--pairs 5] [--duration 4] [--only fsync,no-fsync,keep,fast,stuck]

Takes about pairs * variants * 2 * (duration + warm-up + 2) seconds. Information only
(exit 0 unless a run fails): a B/A ratio below 1 means B records fewer requests a second.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _benchlib import (
    CHILD_ENV,
    HOOKCLI_ARGV,
    HOST,
    ROOT,
    Server,
    free_port,
    json_body,
    median,
    require,
    run_wrk,
    wait_settled,
    wrk_script,
)
from bench_forward import SLOW_SECONDS, dead_url
from bench_replay import make_store

VARIANTS = ("fsync", "no-fsync", "keep", "fast", "stuck", "replay")


def imported_from(tree: Path) -> str:
    """Where `hookcli`, started as the benchmark starts `listen`, imports hookcli from (its
    verbose import trace names the file)."""
    done = subprocess.run(
        [*HOOKCLI_ARGV, "--version"],
        env={**CHILD_ENV, "PYTHONPATH": str(tree), "PYTHONVERBOSE": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"^# code object from '?(\S+?/hookcli/__init__)", done.stderr, re.M)
    return found.group(1) if found else "?"


def listen(tree: Path, store: Path, extra: list[str]) -> Server:
    os.sync()  # as Server.hookcli: the previous run's page cache is not this run's cost
    port = free_port()
    argv = [*HOOKCLI_ARGV, "listen", "--host", HOST, "--port", str(port), "--store", str(store)]
    return Server([*argv, *extra], port, env={"PYTHONPATH": str(tree)})


def one_run(
    tree: Path, store: Path, extra: list[str], script: Path, args: argparse.Namespace
) -> float:
    with listen(tree, store, extra) as srv:
        run_wrk(srv.url, script, args.warmup)
        r = run_wrk(srv.url, script, args.duration)
        wait_settled(store)
    if r.errors:
        raise RuntimeError(f"wrk saw {r.errors} errors on {tree} {extra}")
    return r.rps


def replay_rate(tree: Path, src: Path, store: Path, url: str, n: int) -> float:
    """Requests/s of `replay --repeat N` from TREE, on a fresh copy of the store SRC."""
    shutil.copytree(src, store)
    argv = [*HOOKCLI_ARGV, "replay", "1", "--to", url, "--repeat", str(n)]
    out = subprocess.run(
        [*argv, "--concurrency", "32", "--store", str(store)],
        capture_output=True,
        text=True,
        env={**CHILD_ENV, "PYTHONPATH": str(tree), "NO_COLOR": "1"},
        cwd=ROOT,
        timeout=300,
    )
    m = re.search(r"(\d+) sent, (\d+) answered 2xx, (\d+) failed in ([\d.]+) s", out.stdout)
    if out.returncode != 0 or m is None or int(m.group(2)) != n:
        raise RuntimeError(f"replay on {tree} failed ({out.returncode}): {out.stderr[-500:]}")
    return n / float(m.group(4))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--a", type=Path, required=True, help="checkout A (before)")
    p.add_argument("--b", type=Path, required=True, help="checkout B (after)")
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--duration", type=float, default=4.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per run")
    p.add_argument("--replay-pairs", type=int, default=10)
    p.add_argument("--repeat", type=int, default=1000, help="replay --repeat")
    p.add_argument("--only", default=",".join(VARIANTS), help="comma-separated variants")
    args = p.parse_args()
    require("wrk")
    chosen = [v for v in args.only.split(",") if v]
    unknown = set(chosen) - set(VARIANTS)
    if unknown:
        p.error(f"unknown variants: {', '.join(sorted(unknown))}")
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    for label, tree in trees.items():
        where = imported_from(tree)
        print(f"{label}: {tree} (imports {where})")
        if not where.startswith(str(tree)):
            sys.exit(f"PYTHONPATH={tree} does not select that tree")
    script = wrk_script(json_body(1024))
    results: dict[str, list[tuple[float, float, str]]] = {v: [] for v in chosen}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="hookcli-bench-trees-") as tmp,
            Server.baseline(lowlevel=True) as fast,
            Server.baseline(lowlevel=True, delay=SLOW_SECONDS) as slow,
        ):
            extras = {
                "fsync": [],
                "no-fsync": ["--no-fsync"],
                "keep": ["--keep", "1000"],
                "fast": ["--forward-to", fast.url],
                "stuck": ["--forward-to", dead_url(), "--forward-to", slow.url],
            }
            src = Path(tmp) / "replay-source"
            make_store(src, json_body(1024).encode())
            pairs = {v: args.replay_pairs if v == "replay" else args.pairs for v in chosen}
            for n in range(1, max(pairs.values()) + 1):
                for variant in chosen:
                    if n > pairs[variant]:
                        continue
                    order = ["A", "B"] if n % 2 else ["B", "A"]
                    rps: dict[str, float] = {}
                    at = load()
                    for label in order:
                        store = Path(tmp) / f"{variant}-{n}-{label}"
                        if variant == "replay":
                            rps[label] = replay_rate(
                                trees[label], src, store, fast.url, args.repeat
                            )
                        else:
                            extra = extras[variant]
                            rps[label] = one_run(trees[label], store, extra, script, args)
                    ratio = rps["B"] / rps["A"]
                    results[variant].append((rps["A"], rps["B"], at))
                    print(
                        f"pair {n} {variant:>8} ({'-'.join(order)}): A {rps['A']:7.0f}  "
                        f"B {rps['B']:7.0f} req/s  B/A {ratio:.2f}  load {at}",
                        flush=True,
                    )
    finally:
        script.unlink(missing_ok=True)
    print(f"\nmedians of the pairs (wrk -t1 -c32 -d{args.duration:g}s, 1 KiB JSON)")
    for variant, runs in results.items():
        ratios = [b / a for a, b, _ in runs]
        print(
            f"  {variant:>8}: A {median([a for a, _, _ in runs]):7.0f}  "
            f"B {median([b for _, b, _ in runs]):7.0f} req/s  B/A {median(ratios):.2f}  "
            f"(pairs {', '.join(f'{r:.2f}' for r in ratios)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
