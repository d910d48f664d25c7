"""`hookcli verify`, `hookcli fabricate` and `hookcli providers`."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from hookcli.cli.common import (
    JsonOpt,
    StoreOpt,
    get_capture,
    handled,
    open_store,
    print_json,
    read_arg_bytes,
)
from hookcli.errors import HookcliError, UsageError

SecretOpt = Annotated[
    str | None,
    typer.Option(
        metavar="SECRET",
        help="Signing secret (default: $HOOKCLI_SECRET_<PROVIDER>, then [secrets] in the"
        " config file).",
    ),
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
        str | None,
        typer.Option(
            metavar="NAME",
            help="Provider scheme (default: the capture's own, else detected from the headers).",
        ),
    ] = None,
    tolerance: Annotated[
        int | None,
        typer.Option(
            metavar="SECONDS",
            help="Clock skew allowed (default: the provider's, 300 for most).",
            min=0,
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(metavar="TIME", help="Verify as of this time: Unix seconds or ISO 8601."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="URL the sender signed, for Twilio, Square and Trello (default: where"
            " `fabricate` sent the capture, else rebuilt from Host and X-Forwarded-Proto/-Host).",
        ),
    ] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a capture's signature, and say exactly why it fails.

    Exit 0 when valid, 1 with the reason when not."""
    from hookcli import config
    from hookcli.signing import registry
    from hookcli.signing.classify import signed_url

    moment = parse_now(now)
    name = registry.canonical(provider) if provider else None
    cap = get_capture(open_store(store), capture_id, "verify")
    # the provider the capture was recorded as (fabricate's, or detected when caught), then
    # detection: senders that share headers (Standard Webhooks adopters) are told apart so
    known = cap.provider if cap.provider in registry.names() else None
    name = name or known or registry.detect(cap.headers, cap.body)
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
            url or signed_url(cap),
            options,
            cap.method,
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
        str,
        typer.Argument(
            metavar="PROVIDER", help="A provider name (`hookcli providers` lists them)."
        ),
    ],
    event: Annotated[
        str | None,
        typer.Argument(
            metavar="EVENT", help="Event name (default: the provider's first; see --list)."
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="URL", help="Where to send the event.")
    ] = None,
    secret: SecretOpt = None,
    data: Annotated[
        str | None,
        typer.Option(
            metavar="JSON|@FILE", help="Body to send instead of the template's, sent as given."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="Edit the body: dotted path (data.object.amount=500), VALUE as JSON or"
            " text (repeatable).",
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            "-H",
            metavar='"NAME: VALUE"',
            help="Add or replace a header, after signing (repeatable).",
        ),
    ] = None,
    print_only: Annotated[
        bool, typer.Option("--print", help="Write the signed request as raw HTTP; send nothing.")
    ] = False,
    list_events: Annotated[
        bool,
        typer.Option(
            "--list", help="List the provider's events (those starting with EVENT, if given)."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option(metavar="SECONDS", help="Seconds to wait for the target.", min=0.1)
    ] = 30.0,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Make a realistic signed event, send it, and record it.

    The event is recorded as a capture (source: fabricated), so `hookcli show`, `verify`
    and `replay` work on it."""
    from hookcli import config
    from hookcli.cli.capture_cmds import parse_header
    from hookcli.events import builder
    from hookcli.signing import registry

    name = registry.canonical(provider)
    cfg = config.load()
    if list_events:  # EVENT, when given, is a prefix: `--list invoice.`
        from hookcli.events import catalog

        events = catalog.matching(name, event or "", cfg.template_dirs)
        if json_out:
            print_json([{"event": e, "group": catalog.group(e)} for e in events])
        else:
            sys.stdout.write("\n".join(events) + "\n")
        return
    if event is not None:  # an unknown event is the first thing to hear of
        from hookcli.events import catalog

        catalog.load(name, event, cfg.template_dirs)
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

        from hookcli.delivery.prepare import host_header
        from hookcli.model.wire import render_request

        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = [("Host", host_header(request.url))]
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
        from hookcli.render.delivery import status_text

        status = status_text(attempt.status) if attempt.status is not None else attempt.error
        sys.stdout.write(
            f"#{cap.id} {name} {request.event} -> {attempt.target}: {status}"
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
    """List the signature schemes hookcli knows.

    Each with the headers that carry its signature and its built-in events."""
    from hookcli.events import providers as listing

    rows = listing.describe()
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
    from hookcli.render.console import stdout_console
    from hookcli.render.providers import providers_view

    stdout_console().print(providers_view(rows))


def register(app: typer.Typer) -> None:
    app.command()(handled(verify))
    app.command()(handled(fabricate))
    app.command()(handled(providers))
