"""The detail pane: a capture's request line and facts, and tabs Body / Headers / Raw /
Attempts. The sections are the ones `hookcli show` prints (render/detail.py), so the CLI and
the TUI show a capture the same way; every Static here has markup off and gets rich Text or
tables of Text built from escaped strings."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from hookcli.model.capture import Capture
from hookcli.model.escape import visible_block
from hookcli.model.units import human_size
from hookcli.model.wire import render_request
from hookcli.render.detail import attempt_groups, attempts_table, body_parts, headers_table, heading

RAW_LIMIT = 1024 * 1024  # bytes of the wire form drawn; `hookcli show --raw` has them all
TABS = ("body", "headers", "raw", "attempts")


def raw_text(c: Capture) -> Text:
    data = render_request(c.method, c.target, c.headers, c.body, c.http_version)
    note = ""
    if len(data) > RAW_LIMIT:
        note = f"\n… {human_size(len(data) - RAW_LIMIT)} more (hookcli show {c.id} --raw)"
        data = data[:RAW_LIMIT]
    text = data.decode("utf-8", errors="backslashreplace").replace("\r\n", "\n")
    out = Text(visible_block(text))
    if note:
        out.append(note, style="dim")
    return out


def attempts_view(c: Capture) -> RenderableType:
    groups = attempt_groups(c)
    if not groups:
        return Text("No forwards or replays yet.", style="dim")
    parts: list[RenderableType] = []
    for title, attempts in groups:
        parts += [Text(title, style="bold underline"), attempts_table(attempts), Text("")]
    return Group(*parts)


class DetailPane(Vertical):
    """Shows one capture in tabs (the app binds `1`-`4` to them)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.capture: Capture | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="detail-heading", markup=False)
        with TabbedContent(id="detail-tabs"):
            for name in TABS:
                with TabPane(name.capitalize(), id=name), VerticalScroll():
                    yield Static(Text(""), id=f"{name}-view", markup=False)

    def show_capture(self, c: Capture) -> None:
        self.capture = c
        self.query_one("#detail-heading", Static).update(Group(*heading(c)))
        views: dict[str, RenderableType] = {
            "body": Group(*body_parts(c)),
            "headers": headers_table(c),
            "raw": raw_text(c),
            "attempts": attempts_view(c),
        }
        for name, renderable in views.items():
            self.query_one(f"#{name}-view", Static).update(renderable)

    def show_note(self, text: str) -> None:
        """A line in place of a capture (loading, or it was deleted)."""
        self.capture = None
        self.query_one("#detail-heading", Static).update(Text(text, style="dim"))
        for name in TABS:
            self.query_one(f"#{name}-view", Static).update(Text(""))

    def select_tab(self, name: str | None = None) -> None:
        """Show tab NAME (default: the current one) and give its content the focus, so the
        arrow keys scroll it."""
        tabs = self.query_one(TabbedContent)
        if name is not None:
            tabs.active = name
        self.query_one(f"#{tabs.active} VerticalScroll", VerticalScroll).focus()
