"""Import of a HAR file and export of a store as fixtures, at 10k and 100k captures.

    python tests/benchmarks/bench_import_export.py [--rounds 3] [--small 10000] [--large 100000]

import: `hookcli import FILE.har` into a fresh store, as a subprocess; captures/s, wall
time and peak RSS (from wait4). Baseline, same run: appending the same captures through
`Store.add` in batches of 1000, in-process, already built (what the store itself costs).
Targets: large <= 12 x small (linear), large < 30 s, peak RSS < 2 x the HAR file's size.

export: `hookcli export --all --format fixtures --out DIR` of a store holding that many
captures; wall time. Baseline: writing the same number of files of the same size with
plain Python (open, write, close). Targets: large <= 12 x small, large < 60 s.

Captures are 1 KiB JSON POSTs with five headers. Times are medians of --rounds; every
round uses fresh stores and directories. Loopback and disk only; nothing is sent."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _benchlib import CHILD_ENV, ROOT, hookcli_argv, json_body, median, verdict

sys.path.insert(0, str(ROOT))

from hookcli.export import FORMATS, write_file
from hookcli.model.capture import Capture
from hookcli.store import Store

BATCH = 1000


def captures(n: int) -> list[Capture]:
    body = json_body(1024).encode()
    headers = [
        ("Host", "hooks.example.test"),
        ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        ("Content-Type", "application/json; charset=utf-8"),
        ("Stripe-Signature", "t=1700000000,v1=" + "ab" * 32),
        ("X-Request-Id", "req_0123456789"),
    ]
    return [
        Capture("POST", f"/hooks/stripe/{i}", "x=1", list(headers), body, id=i + 1)
        for i in range(n)
    ]


def make_har(path: Path, n: int) -> int:
    size = write_file(FORMATS["har"](captures(n), None), path)
    return size


def make_store(path: Path, n: int) -> None:
    st = Store(path)
    caps = captures(n)
    for i in range(0, n, BATCH):
        st.add(caps[i : i + BATCH])
    st.close()


def timed_child(argv: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of a child process; raises when it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[2:4]} failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_maxrss


def store_add_baseline(tmp: Path, n: int) -> float:
    caps = captures(n)
    st = Store(tmp / "baseline-store")
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        st.add(caps[i : i + BATCH])
    took = time.perf_counter() - start
    st.close()
    shutil.rmtree(tmp / "baseline-store")
    return took


def files_baseline(tmp: Path, n: int, size: int) -> float:
    data = b"x" * size
    out = tmp / "baseline-files"
    out.mkdir()
    start = time.perf_counter()
    for i in range(n):
        (out / f"post-hooks_stripe_{i}-{i + 1}.json").write_bytes(data)
    took = time.perf_counter() - start
    shutil.rmtree(out)
    return took


def bench_import(tmp: Path, sizes: list[int], rounds: int) -> bool:
    print("== import of a HAR file")
    walls: dict[int, float] = {}
    ok = True
    for n in sizes:
        har = tmp / f"{n}.har"
        har_size = make_har(har, n)
        runs, rss, base = [], [], []
        for rnd in range(rounds):
            store = tmp / f"import-{n}-{rnd}"
            wall, peak = timed_child([*hookcli_argv(), "import", str(har), "--store", str(store)])
            got = Store(store)
            count = sum(1 for _ in got.summaries())
            got.close()
            if count != n:
                raise RuntimeError(f"imported {count} of {n}")
            shutil.rmtree(store)
            runs.append(wall)
            rss.append(peak)
            base.append(store_add_baseline(tmp, n))
        walls[n] = median(runs)
        peak_mib, har_mib = max(rss) / 1024, har_size / 2**20
        rss_ok = max(rss) * 1024 < 2 * har_size
        print(
            f"{n:>7} entries ({har_mib:.1f} MiB): {walls[n]:6.2f} s "
            f"({n / walls[n]:8.0f} captures/s; runs {', '.join(f'{x:.2f}' for x in runs)}), "
            f"peak RSS {peak_mib:.1f} MiB = {max(rss) * 1024 / har_size:.2f} x the file "
            f"[{verdict(rss_ok)} < 2]; Store.add alone {median(base):.2f} s "
            f"(import/Store.add {walls[n] / median(base):.1f})"
        )
        ok = ok and rss_ok
        har.unlink()
    small, large = sizes
    ratio = walls[large] / walls[small]
    linear, fast = ratio <= 12 * large / small / 10, walls[large] < 30
    print(
        f"{large} / {small}: {ratio:.2f} x [{verdict(linear)} <= {12 * large // small // 10}]; "
        f"{large} in {walls[large]:.1f} s [{verdict(fast)} < 30 s]"
    )
    return ok and linear and fast


def bench_export(tmp: Path, sizes: list[int], rounds: int) -> bool:
    print("== export of a store as fixtures")
    walls: dict[int, float] = {}
    for n in sizes:
        store = tmp / f"export-store-{n}"
        make_store(store, n)
        runs, base = [], []
        for rnd in range(rounds):
            out = tmp / f"fixtures-{n}-{rnd}"
            argv = [*hookcli_argv(), "export", "--all", "--out", str(out), "--store", str(store)]
            wall, _ = timed_child(argv)
            files = list(out.iterdir())
            if len(files) != n:
                raise RuntimeError(f"exported {len(files)} of {n}")
            size = files[0].stat().st_size
            shutil.rmtree(out)
            runs.append(wall)
            base.append(files_baseline(tmp, n, size))
        walls[n] = median(runs)
        print(
            f"{n:>7} captures: {walls[n]:6.2f} s ({n / walls[n]:8.0f} fixtures/s; runs "
            f"{', '.join(f'{x:.2f}' for x in runs)}); writing {n} files of {size} B alone "
            f"{median(base):.2f} s (export/plain files {walls[n] / median(base):.1f})"
        )
        shutil.rmtree(store)
    small, large = sizes
    ratio = walls[large] / walls[small]
    linear, fast = ratio <= 12 * large / small / 10, walls[large] < 60
    print(
        f"{large} / {small}: {ratio:.2f} x [{verdict(linear)} <= {12 * large // small // 10}]; "
        f"{large} in {walls[large]:.1f} s [{verdict(fast)} < 60 s]"
    )
    return linear and fast


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--small", type=int, default=10_000)
    p.add_argument("--large", type=int, default=100_000)
    p.add_argument("--only", choices=("import", "export"))
    args = p.parse_args()
    sizes = [args.small, args.large]
    ok = True
    with tempfile.TemporaryDirectory(prefix="hookcli-bench-io-") as name:
        tmp = Path(name)
        # children start from cached bytecode, as an installed package does (_benchlib)
        make_har(tmp / "warm.har", 10)
        timed_child([*hookcli_argv(), "import", str(tmp / "warm.har"), "--store", str(tmp / "w")])
        timed_child(
            [
                *hookcli_argv(),
                "export",
                "--all",
                "--out",
                str(tmp / "wo"),
                "--store",
                str(tmp / "w"),
            ]
        )
        if args.only in (None, "import"):
            ok = bench_import(tmp, sizes, args.rounds) and ok
        if args.only in (None, "export"):
            ok = bench_export(tmp, sizes, args.rounds) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
