"""The `ls` filter options, shared by every command that selects captures the way `ls`
does (ls, export), so that their flags, metavars and help read the same everywhere.

Only light imports here: this module loads for `hookcli --help`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hookcli.errors import UsageError

if TYPE_CHECKING:
    from hookcli.store.query import Filters

MethodOpt = Annotated[
    str | None, typer.Option(metavar="METHOD", help="Only this HTTP method (any case).")
]
PathOpt = Annotated[
    str | None, typer.Option(metavar="GLOB", help="Only paths matching this glob: '/hooks/*'.")
]
ProviderOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Only this provider: stripe, github, ...")
]
EventOpt = Annotated[
    str | None,
    typer.Option(metavar="GLOB", help="Only event types matching this glob: 'pull_request*'."),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        metavar="DURATION",
        help="Only captures newer than this: seconds (90), or 30s, 10m, 2h, 1d, 1w, 1h30m.",
    ),
]
SearchOpt = Annotated[
    str | None,
    typer.Option(
        metavar="TEXT", help="Only captures whose headers or body contain TEXT (any case)."
    ),
]


def make_filters(
    method: str | None,
    path: str | None,
    provider: str | None,
    event: str | None,
    since: str | None,
    search: str | None,
) -> Filters:
    """The options as store filters; a --since that is not a duration is a usage error."""
    from hookcli.model.units import parse_duration
    from hookcli.store.query import Filters

    try:
        since_s = parse_duration(since) if since else None
    except ValueError as e:
        raise UsageError(f"--since: {e}") from None
    return Filters(method, path, provider, event, since_s, search)
