"""The startup baseline: a minimal two-command typer app, run with the same Python and the
same typer/rich as hookcli.

    python tests/benchmarks/minimal_typer_app.py --help
    python tests/benchmarks/minimal_typer_app.py ls --json
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(help="A minimal two-command app.", no_args_is_help=True)


@app.command()
def hello(name: Annotated[str, typer.Argument(help="Who to greet.")] = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


@app.command()
def ls(json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """List nothing."""
    typer.echo(json.dumps([]) if json_out else "nothing")


if __name__ == "__main__":
    app()
