"""`hookcli diff` and `hookcli tui`: compare captures, browse them."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from hookcli.cli.common import JsonOpt, StoreOpt, handled, open_store, print_json
from hookcli.errors import HookcliError, UsageError

if TYPE_CHECKING:
    from hookcli.model.capture import Capture
    from hookcli.store import Store
    from hookcli.store.format import CaptureRecord


def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="Capture id, last, or a record file.")],
    b: Annotated[str, typer.Argument(metavar="B", help="Capture id, last, or a record file.")],
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="PATH",
            help="Hide paths matching this glob, and what lies under them, e.g. "
            "body.created or headers.stripe-signature (repeatable).",
        ),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when they differ (as git diff).")
    ] = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="Show whole objects and arrays, not how many keys they have."),
    ] = False,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare two captures: request line, headers, and bodies by JSON path or form field."""
    from hookcli.model.diff import diff_captures

    opened: list[Store] = []

    def the_store() -> Store:
        if not opened:
            opened.append(open_store(store))
        return opened[0]

    (cap_a, label_a), (cap_b, label_b) = _side(a, the_store), _side(b, the_store)
    entries = diff_captures(cap_a, cap_b, ignore or [])
    if json_out:
        print_json([e.to_json() for e in entries])
    else:
        from rich.text import Text

        from hookcli.model.escape import visible
        from hookcli.render.colors import style
        from hookcli.render.console import stdout_console
        from hookcli.render.diff import entry_lines, summary_line

        hidden = len(diff_captures(cap_a, cap_b)) - len(entries) if ignore else 0
        console = stdout_console()
        console.print(
            Text(f"--- a: {visible(label_a)}", style=style("removed")), no_wrap=True, crop=True
        )
        console.print(
            Text(f"+++ b: {visible(label_b)}", style=style("added")), no_wrap=True, crop=True
        )
        for line in entry_lines(entries, full):  # cut to the width, never wrapped
            console.print(line, crop=True, no_wrap=True, overflow="ellipsis")
        console.print(summary_line(len(entries), hidden))
    if exit_code and entries:
        raise typer.Exit(1)


def _side(ref: str, the_store: Callable[[], Store]) -> tuple[Capture, str]:
    """A capture named by REF: an id or `last` from the store, else a record file (as
    `hookcli show ID --json` prints), with a label naming it."""
    text = ref.strip()
    if text == "last" or text.isdigit():
        cap = the_store().get(text)
        return cap, f"#{cap.id} {cap.method} {cap.target}"
    path = Path(ref).expanduser()
    if not path.exists():
        raise UsageError(
            f"{ref!r} is neither a capture id nor a file",
            "give an id, last, or a file as `hookcli show ID --json` writes it",
        )
    return _read_record(path), str(path)


def _read_record(path: Path) -> Capture:
    from hookcli.model.capture import Capture

    try:
        data = json.loads(path.read_bytes())
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except ValueError as e:
        raise UsageError(f"{path} is not JSON: {e}") from None
    try:
        if not isinstance(data, dict):
            raise TypeError("not an object")
        # a user's file: from_record raises KeyError/TypeError/ValueError where it is not one
        return Capture.from_record(cast("CaptureRecord", {"id": 0, "received_at": "", **data}))
    except (KeyError, TypeError, ValueError) as e:
        raise UsageError(
            f"{path} is not a capture record ({type(e).__name__}: {e})",
            "expected a record as `hookcli show ID --json` writes it",
        ) from None


def tui(store: StoreOpt = None) -> None:
    """Browse captures in a terminal UI: live list, detail, filter, diff, replay, curl.

    Keys: / filter, enter open, space mark, d diff two marked, r replay,
    c copy as curl, x delete, ? all keys, q quit."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise HookcliError(
            "the TUI needs a terminal (stdin and stdout are not both a TTY)",
            "run it in a terminal; `hookcli ls` and `hookcli show` work in pipes",
        )
    if os.environ.get("TERM") == "dumb":
        raise HookcliError(
            "the TUI cannot draw on TERM=dumb", "set TERM (e.g. xterm-256color), or use ls/show"
        )
    from hookcli.tui.app import build_app

    build_app(open_store(store)).run()


def register(app: typer.Typer) -> None:
    app.command()(handled(diff))
    app.command()(handled(tui))
