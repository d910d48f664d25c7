"""The `hookcli` command: a typer app whose commands live in small modules.

Command modules import only typer and light helpers at module level; aiohttp, textual and
pyngrok load inside the commands that use them, so `hookcli --help` starts fast.

Help is click's plain formatter, not typer's rich panels: rich markup would eat any
`[...]` in a help text, and plain text reads like `gh`'s and `git`'s help. Errors from
the argument parser go through the same one-line funnel as every other error."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from hookcli import __version__
from hookcli.cli import common
from hookcli.errors import ExitCode

app = typer.Typer(
    name="hookcli",
    help="Capture, inspect, replay and fabricate webhooks locally.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
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
        bool,
        typer.Option(
            "--debug", help="Show tracebacks for unexpected errors (or set HOOKCLI_DEBUG=1)."
        ),
    ] = False,
    store: common.StoreOpt = None,
) -> None:
    common.set_debug(debug)
    common.set_root_store(store)


def _register() -> None:
    from hookcli.cli import (
        capture_cmds,
        inspect_cmds,
        manage_cmds,
        replay_cmds,
        signing_cmds,
        store_cmds,
        view_cmds,
    )

    for module in (
        capture_cmds,
        inspect_cmds,
        view_cmds,
        replay_cmds,
        manage_cmds,
        store_cmds,
        signing_cmds,
    ):
        module.register(app)
    __import__("hookcli.cli.export_cmds", fromlist=["register"]).register(app)


_register()


def _name_values(command: Any) -> None:
    """Give every option that takes a value a metavar: its own, else its name in capitals
    (`--since SINCE`), as click does, instead of typer's `<str>` and `<int range>`; and
    drop the `<str>` typer puts after an argument's name (`ID <str>`)."""
    for param in command.params:
        if param.param_type_name == "argument":
            param.display_type_rich = lambda ctx: None
            continue
        takes_value = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        if takes_value and param.metavar is None:
            param.metavar = (param.name or "value").upper()
    for sub in getattr(command, "commands", {}).values():
        _name_values(sub)


def _usage_error(e: Any) -> int:
    """A parser error (bad option, missing argument, bad value) as one `error:` line."""
    message = e.format_message().strip().rstrip(".")
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    ctx = getattr(e, "ctx", None)
    hint = f"see `{ctx.command_path} --help`" if ctx is not None else None
    code = int(getattr(e, "exit_code", ExitCode.USAGE))
    return common.fail(message, hint, code).exit_code


def main() -> None:
    from typer._click.exceptions import NoArgsIsHelpError

    common.begin()
    command = typer.main.get_command(app)
    _name_values(command)
    try:
        result = command.main(prog_name="hookcli", standalone_mode=False)
    except NoArgsIsHelpError as e:  # plain `hookcli`: the help, as asked
        sys.stdout.write(e.format_message() + "\n")
        result = 0
    except typer.TyperException as e:  # click's UsageError family and kin
        result = _usage_error(e)
    except typer.Abort:  # a confirmation answered "no"
        sys.stderr.write("Aborted.\n")
        result = ExitCode.FAILED
    sys.exit(result if isinstance(result, int) else 0)
