"""`hookcli replay --compare`: the CLI side. Sends (delivery/compare.py), prints each
capture's line in order as its pair completes, then the summary; exit 1 when any pair
differs or failed."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from hookcli.cli.common import print_json

if TYPE_CHECKING:
    from hookcli.config import Config
    from hookcli.delivery.replay import Delivery, ReplayOptions
    from hookcli.model.capture import Attempt, Capture
    from hookcli.store import Store


def run_compare(
    db: Store,
    captures: Sequence[Capture],
    opts: ReplayOptions,
    against: str,
    ignore: Sequence[str],
    ignore_headers: Sequence[str],
    cfg: Config,
    json_out: bool,
) -> None:
    from hookcli import config
    from hookcli.cli.interrupt import run_stoppable
    from hookcli.delivery import compare as core
    from hookcli.delivery import replay
    from hookcli.render import compare as lines
    from hookcli.render.console import stdout_console

    the_plan = core.plan(
        captures, opts, against, lambda name: config.secret_for(name, opts.secret, cfg), cfg.hmac
    )
    for note in the_plan.notes:
        sys.stderr.write(f"note: {note}\n")
    console = stdout_console()
    collator = core.InOrder(the_plan, ignore, ignore_headers)

    def show(pairs: Sequence[core.Pair]) -> None:
        if json_out:
            return
        for p in pairs:
            for line in lines.pair_lines(p):
                console.print(line, crop=True, no_wrap=True, overflow="ellipsis")

    def seen(d: Delivery, attempt: Attempt, wait: float | None) -> None:
        show(list(collator.attempt(d, attempt, wait)))

    interrupted = False
    try:
        run_stoppable(replay.send_all(the_plan.sends, opts, db.add_attempts, seen))
    except KeyboardInterrupt:  # what was in flight is recorded as stopped: finish the report
        interrupted = True
    show(list(collator.rest()))
    counts = core.counts(the_plan.pairs)
    if json_out:
        print_json([p.to_record() for p in the_plan.pairs])
    else:
        summary = lines.summary(counts)
        if interrupted:
            summary.append("; stopped by Ctrl-C")
        console.print(summary)
    if interrupted:
        raise typer.Exit(130)
    if counts["differs"] or counts["failed"]:
        raise typer.Exit(1)
