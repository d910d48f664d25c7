"""`hookcli verify`, `hookcli fabricate` and `hookcli providers`."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from hookcli.cli.common import (
    JsonOpt,
    StoreOpt,
    handled,
    open_store,
    print_json,
    read_arg_bytes,
)
from hookcli.errors import HookcliError, UsageError

SecretOpt = Annotated[
    str | None,
    typer.Option(help="Signing secret [default: $HOOKCLI_SECRET_<PROVIDER>, then config]."),
]


def parse_now(value: str | None) -> int:
    """--now: Unix seconds or ISO 8601 (a time without zone is UTC)."""
    import time

    if value is None:
        return int(time.time())
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--now: {value!r} is neither Unix seconds nor ISO 8601",
            "e.g. 1764120000 or 2026-11-26T01:00:00Z",
        ) from None
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def resolve_secret(provider: str, given: str | None) -> str:
    from hookcli import config

    secret = config.secret_for(provider, given)
    if not secret:
        raise UsageError(
            f"no secret for {provider}",
            f"pass --secret, or set {config.env_name(provider)} or [secrets] in config",
        )
    return secret


def verify(
    capture_id: Annotated[str, typer.Argument(metavar="ID", help="Capture id, or last.")],
    secret: SecretOpt = None,
    provider: Annotated[
        str | None, typer.Option(help="Provider scheme [default: detected from headers].")
    ] = None,
    tolerance: Annotated[
        int | None, typer.Option(help="Seconds of clock skew allowed [default: provider's].", min=0)
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="Verify as of this time: Unix seconds or ISO 8601.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="URL the sender signed (Twilio, Square, Trello) [default: from the Host header]."
        ),
    ] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a capture's signature; exit 1 with the precise reason when it does not hold."""
    from hookcli import config
    from hookcli.signing import registry
    from hookcli.signing.classify import request_url

    moment = parse_now(now)
    name = registry.canonical(provider) if provider else None
    cap = open_store(store).get(capture_id)
    name = name or registry.detect(cap.headers, cap.body)
    if name is None:
        verdict = registry.verify(None, cap.headers, cap.body, "", moment)
    else:
        options = config.load().hmac if name == "hmac" else None
        verdict = registry.verify(
            name,
            cap.headers,
            cap.body,
            resolve_secret(name, secret),
            moment,
            tolerance,
            url or request_url(cap),
            options,
        )
    if json_out:
        print_json(
            {
                "id": cap.id,
                "provider": name,
                "valid": verdict.ok,
                "reason": verdict.reason,
                "message": verdict.message,
                "hint": verdict.hint,
            }
        )
    else:
        label = f"#{cap.id} {name or 'unknown provider'}"
        if verdict.ok:
            sys.stdout.write(f"valid: {label}: {verdict.message}\n")
        else:
            sys.stdout.write(f"invalid: {label}: {verdict.message}\n")
            if verdict.hint:
                sys.stdout.write(f"hint: {verdict.hint}\n")
    if not verdict.ok:
        raise typer.Exit(1)


def fabricate(
    provider: Annotated[
        str, typer.Argument(help="A provider name (`hookcli providers` lists them).")
    ],
    event: Annotated[
        str | None, typer.Argument(help="Event name [default: the provider's first].")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="URL to send the event to.")] = None,
    secret: SecretOpt = None,
    data: Annotated[
        str | None, typer.Option(help="Body to send instead of the template: JSON or @FILE.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Edit the body: dotted.path=VALUE (repeatable)."),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", "-H", help='Add or replace a header: "Name: value".'),
    ] = None,
    print_only: Annotated[
        bool, typer.Option("--print", help="Write the signed request as raw HTTP; send nothing.")
    ] = False,
    list_events: Annotated[
        bool, typer.Option("--list", help="List the provider's events.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the target.", min=0.1)] = 30.0,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Make a realistic, correctly signed event and send it (recorded as a capture)."""
    from hookcli import config
    from hookcli.cli.capture_cmds import parse_header
    from hookcli.events import builder
    from hookcli.signing import registry

    name = registry.canonical(provider)
    cfg = config.load()
    if list_events:
        events = builder.list_events(name, cfg.template_dirs)
        if json_out:
            print_json(events)
        else:
            sys.stdout.write("\n".join(events) + "\n")
        return
    if to is None and not print_only:
        raise UsageError("fabricate needs --to URL", "or --print to write the request instead")
    if to is not None:
        from hookcli.delivery.prepare import check_url

        check_url(to)
    request = builder.build(
        name,
        event,
        secret=resolve_secret(name, secret),
        url=to,
        data=read_arg_bytes(data, "--data"),
        sets=set_ or [],
        extra_headers=[parse_header(h, "--header") for h in header or []],
        template_dirs=cfg.template_dirs,
        hmac_options=cfg.hmac if name == "hmac" else None,
    )
    if request.note:
        sys.stderr.write(f"note: {request.note}\n")
    if print_only:
        from urllib.parse import urlsplit

        from hookcli.model.wire import render_request

        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = [("Host", parts.netloc)]
        sys.stdout.buffer.write(
            render_request(request.method, target, host + request.headers, request.body)
        )
        sys.stdout.buffer.flush()
        return
    from hookcli.cli.fabricate_send import send_and_record

    cap, attempt = send_and_record(open_store(store), request, timeout)
    if json_out:
        print_json({"id": cap.id, "attempt": attempt.to_record(), "capture": cap.summary()})
    else:
        status = str(attempt.status) if attempt.status is not None else attempt.error
        sys.stdout.write(
            f"#{cap.id} {name} {request.event_type or ''} -> {attempt.target}: {status}"
            f" ({attempt.latency_ms:.0f} ms)\n"
        )
    if attempt.status is None or not 200 <= attempt.status < 300:
        raise HookcliError(
            f"{attempt.target} answered {attempt.status}"
            if attempt.status is not None
            else str(attempt.error),
            f"the event was recorded as #{cap.id}: `hookcli show {cap.id}`",
        )


def providers(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """List the signature schemes hookcli knows, with their headers and events."""
    from hookcli.signing import registry

    rows = registry.describe()
    if json_out:
        print_json(
            [
                {
                    "name": r.name,
                    "scheme": r.title,
                    "headers": list(r.headers),
                    "events": list(r.events),
                    "docs": r.docs,
                    "source": r.source,
                }
                for r in rows
            ]
        )
        return
    from rich.table import Table

    from hookcli.render.console import stdout_console

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("NAME", style="bold")
    table.add_column("SCHEME", ratio=2)
    table.add_column("HEADERS", ratio=1)
    table.add_column("EVENTS", no_wrap=True)
    for r in rows:
        table.add_row(r.name, r.title, "\n".join(r.headers), "\n".join(r.events))
        table.add_row()
    stdout_console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(handled(verify))
    app.command()(handled(fabricate))
    app.command()(handled(providers))
