"""The capture list: a line-API ScrollView that draws only the rows on screen, straight from
the view's summary dicts, so 100,000 captures open and scroll as fast as 10 (a DataTable
measures every cell first: about 10 s at that size).

Every cell that came from a request goes through `visible` and into a plain Segment:
Textual never parses markup from Segments, and control characters are escaped first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from hookcli.model.escape import visible
from hookcli.model.units import human_size
from hookcli.render.row import CAPTURE_ROW, WIDE, Column, column_widths, heading
from hookcli.tui.colors import role_style, signature_style
from hookcli.tui.view import CaptureView, Summary

SOURCE_MARK = {"fabricated": "fab", "imported": "imp"}


def fit(text: str, width: int, right: bool = False) -> str:
    """TEXT in exactly WIDTH cells: cut with an ellipsis, padded with spaces."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


#: the mark column, then the capture row that `ls` and the live lines share
MARK = Column("mark", "", "", 0, 0)
#: the widest these columns' content gets; the path and provider/event are measured on
#: the rows on screen (the list draws only those: 100,000 rows are never all measured)
CONTENT = {"method": 6, "size": 9, "signature": 7}


@dataclass(frozen=True)
class Columns:
    """Cell widths of one layout, from the shared row layout (render/row.py)."""

    columns: tuple[Column, ...]
    widths: tuple[int, ...]

    @classmethod
    def fit_width(
        cls,
        width: int,
        id_width: int,
        time_width: int,
        wide: bool,
        needs: dict[str, int] | None = None,
    ) -> Columns:
        """The columns for WIDTH cells; NEEDS: the path's and provider/event's widest."""
        columns = (MARK, *CAPTURE_ROW)
        contents = {"mark": 1, "id": id_width, "time": time_width, "path": width, "event": 32}
        contents.update(needs or {})
        contents["source"] = 10 if wide else 3
        naturals = [contents.get(c.name, CONTENT.get(c.name, 0)) for c in columns]
        widths = column_widths(columns, naturals, width, 1)
        return cls(columns, tuple(widths))

    def cells(self) -> list[tuple[str, int, bool]]:
        """(name, width, right-aligned) in drawing order."""
        return [(c.name, w, c.right) for c, w in zip(self.columns, self.widths, strict=True)]

    def heading(self, name: str, width: int) -> str:
        column = next(c for c in self.columns if c.name == name)
        return heading(column, width)


def local_time(iso: str, today: str) -> str:
    """HH:MM:SS for today's captures, MM-DD HH:MM for older ones (TODAY is YYYY-MM-DD)."""
    try:
        t = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return "?"
    return t.strftime("%H:%M:%S") if t.date().isoformat() == today else t.strftime("%m-%d %H:%M")


def row_cells(s: Summary, today: str, marked: bool, wide: bool) -> dict[str, str]:
    """The text of each cell of a summary's row, escaped."""
    target = s["path"] + (f"?{s['query']}" if s.get("query") else "")
    provider = " ".join(x for x in (s.get("provider"), s.get("event_type")) if x)
    source = str(s.get("source") or "listen")
    return {
        "mark": "●" if marked else " ",
        "id": str(s["id"]),
        "time": local_time(str(s["received_at"]), today),
        "method": visible(str(s["method"])),
        "path": visible(target),
        "size": human_size(int(s.get("body_size") or 0)),
        "event": visible(provider),
        "signature": str(s.get("signature") or ""),
        "source": "" if source == "listen" else (source if wide else SOURCE_MARK.get(source, "?")),
    }


class CaptureList(ScrollView, can_focus=True):
    """Newest capture on top; a cursor row; `space` marks, `enter` opens."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "capture-list--cursor",
        "capture-list--marked",
        "capture-list--empty",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "Newest", show=False),
        Binding("end,G", "jump(-1)", "Oldest", show=False),
        Binding("space", "mark", "Mark"),
        Binding("enter", "open", "Open"),
    ]

    class Highlighted(Message):
        """The cursor moved to another capture (or the list emptied: None)."""

        def __init__(self, capture_id: int | None) -> None:
            super().__init__()
            self.capture_id = capture_id

    class Opened(Message):
        def __init__(self, capture_id: int) -> None:
            super().__init__()
            self.capture_id = capture_id

    class MarksChanged(Message):
        pass

    def __init__(self, view: CaptureView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self.cursor = 0
        self.empty_text = "Loading captures…"
        self._last_highlight: int | None = None

    # -- layout ---------------------------------------------------------------------------

    def layout_columns(self) -> Columns:
        rows = self.view.shown
        id_width = max(2, len(str(self.view.top_id)))
        today = datetime.now().astimezone().date().isoformat()
        oldest_today = not rows or local_time(str(rows[-1]["received_at"]), today)[2] == ":"
        width = self.content_width
        wide = self.app.size.width >= WIDE  # the terminal's width, as docs/tui.md says
        top = int(self.scroll_y)  # the rows on screen: what the columns must hold now
        shown = rows[top : top + max(1, self.scrollable_content_region.height)]
        needs = {"path": 6, "event": 14}
        for s in shown:
            target = len(s["path"]) + (len(s["query"]) + 1 if s.get("query") else 0)
            needs["path"] = max(needs["path"], target)
            event = len(str(s.get("provider") or "")) + len(str(s.get("event_type") or "")) + 1
            needs["event"] = max(needs["event"], event)
        return Columns.fit_width(width, id_width, 8 if oldest_today else 11, wide, needs)

    @property
    def content_width(self) -> int:
        """Cells a row has: the widget's width less the scrollbar."""
        return self.scrollable_content_region.width

    def rows_changed(self, added_on_top: int = 0) -> None:
        """The view's shown list changed. ADDED_ON_TOP rows arrived above: unless the cursor
        is on the newest row (following new arrivals), keep it and the scroll position on
        the same captures."""
        count = len(self.view.shown)
        if added_on_top and self.cursor > 0:
            self.cursor += added_on_top
            if self.scroll_y > 0:
                self.scroll_to(y=self.scroll_y + added_on_top, animate=False, immediate=True)
        self.cursor = max(0, min(self.cursor, count - 1))
        self.virtual_size = Size(self.size.width, count)
        self.refresh()
        self._header_refresh()
        self._announce()

    def reset_cursor(self) -> None:
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True)
        self.rows_changed()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.view.shown))
        self._header_refresh()

    def _header_refresh(self) -> None:
        for header in self.screen.query(ListHeader):
            header.refresh()

    # -- selection ------------------------------------------------------------------------

    @property
    def selected(self) -> Summary | None:
        rows = self.view.shown
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    def _announce(self) -> None:
        current = self.selected
        cid = int(current["id"]) if current else None
        if cid != self._last_highlight:
            self._last_highlight = cid
            self.post_message(self.Highlighted(cid))

    def move_to(self, index: int) -> None:
        count = len(self.view.shown)
        if not count:
            return
        self.cursor = max(0, min(index, count - 1))
        height = max(1, self.scrollable_content_region.height)
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= self.scroll_y + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        self.refresh()
        self._announce()

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, where: int) -> None:
        self.move_to(0 if where == 0 else len(self.view.shown) - 1)

    def action_mark(self) -> None:
        current = self.selected
        if current is None:
            return
        self.view.toggle_mark(int(current["id"]))
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_open(self) -> None:
        current = self.selected
        if current is not None:
            self.post_message(self.Opened(int(current["id"])))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if 0 <= index < len(self.view.shown):
            self.move_to(index)
            if event.chain >= 2:
                self.action_open()

    # -- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.content_width
        base = self.rich_style
        rows = self.view.shown
        index = int(self.scroll_y) + y
        if not rows:
            if y == 0:
                style = self.get_component_rich_style("capture-list--empty")
                return Strip([Segment(fit(self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        if index >= len(rows):
            return Strip.blank(width, base)
        return self._row_strip(rows[index], index == self.cursor, width, base)

    def _row_strip(self, s: Summary, is_cursor: bool, width: int, base: Style) -> Strip:
        columns = self.layout_columns()
        today = datetime.now().astimezone().date().isoformat()
        marked = int(s["id"]) in self.view.marks
        cells = row_cells(s, today, marked, columns.widths[-1] > 3)  # the source column
        row_style = base
        if is_cursor:
            row_style = base + self.get_component_rich_style("capture-list--cursor")
        # the columns ls has look as in ls (render/colors.py, via tui/colors.py)
        styles: dict[str, Style] = {
            "mark": self.get_component_rich_style("capture-list--marked"),
            "id": role_style("id"),
            "time": role_style("time"),
            "signature": signature_style(cells["signature"]),
            "source": role_style("source"),
        }
        segments: list[Segment] = []
        for i, (name, cell_width, right) in enumerate(columns.cells()):
            if i:
                segments.append(Segment(" ", row_style))
            style = row_style + styles[name] if name in styles else row_style
            segments.append(Segment(fit(cells[name], cell_width, right), style))
        return Strip(segments).adjust_cell_length(width, row_style)


class ListHeader(Widget):
    """The column headings, laid out as the list below lays out its rows."""

    DEFAULT_CSS = "ListHeader { height: 1; }"

    def __init__(self, target: CaptureList, id: str | None = None) -> None:
        super().__init__(id=id)
        self.target = target

    def render_line(self, y: int) -> Strip:
        style = self.rich_style
        columns = self.target.layout_columns()
        segments: list[Segment] = []
        for i, (name, cell_width, right) in enumerate(columns.cells()):
            if i:
                segments.append(Segment(" ", style))
            title = columns.heading(name, cell_width)
            segments.append(Segment(fit(title, cell_width, right), style))
        return Strip(segments).adjust_cell_length(self.size.width, style)
