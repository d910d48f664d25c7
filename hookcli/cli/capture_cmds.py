"""`hookcli listen`: the catch server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hookcli.cli.common import JsonOpt, StoreOpt, handled, read_arg_bytes
from hookcli.errors import UsageError

if TYPE_CHECKING:
    from hookcli.delivery.routes import Routes
    from hookcli.tunnel import TunnelOptions


def listen(
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDRESS", help="Interface to bind; 0.0.0.0 makes it reachable from your LAN."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(metavar="PORT", help="Port to bind; 0 picks a free one.", min=0, max=65535),
    ] = 9000,
    status: Annotated[
        int, typer.Option(metavar="CODE", help="Status code to answer with.", min=100, max=599)
    ] = 200,
    response_body: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT|@FILE",
            help='Body to answer with (default: {"ok": true, "id": N}); @FILE for a file\'s bytes.',
        ),
    ] = None,
    response_header: Annotated[
        list[str] | None,
        typer.Option(metavar='"NAME: VALUE"', help="Header to answer with (repeatable)."),
    ] = None,
    delay: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", help="Seconds to wait before answering (after recording).", min=0
        ),
    ] = 0.0,
    max_body_size: Annotated[
        str,
        typer.Option(
            metavar="SIZE",
            help="Largest body to accept: bytes, or 512KiB, 25MiB, 1MB; more gets 413.",
        ),
    ] = "25MiB",
    secret: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PROVIDER=SECRET",
            help="Show each capture's signature state live (repeatable). Providers not named"
            " here use HOOKCLI_SECRET_<PROVIDER> or [secrets] in the config file.",
        ),
    ] = None,
    read_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds a sender may take to send its body before a 408.",
            min=0.1,
        ),
    ] = 60.0,
    tunnel: Annotated[
        bool,
        typer.Option(
            "--tunnel",
            help="Open an ngrok tunnel to the listener and print its public URL "
            "(agent: env HOOKCLI_NGROK_PATH, else downloaded once).",
        ),
    ] = False,
    ngrok_authtoken: Annotated[
        str | None,
        typer.Option(
            envvar="NGROK_AUTHTOKEN",
            metavar="TOKEN",
            show_envvar=False,
            help="ngrok authtoken (env: NGROK_AUTHTOKEN; default: the agent's config file).",
        ),
    ] = None,
    ngrok_domain: Annotated[
        str | None,
        typer.Option(
            metavar="DOMAIN", help="Your reserved/static ngrok domain for the public URL."
        ),
    ] = None,
    ngrok_region: Annotated[
        str | None, typer.Option(metavar="REGION", help="ngrok region: us, eu, ap, au, sa, jp, in.")
    ] = None,
    forward_to: Annotated[
        list[str] | None,
        typer.Option(
            "--forward-to",
            metavar="URL",
            help="Forward each capture to URL, its path joined with the captured one (repeatable).",
        ),
    ] = None,
    route: Annotated[
        list[str] | None,
        typer.Option(
            metavar="GLOB=URL",
            help="Forward captures whose event type matches GLOB to URL instead "
            "(repeatable; first match wins).",
        ),
    ] = None,
    routes: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="TOML routes file (route tables of event and to), checked after --route.",
        ),
    ] = None,
    forward_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds to wait for a forward's answer; 0 waits forever.",
            min=0,
        ),
    ] = 30.0,
    forward_retries: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Retries of a forward on connection errors, timeouts, 5xx and 429.",
            min=0,
        ),
    ] = 0,
    forward_concurrency: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Forwards in flight per target; 1 delivers in arrival order.",
            min=1,
        ),
    ] = 8,
    forward_queue: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Captures waiting per target; past that, forwards are skipped (and recorded).",
            min=1,
        ),
    ] = 1000,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify forward targets' TLS certificates.")
    ] = False,
    keep: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Retention: keep at most the N newest captures, deleting older ones as new"
            " ones arrive (default: config key `keep`, else no limit).",
            min=1,
        ),
    ] = None,
    no_fsync: Annotated[
        bool,
        typer.Option(
            "--no-fsync",
            help="Answer once a capture is written, without waiting for the disk (faster;"
            " a power cut may lose the last answered captures).",
        ),
    ] = False,
    no_handshakes: Annotated[
        bool,
        typer.Option(
            "--no-handshakes",
            help="Do not answer providers' endpoint-verification handshakes (Slack, Zoom,"
            " Meta, X, Dropbox, Twitch, Microsoft Graph, Asana, Okta, Discord, Xero,"
            " Worldline): give them the usual answer.",
        ),
    ] = False,
    verify_token: Annotated[
        str | None,
        typer.Option(
            envvar="HOOKCLI_VERIFY_TOKEN",
            show_envvar=False,
            metavar="TOKEN",
            help="Meta's verify token: a handshake with another hub.verify_token gets 403"
            " (env: HOOKCLI_VERIFY_TOKEN).",
        ),
    ] = None,
    fail_first: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Answer the first N attempts of each delivery with --fail-status, to watch"
            " the provider retry.",
            min=0,
        ),
    ] = 0,
    fail_status: Annotated[
        int,
        typer.Option(metavar="CODE", help="Status of a scripted failure.", min=400, max=599),
    ] = 500,
    fail_rate: Annotated[
        float,
        typer.Option(
            metavar="P",
            help="Answer each request with --fail-status with probability P (0 to 1).",
            min=0.0,
            max=1.0,
        ),
    ] = 0.0,
    seed: Annotated[
        int | None,
        typer.Option(metavar="S", help="Seed of --fail-rate's draws, to fail the same again."),
    ] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a local catch server that records every request.

    Every request, any method, path and body, is stored before it is answered and shown
    as one line. Ctrl-C stops it."""
    from hookcli.cli.listen_run import ListenConfig, run
    from hookcli.server.forward import ForwardOptions

    try:
        from hookcli.model.units import parse_size

        limit = parse_size(max_body_size)
    except ValueError as e:
        raise UsageError(f"--max-body-size: {e}") from None
    check_failures(fail_first, fail_status, fail_rate, seed)
    cfg = ListenConfig(
        host=host,
        port=port,
        status=status,
        response_body=read_arg_bytes(response_body, "--response-body"),
        response_headers=[parse_header(h, "--response-header") for h in response_header or []],
        delay=delay,
        max_body_size=limit,
        read_timeout=read_timeout,
        secrets=live_secrets(secret or []),
        keep=keep,
        fsync=not no_fsync,
        store=store,
        json=json_out,
        tunnel=tunnel_options(tunnel, ngrok_authtoken, ngrok_domain, ngrok_region),
        forward=forward_routes(forward_to or [], route or [], routes),
        forward_options=ForwardOptions(
            timeout=forward_timeout,
            retries=forward_retries,
            insecure=insecure,
            max_pending=forward_queue,
            workers=forward_concurrency,
        ),
        handshakes=not no_handshakes,
        verify_token=verify_token or None,
        fail_first=fail_first,
        fail_status=fail_status,
        fail_rate=fail_rate,
        seed=seed,
    )
    run(cfg)


def check_failures(first: int, status: int, rate: float, seed: int | None) -> None:
    """--fail-status and --seed alone would do nothing: say so rather than ignore them."""
    if seed is not None and not rate:
        raise UsageError("--seed needs --fail-rate", "e.g. --fail-rate 0.3 --seed 7")
    if status != 500 and not first and not rate:
        raise UsageError(
            "--fail-status needs --fail-first or --fail-rate",
            "to answer every request with it, use --status",
        )


def forward_routes(forward_to: list[str], route: list[str], routes_file: Path | None) -> Routes:
    """--forward-to, --route and --routes as one Routes; --route flags are checked before
    the file's routes. Every bad value is a usage error before the server starts."""
    from hookcli.delivery.prepare import check_url
    from hookcli.delivery.routes import Routes, load_routes, parse_route

    given = [parse_route(r) for r in route]
    if routes_file is not None:
        given += load_routes(routes_file)
    return Routes(given, [check_url(u, "--forward-to") for u in forward_to])


def live_secrets(given: list[str]) -> dict[str, str]:
    """Secrets for the live signature check: --secret PROVIDER=SECRET, then the environment
    and config for every other provider."""
    from hookcli import config
    from hookcli.handshakes.names import SECRET_PROVIDERS
    from hookcli.signing import registry

    cli: dict[str, str] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise _bare_secret(name.strip())
        low = name.strip().lower()
        if low in SECRET_PROVIDERS and low not in registry.names():
            cli[low] = value  # a handshake's secret (X's CRC, Twitch, Xero): no scheme yet
            continue
        provider = registry.canonical(name)
        scheme = registry.get(provider)
        try:  # a secret that cannot verify would mark every capture invalid: say so now
            if scheme.public_key:  # what verifies is the sender's public key
                problem = scheme.secret_problem(value)
                if problem is not None:
                    raise UsageError(problem.message, problem.hint)
            else:
                scheme.sign(b"", value, 0, url="http://localhost/")
        except UsageError as e:
            raise UsageError(f"--secret {provider}=...: {e.message}", e.hint) from None
        cli[provider] = value
    known = registry.names()
    return config.secrets_for([*known, *sorted(SECRET_PROVIDERS - set(known))], cli)


def tunnel_options(
    on: bool, authtoken: str | None, domain: str | None, region: str | None
) -> TunnelOptions | None:
    """--tunnel and its --ngrok-* options; those alone are a mistake worth saying."""
    if not on:
        for flag, value in (("--ngrok-domain", domain), ("--ngrok-region", region)):
            if value is not None:
                raise UsageError(f"{flag} needs --tunnel")
        return None
    from hookcli.tunnel import TunnelOptions, parse_domain

    try:
        domain = parse_domain(domain) if domain is not None else None
    except ValueError as e:
        raise UsageError(f"--ngrok-domain: {e}") from None
    return TunnelOptions(authtoken=authtoken or None, domain=domain, region=region or None)


def _bare_secret(text: str) -> UsageError:
    """`--secret stripe` or `--secret whsec_...`: say which half is missing, never echoing
    what may be the secret itself."""
    from hookcli.signing import registry

    low = text.lower()
    if low in registry.NAMES or low in registry.ALIASES:
        return UsageError(
            f"--secret {text}: the secret itself is missing",
            f"write it as --secret {low}=SECRET, or set HOOKCLI_SECRET_{low.upper()}",
        )
    return UsageError(
        "--secret takes PROVIDER=SECRET, with the provider named first",
        "e.g. --secret stripe=whsec_...; `hookcli providers` lists the names",
    )


def parse_header(text: str, flag: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t\r\n"):
        raise UsageError(f'{flag}: expected "Name: value", got {text!r}')
    if "\r" in value or "\n" in value:
        raise UsageError(f"{flag}: header values cannot contain line breaks")
    return name, value.strip()


def register(app: typer.Typer) -> None:
    app.command()(handled(listen))
