"""Lines `listen` prints that its forwarding helper prints too: forward attempts (live
lines, or JSON lines with --json) on stdout, warnings on stderr. Each call is one write
and a flush, so two processes sharing the terminal or a pipe never mix their lines.
Imports nothing heavy: the forwarding helper starts with it."""

from __future__ import annotations

import json
import sys

from hookcli.model.capture import Attempt
from hookcli.render.colors import terminal_width, use_color
from hookcli.render.live import LiveLines
from hookcli.server import forward


class LinePrinter:
    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.lines = LiveLines(use_color(sys.stdout), terminal_width(sys.stdout))
        self.warn = LiveLines(use_color(sys.stderr), terminal_width(sys.stderr))

    def forwarded(self, batch: list[tuple[int, Attempt]]) -> None:
        if self.as_json:
            text = "".join(json.dumps(forward.describe(cid, a)) + "\n" for cid, a in batch)
        else:
            text = "".join(self.lines.forwarded(cid, a) + "\n" for cid, a in batch)
        sys.stdout.write(text)
        sys.stdout.flush()

    def warning(self, text: str) -> None:
        sys.stderr.write(self.warn.warning(text) + "\n")
        sys.stderr.flush()

    def note(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def _emit(self, obj: dict[str, object]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()
