"""The `fixtures` format: one JSON file per capture, for a test suite to load.

A fixture file is the capture record (SPEC, "The capture record") with its keys in the
record's fixed order and two-space indentation, so that exporting the same capture again
gives the same bytes and a diff in review shows only what changed. Forward and replay
attempts are left out (empty lists): they describe where the capture was sent on one
machine, not the event, and would change the file on every replay."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import orjson

from hookcli.model.capture import Capture

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PART_MAX = 80  # characters of provider/event/path in a name: file names stop at 255 bytes


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._")[:_PART_MAX] or "_"


def file_name(c: Capture) -> str:
    """`<provider>-<event>-<id>.json`, or `<method>-<path>-<id>.json` when the capture has no
    provider or event; `/` and every other character unsafe in a file name become `_`."""
    if c.provider and c.event_type:
        parts = [c.provider, c.event_type]
    else:
        parts = [c.method.lower(), c.path.strip("/") or "root"]
    return "-".join(_safe(p) for p in parts) + f"-{c.id}.json"


# a [name, value] pair as orjson indents it inside the top-level "headers" array
_PAIR = re.compile(rb'\n    \[\n      ("(?:[^"\\]|\\.)*"),\n      ("(?:[^"\\]|\\.)*")\n    \]')


def render(c: Capture) -> bytes:
    """The record, indented, with each header pair on a line of its own."""
    record = c.to_record()
    record["forwards"] = []
    record["replays"] = []
    text = orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    return _PAIR.sub(rb"\n    [\1, \2]", text)


def export(captures: Iterable[Capture], to: str | None = None) -> Iterator[tuple[str, bytes]]:
    """(file name, file bytes) for each capture. TO has no meaning for fixtures."""
    for c in captures:
        yield file_name(c), render(c)
