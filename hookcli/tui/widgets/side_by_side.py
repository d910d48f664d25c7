"""Two captures side by side, aligned line by line (model.diff.side_by_side, from difflib):
one line-API ScrollView draws both halves of each row, so the panes can never scroll apart.
Removed lines are red on the left, added lines green on the right, changed pairs both."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hookcli.model.diff import Row
from hookcli.model.escape import visible
from hookcli.tui.widgets.capture_list import fit

_SIGN = {"equal": " ", "replace": "~", "delete": "-", "insert": "+"}


class SideBySide(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "side-by-side--removed",
        "side-by-side--added",
        "side-by-side--gap",
        "side-by-side--rule",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_change(1)", "Next change"),
        Binding("p", "next_change(-1)", "Previous change"),
    ]

    def __init__(self, rows: list[Row], id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = rows
        self.virtual_size = Size(0, len(rows))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        index = int(self.scroll_y) + y
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        half = max(4, (width - 1) // 2)
        removed = base + self.get_component_rich_style("side-by-side--removed")
        added = base + self.get_component_rich_style("side-by-side--added")
        gap = base + self.get_component_rich_style("side-by-side--gap")
        rule = base + self.get_component_rich_style("side-by-side--rule")
        changed = row.tag != "equal"
        left = self._half(row.left, half, removed if changed else base, gap, _SIGN[row.tag])
        right = self._half(row.right, half, added if changed else base, gap, _SIGN[row.tag])
        return Strip([*left, Segment("│", rule), *right]).adjust_cell_length(width, base)

    @staticmethod
    def _half(text: str | None, width: int, style: Style, gap: Style, sign: str) -> list[Segment]:
        if text is None:
            return [Segment(" " * width, gap)]
        return [Segment(fit(f"{sign} {visible(text)}", width), style)]

    def action_next_change(self, direction: int) -> None:
        """Scroll so the next (or previous) block of changes is at the top."""
        top = int(self.scroll_y)
        order = range(top + 1, len(self.rows)) if direction > 0 else range(top - 1, -1, -1)
        for i in order:
            starts_block = self.rows[i].tag != "equal" and (
                i == 0 or self.rows[i - 1].tag == "equal"
            )
            if starts_block:
                self.scroll_to(y=max(0, i - 2), animate=False)
                return
