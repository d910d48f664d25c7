"""`hookcli replay`: send captures again, byte-exact or re-signed."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from hookcli.cli.common import JsonOpt, StoreOpt, handled, open_store, print_json
from hookcli.cli.filters import EventOpt, MethodOpt, PathOpt, SearchOpt, SinceOpt
from hookcli.errors import HookcliError, UsageError

if TYPE_CHECKING:
    from hookcli.delivery.replay import Delivery
    from hookcli.model.capture import Attempt
    from hookcli.store import Store


def replay(
    ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="ID...", help="Capture ids, ranges like 3-7, or last."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="URL",
            help="Base URL; the captured path and query are joined to it "
            "(default: where the capture was last sent; `original`: where an imported "
            "capture was first sent).",
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            "-H",
            metavar='"NAME: VALUE"',
            help='Add or replace a header: "Name: value".',
        ),
    ] = None,
    resign: Annotated[
        bool,
        typer.Option(
            "--resign", help="Re-sign with a fresh timestamp and message id (needs a secret)."
        ),
    ] = False,
    secret: Annotated[
        str | None,
        typer.Option(
            metavar="SECRET",
            help="Signing secret (default: HOOKCLI_SECRET_<PROVIDER>, then config).",
        ),
    ] = None,
    provider: Annotated[
        str | None, typer.Option(metavar="NAME", help="Provider to sign for (default: detected).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="Edit the JSON body: dotted.path=VALUE; implies --resign.",
        ),
    ] = None,
    repeat: Annotated[int, typer.Option(metavar="N", help="Send each capture N times.", min=1)] = 1,
    duplicate: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Send each request N times unchanged: same message id and signature, "
            "as a provider's retry.",
            min=1,
        ),
    ] = 1,
    backdate: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Re-sign as if sent this long ago (seconds, or 10m, 1h): tests the "
            "app's tolerance window.",
        ),
    ] = None,
    shuffle: Annotated[
        bool, typer.Option("--shuffle", help="Send in random order (see --seed).")
    ] = False,
    seed: Annotated[
        int | None, typer.Option(metavar="N", help="Seed for --shuffle, to repeat an order.")
    ] = None,
    concurrency: Annotated[
        int, typer.Option(metavar="N", help="Requests in flight at once.", min=1)
    ] = 1,
    retries: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Retries on connection errors, timeouts, 5xx and 429 (backoff with jitter).",
            min=0,
        ),
    ] = 0,
    timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", help="Seconds to wait for each answer; 0 waits forever.", min=0
        ),
    ] = 30.0,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify the target's TLS certificate.")
    ] = False,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            metavar="URL|recorded",
            help="Also send each capture to URL (or take the answer recorded when it was "
            "forwarded or last replayed) and compare the two answers; exit 1 if any differ.",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="PATH",
            help="With --compare: leave out differences at this path (glob, repeatable): "
            "'body.data.id', 'headers.x-*'.",
        ),
    ] = None,
    ignore_header: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore-header",
            metavar="NAME",
            help="With --compare: a header that may differ, beside Date, Server and the "
            "other volatile ones (repeatable).",
        ),
    ] = None,
    all_: Annotated[
        bool,
        typer.Option(
            "--all", help="Every capture that the filters let through (--provider also selects)."
        ),
    ] = False,
    method: MethodOpt = None,
    path: PathOpt = None,
    event: EventOpt = None,
    since: SinceOpt = None,
    search: SearchOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send captures again: same method, path, headers and byte-exact body, or re-signed;
    with --compare, to two versions of the app, answers compared."""
    from hookcli import config
    from hookcli.cli.capture_cmds import parse_header
    from hookcli.cli.interrupt import run_stoppable
    from hookcli.delivery import replay as core
    from hookcli.model.units import parse_duration
    from hookcli.render.colors import terminal_width, use_color
    from hookcli.render.delivery import DeliveryLines

    back = 0
    if backdate is not None:
        try:
            back = int(parse_duration(backdate))
        except ValueError as e:
            raise UsageError(f"--backdate: {e}") from None
    opts = core.ReplayOptions(
        to=to,
        headers=[parse_header(h, "--header") for h in header or []],
        resign=resign,
        secret=secret,
        provider=provider,
        sets=set_ or [],
        repeat=repeat,
        duplicate=duplicate,
        backdate=back,
        shuffle=shuffle or seed is not None,
        seed=seed,
        retries=retries,
        timeout=timeout,
        concurrency=concurrency,
        insecure=insecure,
    )
    if (ignore or ignore_header) and compare is None:
        raise UsageError("--ignore and --ignore-header apply to --compare")
    db = open_store(store)
    captures = [
        db.get(cid)
        for cid in _selected(db, ids or [], all_, provider, method, path, event, since, search)
    ]
    cfg = config.load()
    if compare is not None:
        from hookcli.cli.replay_compare import run_compare

        run_compare(db, captures, opts, compare, ignore or [], ignore_header or [], cfg, json_out)
        return
    plan = core.plan(captures, opts, lambda name: config.secret_for(name, secret, cfg), cfg.hmac)
    for note in plan.notes:
        sys.stderr.write(f"note: {note}\n")
    if plan.seed is not None and seed is None:
        sys.stderr.write(f"note: shuffled with --seed {plan.seed}\n")
    lines = DeliveryLines(use_color(sys.stdout), terminal_width(sys.stdout))
    many = len(plan.deliveries) > 10
    # a line at a time to a terminal or for a few sends; a long run to a pipe is buffered
    live = not many or sys.stdout.isatty()

    def shown(d: Delivery, attempt: Attempt, wait: float | None) -> None:
        if json_out:
            return
        out = [lines.attempt(d.capture_id, d.outgoing.method, attempt, wait, retries)]
        if wait is None and (attempt.response_excerpt and (not many or not attempt.ok)):
            out.append(lines.body(attempt))
        sys.stdout.write("\n".join(out) + "\n")
        if live:
            sys.stdout.flush()

    started = time.perf_counter()
    interrupted = False
    try:
        done = run_stoppable(core.send_all(plan, opts, db.add_attempts, shown))
    except KeyboardInterrupt:  # what was in flight is recorded as stopped; say what was done
        interrupted = True
        done = [d for d in plan.deliveries if d.attempts]
    elapsed = time.perf_counter() - started
    failed = [d for d in done if not d.ok]
    if json_out:
        print_json([d.to_record() for d in done])
    elif len(done) > 1 or interrupted:
        rate = len(done) / elapsed if elapsed > 0 else 0.0
        line = (
            f"{len(done)} sent, {len(done) - len(failed)} answered 2xx, {len(failed)} failed"
            f" in {elapsed:.3f} s ({rate:.0f}/s)"
        )
        if interrupted:
            line += f"; stopped by Ctrl-C, {len(plan.deliveries) - len(done)} not sent"
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    if interrupted:
        raise typer.Exit(130)
    if failed:
        raise _failure(failed, len(done))


def _selected(
    db: Store,
    refs: list[str],
    all_: bool,
    provider: str | None,
    *filter_opts: str | None,
) -> list[int]:
    """The ids to replay: those named, or with --all (or a filter) every capture the `ls`
    filters let through, oldest first."""
    from hookcli.cli.filters import make_filters
    from hookcli.store.query import Filters

    method, path, event, since, search = filter_opts
    filters = make_filters(method, path, provider if all_ else None, event, since, search)
    if refs and (all_ or filters != Filters()):
        raise UsageError("give capture ids, or --all and filters, not both")
    if refs:
        return _ordered_ids(db, refs)
    if not all_ and filters == Filters():
        raise UsageError(
            "name the captures to replay", "give ids such as 12, 3-7 or last, or --all"
        )
    found = db.summaries(
        filters.summary_query(), None, filters.record_query(), filters.stop_before()
    )
    ids = sorted(int(s["id"]) for s in found)
    if not ids:
        raise HookcliError("no capture matches: nothing was sent", "see `hookcli ls`")
    return ids


def _ordered_ids(db: Store, refs: list[str]) -> list[int]:
    """Ids in the order the user named them (ranges ascending), each once."""
    seen: dict[int, None] = {}
    for ref in refs:
        for cid in db.resolve([ref]):
            seen.setdefault(cid, None)
    return list(seen)


def _failure(failed: list[Delivery], total: int) -> HookcliError:
    from hookcli.render.delivery import status_text

    first = failed[0]
    last = first.attempts[-1]
    hint = f"every attempt is recorded: `hookcli show {first.capture_id}`"
    if total > 1:
        return HookcliError(f"{len(failed)} of {total} deliveries failed", hint)
    if last.status is None:
        return HookcliError(last.error or f"no answer from {last.target}", hint)
    why = f": {last.error}" if last.error else ""
    return HookcliError(f"{last.target} answered {status_text(last.status)}{why}", hint)


def register(app: typer.Typer) -> None:
    app.command()(handled(replay))
