"""The `hookcli` command: a typer app whose commands live in small modules.

Command modules import only typer and light helpers at module level; aiohttp, textual and
pyngrok load inside the commands that use them, so `hookcli --help` starts fast."""

from __future__ import annotations

from typing import Annotated

import typer

from hookcli import __version__
from hookcli.cli import common

app = typer.Typer(
    name="hookcli",
    help="Capture, inspect, replay and fabricate webhooks locally.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hookcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
) -> None:
    common.set_debug(debug)


def _register() -> None:
    from hookcli.cli import (
        capture_cmds,
        inspect_cmds,
        manage_cmds,
        replay_cmds,
        signing_cmds,
        view_cmds,
    )

    for module in (capture_cmds, inspect_cmds, view_cmds, replay_cmds, manage_cmds, signing_cmds):
        module.register(app)


_register()


def main() -> None:
    app(prog_name="hookcli")
