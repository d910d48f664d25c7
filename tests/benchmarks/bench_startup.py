"""Startup: `hookcli --help` wall time vs a minimal two-command typer app's `--help`
(tests/benchmarks/minimal_typer_app.py, same Python, same typer and rich). Target: ratio
<= 1.3. Also `hookcli ls --json` on an empty store vs the minimal app's `ls --json` (a
command that prints `[]`), the cost of a real command's imports and store open.

    .venv/bin/python tests/benchmarks/bench_startup.py [--runs 20] [--rounds 2]

hyperfine runs every command RUNS times per round, rounds in alternating order; the figure
is the median over all rounds' medians. Takes about a minute.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _benchlib import HERE, HOOKCLI, PYTHON, hyperfine, median, ms, require, verdict

TARGET = 1.3
MINIMAL = str(HERE / "minimal_typer_app.py")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    require("hyperfine")

    with tempfile.TemporaryDirectory(prefix="hookcli-bench-") as tmp:
        store = Path(tmp) / "empty-store"
        commands = {
            "minimal --help": [PYTHON, MINIMAL, "--help"],
            "hookcli --help": [HOOKCLI, "--help"],
            "minimal ls --json": [PYTHON, MINIMAL, "ls", "--json"],
            "hookcli ls --json (empty store)": [HOOKCLI, "ls", "--json", "--store", str(store)],
            "python -c pass": [PYTHON, "-c", "pass"],
        }
        medians: dict[str, list[float]] = {name: [] for name in commands}
        for rnd in range(args.rounds):
            order = list(commands) if rnd % 2 == 0 else list(reversed(commands))
            res = hyperfine(
                {name: commands[name] for name in order},
                runs=args.runs,
                warmup=3,
                env={"COLUMNS": "80"},
            )
            for name, r in res.items():
                medians[name].append(r["median"])

    t = {name: median(v) for name, v in medians.items()}
    print(f"hyperfine, {args.rounds} rounds x {args.runs} runs (3 warm-up), median wall time")
    for name, v in t.items():
        print(f"  {name:<34} {ms(v):>10}   (rounds: {', '.join(ms(x) for x in medians[name])})")
    help_ratio = t["hookcli --help"] / t["minimal --help"]
    ls_ratio = t["hookcli ls --json (empty store)"] / t["minimal ls --json"]
    ls_vs_help = t["hookcli ls --json (empty store)"] / t["minimal --help"]
    print(
        f"hookcli --help / minimal --help: {help_ratio:.2f}  "
        f"target <= {TARGET}: {verdict(help_ratio <= TARGET)}"
    )
    print(f"hookcli ls --json (empty) / minimal ls --json: {ls_ratio:.2f}")
    print(f"hookcli ls --json (empty) / minimal --help: {ls_vs_help:.2f}")
    return 0 if help_ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
