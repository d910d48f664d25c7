"""TUI at scale: does `hookcli tui` open, scroll and follow as fast on 100,000 captures as on 10?

Each measurement runs the real app headless (Textual's run_test, 120x40) in a fresh
process, alternating the 10-capture and the 100k-capture store for ROUNDS rounds:

1. first paint: from creating the app to the first rows drawn; and to every summary loaded.
   Target (100k): first rows under 1 s (aim 0.5 s).
2. `end`: from the key press to the oldest capture drawn on the last line. Target < 0.1 s.
3. live: a second process (already started) appends a capture with Store.add, six times at
   random points of the poll interval; the time from its add() returning to the row drawn
   on top. Target: the slowest under 0.5 s (the poll is 250 ms).
4. memory: the process's RSS with the app loaded. Target: at most 300 MB at 100k.
5. diff: two 2,000-line JSON bodies, structural diff plus the aligned two-pane rows, vs
   difflib.SequenceMatcher alone over the same lines (the baseline). Target < 0.2 s.

Figures are printed as 100k/10 ratios next to the absolute ones.

    .venv/bin/python tests/benchmarks/bench_tui.py [--captures 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _benchlib import PYTHON, TREE, median, ms, verdict

FIRST_PAINT_TARGET = 1.0
END_TARGET = 0.1
LIVE_TARGET = 0.5
RSS_TARGET_MIB = 300
DIFF_TARGET = 0.2

ADDER = """
import sys, time
from pathlib import Path
from hookcli.model.capture import Capture
from hookcli.store import Store
st = Store(Path(sys.argv[1]))
st.check()
print("ready", flush=True)
for n, _ in enumerate(sys.stdin):
    st.add([Capture("POST", f"/bench/live/{n}", "", [("Content-Type", "application/json")], b"{}")])
    print(time.time(), flush=True)
"""
LIVE_SAMPLES = 6


async def wait_for(condition: Callable[[], bool], pause: float, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not get there within a minute")
        await asyncio.sleep(pause)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(store: Path) -> dict[str, float]:
    """One run of the app on STORE (in this process); returns the figures in seconds."""
    sys.path.insert(0, str(TREE))
    from hookcli.store import Store
    from hookcli.tui.app import build_app

    adder = subprocess.Popen(
        [PYTHON, "-c", ADDER, str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=TREE,
    )
    assert adder.stdout is not None and adder.stdin is not None
    assert adder.stdout.readline().strip() == "ready"
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    app = build_app(Store(store))
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        cl = main.capture_list
        await wait_for(lambda: bool(main.view.shown), 0.001)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)  # the frame with the rows
        await painted.wait()
        out["first_paint"] = time.perf_counter() - t0
        await wait_for(lambda: main.loaded, 0.001)
        await pilot.pause()
        out["all_loaded"] = time.perf_counter() - t0
        oldest = str(main.view.rows[-1]["id"])
        t1 = time.perf_counter()
        await pilot.press("end")

        def oldest_drawn() -> bool:
            row = cl.render_line(cl.cursor - int(cl.scroll_y)).text.split()
            return row[:1] == [oldest]

        await wait_for(oldest_drawn, 0.001)
        out["end"] = time.perf_counter() - t1
        await pilot.press("home")
        await pilot.pause()
        loop = asyncio.get_running_loop()
        delays = []
        for n in range(LIVE_SAMPLES):
            # at a random point of the poll interval, as a real arrival would be
            await asyncio.sleep(random.uniform(0.05, 0.35))
            adder.stdin.write("go\n")
            adder.stdin.flush()
            added_at = float(await loop.run_in_executor(None, adder.stdout.readline))
            path = f"/bench/live/{n}"
            await wait_for(lambda path=path: path in cl.render_line(0).text, 0.002)
            delays.append(time.time() - added_at)
        out["live"] = median(delays)
        out["live_max"] = max(delays)
        out["rss_mib"] = rss_mib()
    adder.stdin.close()
    adder.wait(10)
    return out


def diff_timing(rounds: int) -> tuple[float, float]:
    """(structural diff + two-pane rows, SequenceMatcher alone) for 2,000-line JSON bodies."""
    import difflib

    sys.path.insert(0, str(TREE))
    from hookcli.model.capture import Capture
    from hookcli.model.diff import diff_captures, document_lines, side_by_side

    def body(bump: int) -> bytes:
        items = [{"id": i, "price": i * 10 + (i % bump == 0), "sku": f"s{i}"} for i in range(400)]
        return json.dumps({"object": "list", "data": items}).encode()

    headers = [("Content-Type", "application/json")]
    a = Capture("POST", "/d", "", headers, body(10**9))
    b = Capture("POST", "/d", "", headers, body(37))
    lines_a, lines_b = document_lines(a), document_lines(b)
    assert len(lines_a) > 2000, len(lines_a)
    ours, base = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        difflib.SequenceMatcher(None, lines_a, lines_b).get_opcodes()
        base.append(time.perf_counter() - t)
        t = time.perf_counter()
        diff_captures(a, b)
        side_by_side(document_lines(a), document_lines(b))
        ours.append(time.perf_counter() - t)
    return median(ours), median(base)


def build(root: Path, count: int) -> None:
    subprocess.run(
        [
            PYTHON,
            "-c",
            "import sys, pathlib, bench_scale; "
            "bench_scale.build_store(pathlib.Path(sys.argv[1]), int(sys.argv[2]))",
            str(root),
            str(count),
        ],
        check=True,
        cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONPATH": str(TREE)},
    )


def run_one(store: Path) -> dict[str, float]:
    done = subprocess.run(
        [PYTHON, __file__, "--measure", str(store)],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--captures", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure))))
        return 0
    with tempfile.TemporaryDirectory(prefix="hookcli-bench-tui-") as tmp:
        small, big = Path(tmp) / "small", Path(tmp) / "big"
        t = time.perf_counter()
        build(big, args.captures)
        build(small, 10)
        print(f"built stores of {args.captures} and 10 captures in {time.perf_counter() - t:.1f}s")
        runs: dict[str, list[dict[str, float]]] = {"10": [], "big": []}
        for rnd in range(args.rounds):
            order = [("10", small), ("big", big)]
            for label, store in order if rnd % 2 == 0 else reversed(order):
                r = run_one(store)
                runs[label].append(r)
                figures = ", ".join(f"{k} {v:.3f}" for k, v in r.items())
                print(f"  round {rnd + 1} {label:>3}: {figures}")
    return report(runs, args.captures, args.rounds)


def report(runs: dict[str, list[dict[str, float]]], captures: int, rounds: int) -> int:
    def med(label: str, key: str) -> float:
        return median([r[key] for r in runs[label]])

    failed = False
    print(f"\nmedians of {rounds} runs each, {captures:,} captures vs 10")
    rows: list[tuple[str, str, Any, float | None]] = [
        ("first rows drawn", "first_paint", FIRST_PAINT_TARGET, None),
        ("every summary loaded", "all_loaded", None, None),
        ("end key to the oldest row", "end", END_TARGET, None),
        ("appended elsewhere to drawn (median)", "live", None, None),
        ("appended elsewhere to drawn (slowest)", "live_max", LIVE_TARGET, None),
    ]
    for name, key, target, _ in rows:
        small, big = med("10", key), med("big", key)
        line = f"  {name:<38} 10: {ms(small):>9}  100k: {ms(big):>9}  ratio {big / small:5.2f}"
        if target is not None:
            ok = big < target
            failed |= not ok
            line += f"  target < {ms(target)}: {verdict(ok)}"
        print(line)
    small_rss, big_rss = med("10", "rss_mib"), med("big", "rss_mib")
    ok = big_rss <= RSS_TARGET_MIB
    failed |= not ok
    print(
        f"  {'RSS with the app loaded':<38} 10: {small_rss:6.1f} MiB  100k: {big_rss:6.1f} MiB"
        f"  ratio {big_rss / small_rss:5.2f}  target <= {RSS_TARGET_MIB} MiB: {verdict(ok)}"
    )
    ours, base = diff_timing(5)
    ok = ours < DIFF_TARGET
    failed |= not ok
    print(
        f"  {'diff of two 2,000-line JSON bodies':<38} SequenceMatcher alone {ms(base)}, "
        f"diff + two panes {ms(ours)}  ratio {ours / base:5.2f}  target < {ms(DIFF_TARGET)}: "
        f"{verdict(ok)}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
