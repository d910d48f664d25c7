"""The diff of two captures: the path-level summary `hookcli diff` prints, above the two
requests aligned side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from hookcli.model.capture import Capture
from hookcli.model.diff import DiffEntry, Row, diff_captures, document_lines, side_by_side
from hookcli.model.escape import visible
from hookcli.render.colors import style
from hookcli.render.diff import entry_lines, summary_line
from hookcli.tui.widgets.side_by_side import SideBySide


@dataclass(frozen=True)
class Comparison:
    """Two captures and their diff, worked out off the UI thread (aligning two big bodies
    takes a while)."""

    a: Capture
    b: Capture
    entries: list[DiffEntry]
    rows: list[Row]


def compare(a: Capture, b: Capture) -> Comparison:
    return Comparison(a, b, diff_captures(a, b), side_by_side(document_lines(a), document_lines(b)))


class DiffScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
    ]

    def __init__(self, comparison: Comparison) -> None:
        super().__init__()
        self.a, self.b = comparison.a, comparison.b
        self.entries = comparison.entries
        self.rows = comparison.rows

    def compose(self) -> ComposeResult:
        title = Text()
        title.append(
            f"a: #{self.a.id} {visible(self.a.method)} {visible(self.a.target)}", style("removed")
        )
        title.append("   ")
        title.append(
            f"b: #{self.b.id} {visible(self.b.method)} {visible(self.b.target)}", style("added")
        )
        yield Static(title, id="diff-title", markup=False)
        lines = [*entry_lines(self.entries), summary_line(len(self.entries), 0)]
        with VerticalScroll(id="diff-summary"):
            yield Static(Group(*lines), markup=False)
        yield SideBySide(self.rows, id="diff-panes")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SideBySide).focus()
