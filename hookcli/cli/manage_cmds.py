"""`hookcli rm` and `hookcli clear`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hookcli.cli.common import JsonOpt, StoreOpt, handled, id_ranges, open_store, print_json
from hookcli.errors import UsageError


def rm(
    ids: Annotated[
        list[str], typer.Argument(metavar="ID", help="Ids, ranges such as 3-7, or last.")
    ],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete captures by id, range (3-7) or last.

    Their ids are never given out again."""
    st = open_store(store)
    removed = st.delete(st.resolve(ids))
    if json_out:
        print_json({"removed": removed})
    else:
        noun = "capture" if len(removed) == 1 else "captures"
        sys.stdout.write(f"Removed {len(removed)} {noun}: {id_ranges(removed)}\n")


def clear(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete every capture in the store (ids keep counting up)."""
    st = open_store(store)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("clear asks for confirmation", "pass --yes to clear without asking")
        typer.confirm(f"Delete every capture in {st.root}?", abort=True)
    count = st.clear()
    if json_out:
        print_json({"removed": count})
    else:
        sys.stdout.write(f"Removed {count} capture{'s' if count != 1 else ''}.\n")


def register(app: typer.Typer) -> None:
    app.command()(handled(rm))
    app.command()(handled(clear))
