"""Pieces every command shares: the --store/--json options, the error funnel, output.

Only light imports here: this module loads for `hookcli --help`."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from hookcli.errors import ExitCode, HookcliError, UsageError

if TYPE_CHECKING:
    from hookcli.model.capture import Capture
    from hookcli.store import Store

P = ParamSpec("P")
R = TypeVar("R")

# No envvar here: `hookcli --store A ls` must beat HOOKCLI_STORE, and click would hand the
# command the environment's value as if typed. HOOKCLI_STORE is read by paths.store_dir,
# after both options (see store_path).
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="PATH",
        help="Store directory, here or before the command name (default: the user data"
        " directory, ~/.local/share/hookcli/store on Linux)  [env var: HOOKCLI_STORE]",
        file_okay=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]

_state = {"debug": bool(os.environ.get("HOOKCLI_DEBUG"))}
_root_store: list[Path] = []  # `hookcli --store PATH COMMAND`


def begin() -> None:
    """A fresh start for one command line: --debug from HOOKCLI_DEBUG alone, no root
    --store yet. A process runs one command line; the test suite runs many in one."""
    _state["debug"] = bool(os.environ.get("HOOKCLI_DEBUG"))
    _root_store.clear()


def set_debug(on: bool) -> None:
    _state["debug"] = _state["debug"] or on


def set_root_store(path: Path | None) -> None:
    _root_store[:] = [path] if path is not None else []


def store_path(path: Path | None) -> Path:
    """The store directory: the command's --store, else the one before the command name
    (as `git -C`), else HOOKCLI_STORE, else the user data directory."""
    from hookcli.paths import store_dir

    return store_dir(path if path is not None else next(iter(_root_store), None))


def fail(message: str, hint: str | None = None, code: int = ExitCode.FAILED) -> typer.Exit:
    """Print one error line on stderr; the caller raises the returned Exit."""
    from hookcli.render.colors import terminal_width
    from hookcli.render.row import fold

    text = f"error: {message}"
    if hint:  # a hint with parentheses of its own follows after a semicolon, not nested
        text += f"; {hint}" if "(" in hint else f" ({hint})"
    sys.stderr.write(fold(text, terminal_width(sys.stderr)(), 7) + "\n")
    sys.stderr.flush()
    return typer.Exit(int(code))


REPAIR_HINT = (
    "`hookcli store repair` moves the damaged lines into a quarantine file beside the store,"
    " deleting nothing"
)


def repair_hint(error: BaseException) -> str | None:
    """What to do about a store that cannot be read: `store repair`."""
    from hookcli.store.log import StoreCorrupt

    return REPAIR_HINT if isinstance(error, StoreCorrupt) else None


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """The error funnel: expected failures become one line and an exit code; anything else
    becomes one line too, with the traceback only under --debug."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except HookcliError as e:
            if _state["debug"]:
                traceback.print_exc()
            raise fail(e.message, repair_hint(e) or e.hint, e.code) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # `hookcli ls | head`: the reader left; not an error worth a line
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as e:
            if _state["debug"]:
                traceback.print_exc()
            raise fail(
                f"unexpected {type(e).__name__}: {e}", "run with --debug for the traceback"
            ) from None

    return wrapper


def read_arg_bytes(value: str | None, flag: str) -> bytes | None:
    """A TEXT|@FILE option's bytes: the text as UTF-8, or the named file's content."""
    if value is None:
        return None
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_bytes()
        except OSError as e:
            raise UsageError(f"{flag}: cannot read {path}: {e.strerror}") from None
    return value.encode("utf-8")


def open_store(path: Path | None) -> Store:
    from hookcli.store import Store

    return Store(store_path(path))


def get_capture(st: Store, ref: str, command: str) -> Capture:
    """The one capture REF names ("12" or "last") for COMMAND, which takes a single id: a
    range or list gets an error saying so (the store's own hint is about ranges for rm)."""
    text = ref.strip()
    if text != "last" and not (text.isdigit() and int(text) > 0):
        if "-" in text.strip("-") or "," in text:
            raise UsageError(
                f"{command} takes one capture id, not {text!r}",
                f"run `hookcli {command}` once per id, or `hookcli ls` to list several",
            )
        raise UsageError(f"bad capture id {text!r}", "an id is a number from `hookcli ls`, or last")
    return st.get(text)


def id_ranges(ids: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7": ids as people read them."""
    parts: list[str] = []
    start = prev = None
    for i in [*ids, None]:
        if start is not None and (i is None or prev is None or i != prev + 1):
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if i is not None and start is None:
            start = i
        prev = i
    return ", ".join(parts)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
