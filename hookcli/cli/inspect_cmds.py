"""`hookcli ls` and `hookcli show`: read captures from the shell."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hookcli.cli.common import (
    JsonOpt,
    StoreOpt,
    get_capture,
    handled,
    open_store,
    print_json,
)
from hookcli.cli.filters import (
    EventOpt,
    MethodOpt,
    PathOpt,
    ProviderOpt,
    SearchOpt,
    SinceOpt,
    make_filters,
)
from hookcli.errors import UsageError

if TYPE_CHECKING:
    from hookcli.store import Store


def ls(
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", help="Show at most N captures.", min=1)
    ] = 20,
    method: MethodOpt = None,
    path: PathOpt = None,
    provider: ProviderOpt = None,
    event: EventOpt = None,
    since: SinceOpt = None,
    search: SearchOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List captures, newest first.

    Filters combine. At a terminal a last line names the store that was read."""
    from hookcli.store.query import Filters

    f = make_filters(method, path, provider, event, since, search)
    st = open_store(store)
    rows = list(
        st.summaries(
            match=f.summary_query(),
            limit=limit + 1,  # one more than shown tells whether there are more
            record_match=f.record_query(),
            stop=f.stop_before(),
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    _fill_signature_state(st, rows)
    if json_out:
        print_json([_summary_json(s) for s in rows])
        return
    from hookcli.render.console import stdout_console

    console = stdout_console()
    where = str(st.root)
    filtered = f != Filters()
    # lines naming the store are never broken by rich: a path is copied whole
    if not rows:
        if filtered:
            console.print(f"No captures match in {where}.", soft_wrap=True)
        else:
            console.print(f"No captures yet in {where}.", soft_wrap=True)
            console.print("Run `hookcli listen` and send it a request, or `hookcli fabricate`.")
        return
    from hookcli.render.listing import summaries_table

    console.print(summaries_table(rows))
    if console.is_terminal:  # a footer for people; scripts reading the table get rows only
        footer = _footer(len(rows), more, filtered, where, limit)
        console.print(footer, style="dim", soft_wrap=True)


def _footer(shown: int, more: bool, filtered: bool, where: str, limit: int) -> str:
    noun = "capture" if shown == 1 else "captures"
    which = "matching " if filtered else ""
    if more:
        return f"{shown} newest {which}{noun} of {where}; more with --limit {limit * 2}"
    return f"{shown} {which}{noun} in {where}"


def _fill_signature_state(st: Store, rows: list[dict[str, Any]]) -> None:
    """Rows recorded without a signature state get one now when a secret for their
    provider is configured (environment or config): O(rows) records read."""
    providers = {r["provider"] for r in rows if r.get("provider") and not r.get("signature")}
    if not providers:
        return
    from hookcli import config
    from hookcli.signing.classify import fill_signatures

    fill_signatures(rows, st.get, config.secrets_for(sorted(providers)))


def _summary_json(s: dict[str, object]) -> dict[str, object]:
    keys = ("id", "received_at", "method", "path", "query", "body_size", "provider", "event_type")
    out = {k: s.get(k) for k in keys}
    out["signature"] = s.get("signature")
    out["source"] = s.get("source")
    return out


def show(
    capture_id: Annotated[str, typer.Argument(metavar="ID", help="A capture id, or last.")],
    raw: Annotated[
        bool, typer.Option("--raw", help="The request as received on the wire.")
    ] = False,
    body: Annotated[bool, typer.Option("--body", help="Only the raw body bytes.")] = False,
    attempts: Annotated[
        str,
        typer.Option(
            "--attempts",
            metavar="N|all",
            help="How many of the newest forwards and replays to list (each kind).",
        ),
    ] = "20",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one capture: request line, headers, pretty body, attempts.

    --raw gives the request as received, --body only its body bytes (for jq)."""
    if sum((raw, body, json_out)) > 1:
        raise UsageError("choose one of --json, --raw and --body")
    limit = _attempts_limit(attempts)
    cap = get_capture(open_store(store), capture_id, "show")
    if json_out:
        record: dict[str, Any] = dict(cap.to_record())  # with the counts it adds
        for kind in ("forwards", "replays"):  # the count always, the newest LIMIT in full
            record[f"{kind}_count"] = len(record[kind])
            if limit is not None and len(record[kind]) > limit:
                record[kind] = record[kind][-limit:] if limit else []
        print_json(record)
    elif body or raw:
        from hookcli.model.wire import render_request

        data = (
            cap.body
            if body
            else render_request(
                cap.method,
                cap.target,
                cap.headers,
                cap.body,
                cap.http_version,
                cap.headers_encoding,
            )
        )
        _write_exact(data)
    else:
        from hookcli.render.console import stdout_console
        from hookcli.render.detail import render_capture

        console = stdout_console()
        for part in render_capture(cap, limit):
            console.print(part)


def _attempts_limit(text: str) -> int | None:
    if text.strip().lower() == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise UsageError(f"--attempts {text!r}: give a number or all")
    return n


def _write_exact(data: bytes) -> None:
    """The bytes as they are, unless stdout is a terminal: there, control characters (escape
    sequences a sender chose) are shown escaped, and stderr says how to get the exact bytes."""
    if sys.stdout.isatty():
        from hookcli.model.escape import visible_block

        text = data.decode("utf-8", errors="backslashreplace").replace("\r\n", "\n")
        safe = visible_block(text)
        if safe != text:
            sys.stdout.write(safe + "\n")
            sys.stderr.write("note: control bytes shown escaped; redirect stdout for exact bytes\n")
            return
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def register(app: typer.Typer) -> None:
    app.command()(handled(ls))
    app.command()(handled(show))
