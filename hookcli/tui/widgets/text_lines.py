"""A read-only view of many lines: a line-API ScrollView that styles and renders only the
lines on screen, so a 10 MB JSON body opens as fast as a small one (a Static renders and
measures all of it first: 14 s for a 100 KB pretty JSON body, and highlighting the whole
text then splitting it into lines still took 7 s for 1 MB). Scrolls both ways; a line that
goes on past the right edge ends in `…`."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

Styler = Callable[[str], Text]
_CACHE_LINES = 512


def plain(line: str) -> Text:
    return Text(line)


class TextLines(ScrollView, can_focus=True):
    def __init__(self, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[str] = []
        self.styler: Styler = plain
        self._strips: dict[int, Strip] = {}

    def set_lines(self, lines: list[str], styler: Styler = plain) -> None:
        """Show LINES (already escaped), each styled by STYLER when it comes on screen."""
        self.lines, self.styler = lines, styler
        self._strips.clear()
        width = max((cell_len(line) for line in lines), default=0)
        self.virtual_size = Size(width, len(lines))
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        index = scroll_y + y
        if index >= len(self.lines):
            return Strip.blank(width, base)
        strip = self._strips.get(index)
        if strip is None:
            if len(self._strips) > _CACHE_LINES:
                self._strips.clear()
            text = self.styler(self.lines[index])
            segments = Segment.apply_style(text.render(self.app.console, end=""), base)
            strip = self._strips[index] = Strip(list(segments))
        if strip.cell_length <= scroll_x + width or width < 2:
            return strip.crop_extend(scroll_x, scroll_x + width, base)
        # the line goes on past the right edge: say so, as `ls` does (scroll right to see it)
        more = Segment("…", base + Style(dim=True))
        return Strip([*strip.crop(scroll_x, scroll_x + width - 1), more], width)
