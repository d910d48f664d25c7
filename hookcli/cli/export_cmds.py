"""`hookcli export` and `hookcli import`: captures out to fixtures, commands and HAR files,
and HAR or fixture files back in. The work is in hookcli.export; this is the shell."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hookcli.cli.common import JsonOpt, StoreOpt, handled, open_store, print_json
from hookcli.cli.filters import (
    EventOpt,
    MethodOpt,
    PathOpt,
    ProviderOpt,
    SearchOpt,
    SinceOpt,
    make_filters,
)
from hookcli.errors import HookcliError, UsageError

if TYPE_CHECKING:
    from hookcli.export import Piece
    from hookcli.export.redact import Redactor
    from hookcli.model.capture import Capture

_FORMATS = ("fixtures", "curl", "httpie", "har")


def export(
    ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="ID...", help="Capture ids, ranges like 3-7, or last."),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every capture (that the filters let through).")
    ] = False,
    format_: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="fixtures (a directory), curl, httpie or har.", metavar="FORMAT"
        ),
    ] = "fixtures",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR|FILE",
            help="Directory for fixtures; a file for the others (default for curl, httpie "
            "and har: stdout).",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Base URL for curl and httpie commands; the captured path and query are "
            "joined to it (default: the capture's original host).",
        ),
    ] = None,
    redact: Annotated[
        bool | None,
        typer.Option(
            "--redact/--no-redact",
            help="Replace credentials and signature headers with a placeholder "
            "(default: on for fixtures and har, off for curl and httpie).",
            show_default=False,
        ),
    ] = None,
    redact_field: Annotated[
        list[str] | None,
        typer.Option(
            "--redact-field",
            help="Also redact this body field: body.PATH (dotted; `*` matches any key or "
            "index). Repeatable.",
            metavar="body.PATH",
        ),
    ] = None,
    method: MethodOpt = None,
    path: PathOpt = None,
    provider: ProviderOpt = None,
    event: EventOpt = None,
    since: SinceOpt = None,
    search: SearchOpt = None,
    store: StoreOpt = None,
) -> None:
    """Write captures as test fixtures, curl or httpie commands, or a HAR file."""
    from hookcli import export as core
    from hookcli.store.query import Filters

    if format_ not in _FORMATS:
        raise UsageError(f"--format {format_!r} is not known", f"use one of {', '.join(_FORMATS)}")
    filters = make_filters(method, path, provider, event, since, search)
    if ids and all_:
        raise UsageError("give capture ids or --all, not both")
    if not ids and not all_ and filters == Filters():
        raise UsageError(
            "name the captures to export", "give ids (12, 3-7, last), --all or a filter"
        )
    if format_ in core.PER_FILE and out is None:
        raise UsageError(
            "fixtures are one file per capture: give --out DIR",
            "e.g. --out tests/fixtures, or --format curl|httpie|har for stdout",
        )
    if to is not None:
        if format_ not in core.TAKES_TO:
            raise UsageError(f"--to applies to curl and httpie commands, not to {format_}")
        from hookcli.delivery.prepare import check_url

        check_url(to)
    redactor = _redactor(format_, redact, redact_field or [])

    st = open_store(store)
    wanted = set(st.resolve(ids)) if ids else None
    stored = st.captures(
        wanted, filters.summary_query(), filters.record_query(), filters.stop_before()
    )

    def captures() -> Iterator[Capture]:
        for cap in stored:
            yield redactor(cap) if redactor is not None else cap

    selected = captures()
    first = next(selected, None)
    if first is None:
        raise HookcliError("no capture matches: nothing was exported", "see `hookcli ls`")
    pieces = core.FORMATS[format_](chain([first], selected), to)
    if format_ in core.PER_FILE:
        assert out is not None
        count = core.write_files(pieces, out, private=redactor is None)
        sys.stdout.write(f"Wrote {count} fixture{'s' if count != 1 else ''} to {out}\n")
    elif out is not None:
        if out.is_dir():
            raise UsageError(f"--out {out} is a directory", f"{format_} writes one file")
        size = core.write_file(pieces, out, private=redactor is None)
        sys.stdout.write(f"Wrote {out} ({size:,} bytes)\n")
    else:
        if sys.stdout.isatty() and format_ == "har":
            pieces = _ascii(pieces)
        core.write_stream(pieces, sys.stdout.buffer)
    if redactor is not None:
        for name, hits in redactor.matched.items():
            if not hits:
                sys.stderr.write(f"note: --redact-field {name} matched no field\n")


def _ascii(pieces: Iterable[Piece]) -> Iterator[Piece]:
    """JSON with every non-ASCII character as a \\u escape: the same JSON, and nothing in
    it that a terminal would interpret (bidi controls, C1 controls)."""
    import json
    import re

    def escaped(m: re.Match[str]) -> str:
        return json.dumps(m.group())[1:-1]

    for name, data in pieces:
        yield name, re.sub(r"[^\x00-\x7f]+", escaped, data.decode("utf-8")).encode("ascii")


def _redactor(format_: str, redact: bool | None, fields: list[str]) -> Redactor | None:
    from hookcli.export import REDACTED
    from hookcli.export.redact import Redactor, signature_headers

    on = format_ in REDACTED if redact is None else redact
    if not on:
        if fields:
            raise UsageError("--redact-field with --no-redact: choose one")
        return None
    from hookcli import config

    return Redactor(fields, signature_headers(config.load().hmac))


def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="HAR files, fixture files, or directories of them (.har, .json).",
        ),
    ],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Read HAR files and fixture files into the store, all or nothing."""
    from hookcli.export import importer

    files = importer.expand(paths)
    done = importer.import_files(open_store(store), files)
    if json_out:
        print_json({"imported": done.ids})
        return
    n = len(done.ids)
    span = f" (#{done.ids[0]}-#{done.ids[-1]})" if n > 1 else f" (#{done.ids[0]})" if n else ""
    noun = "file" if done.files == 1 else "files"
    sys.stdout.write(
        f"Imported {n} capture{'s' if n != 1 else ''}{span} from {done.files} {noun}\n"
    )


def register(app: typer.Typer) -> None:
    app.command()(handled(export))
    app.command("import")(handled(import_))
