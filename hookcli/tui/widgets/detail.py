"""The detail pane: a capture's request line and facts, and tabs Body / Headers / Raw /
Attempts. The sections are the ones `hookcli show` prints (render/detail.py), so the CLI and
the TUI show a capture the same way; JSON and text bodies and the raw request are drawn line
by line (TextLines), so a big body opens at once. Every Static here has markup off and gets
rich Text or tables of Text built from escaped strings."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from hookcli.model.capture import Capture
from hookcli.model.escape import visible, visible_block
from hookcli.model.units import human_size
from hookcli.model.wire import head_lines
from hookcli.render.detail import (
    JSON_THEME,
    attempt_groups,
    attempts_table,
    body_parts,
    body_title,
    headers_table,
    heading,
    pretty_json,
    shown_body,
)
from hookcli.tui.widgets.text_lines import Styler, TextLines, plain

RAW_LIMIT = 1024 * 1024  # bytes of the wire form drawn; `hookcli show --raw` has them all


@dataclass
class Prepared:
    """A capture made ready to show: built off the UI thread, drawn on it."""

    capture: Capture
    heading: RenderableType
    body_title: Text
    body_lines: list[str] | None  # JSON and text bodies, drawn line by line
    body_styler: Styler
    body: RenderableType  # any other body (form table, hex dump, empty)
    headers: RenderableType
    raw: list[str]
    attempts: RenderableType


def json_line_styler() -> Styler:
    """Highlights one line of indented JSON: json.dumps keeps every token on one line
    (newlines in strings are escaped), so lines can be highlighted one at a time, when
    they come on screen."""
    from rich.syntax import Syntax

    lexer = Syntax("", "json").lexer  # made once: looking it up by name costs per line
    syntax = Syntax("", lexer or "json", theme=JSON_THEME)

    def styled(line: str) -> Text:
        text = syntax.highlight(line)
        text.rstrip()
        return text

    return styled


def prepare(c: Capture) -> Prepared:
    b = shown_body(c)
    lines: list[str] | None = None
    styler: Styler = plain
    body: RenderableType = Text("")
    if b.kind == "json":
        lines = pretty_json(b.data).split("\n")
        styler = json_line_styler()
    elif b.kind == "text":
        lines = visible_block(b.data.decode("utf-8")).split("\n")
    else:
        body = Group(*list(body_parts(c))[1:])
    return Prepared(
        capture=c,
        heading=Group(*heading(c)),
        body_title=body_title(b),
        body_lines=lines,
        body_styler=styler,
        body=body,
        headers=headers_table(c),
        raw=raw_lines(c),
        attempts=attempts_view(c),
    )


def raw_lines(c: Capture) -> list[str]:
    """The request as on the wire, escaped, a line each. Only the CRLFs that end the request
    line and the headers break lines there: a CR, LF or TAB inside a method, path or header
    (an imported capture may hold them) is shown escaped, as are tabs in the body, which a
    terminal cell grid cannot draw."""
    head = head_lines(c.method, c.target, c.headers, c.body, c.http_version, c.headers_encoding)
    lines = [visible(raw.decode("utf-8", errors="backslashreplace")) for raw in head]
    room = max(0, RAW_LIMIT - sum(len(raw) + 2 for raw in head) - 2)
    more = len(c.body) - room
    text = c.body[:room].decode("utf-8", errors="backslashreplace").replace("\r\n", "\n")
    lines += ["", *visible_block(text).replace("\t", "\\t").split("\n")]
    if more > 0:
        lines.append(f"… {human_size(more)} more (hookcli show {c.id} --raw)")
    return lines


#: attempts of each kind the Attempts tab lists: the newest (a capture may have 100,000)
TUI_ATTEMPTS = 100


def attempts_view(c: Capture) -> RenderableType:
    groups = attempt_groups(c, TUI_ATTEMPTS)
    if not groups:
        return Text("No forwards or replays yet.", style="dim")
    parts: list[RenderableType] = []
    for title, attempts, hidden in groups:
        parts.append(Text(title, style="bold underline"))
        if hidden:
            note = f"… {hidden:,} earlier not shown (hookcli show {c.id} --attempts all)"
            parts.append(Text(note, style="dim"))
        parts += [attempts_table(attempts), Text("")]
    return Group(*parts)


class DetailPane(Vertical):
    """Shows one capture in tabs (the app binds `1`-`4` to them)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.capture: Capture | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="detail-heading", markup=False)
        with TabbedContent(id="detail-tabs"):
            with TabPane("Body", id="body"):
                yield Static(Text(""), id="body-title", markup=False)
                yield TextLines(id="body-lines")
                with VerticalScroll(id="body-other"):
                    yield Static(Text(""), id="body-view", markup=False)
            with TabPane("Headers", id="headers"), VerticalScroll():
                yield Static(Text(""), id="headers-view", markup=False)
            with TabPane("Raw", id="raw"):
                yield TextLines(id="raw-lines")
            with TabPane("Attempts", id="attempts"), VerticalScroll():
                yield Static(Text(""), id="attempts-view", markup=False)

    def show(self, p: Prepared) -> None:
        self.capture = p.capture
        self.query_one("#detail-heading", Static).update(p.heading)
        self.query_one("#body-title", Static).update(p.body_title)
        as_lines = p.body_lines is not None
        self.query_one("#body-lines", TextLines).display = as_lines
        self.query_one("#body-other").display = not as_lines
        self.query_one("#body-lines", TextLines).set_lines(p.body_lines or [], p.body_styler)
        self.query_one("#body-view", Static).update(p.body)
        self.query_one("#headers-view", Static).update(p.headers)
        self.query_one("#raw-lines", TextLines).set_lines(p.raw)
        self.query_one("#attempts-view", Static).update(p.attempts)

    def show_note(self, text: str) -> None:
        """A line in place of a capture (loading, or it was deleted)."""
        self.capture = None
        self.query_one("#detail-heading", Static).update(Text(text, style="dim"))
        self.query_one("#body-title", Static).update(Text(""))
        for name in ("body", "headers", "attempts"):
            self.query_one(f"#{name}-view", Static).update(Text(""))
        for name in ("body", "raw"):
            self.query_one(f"#{name}-lines", TextLines).set_lines([])

    def select_tab(self, name: str | None = None) -> None:
        """Show tab NAME (default: the current one) and give its content the focus, so the
        arrow keys scroll it."""
        tabs = self.query_one(TabbedContent)
        if name is not None:
            tabs.active = name
        pane = self.query_one(f"TabPane#{tabs.active}")
        for widget in (*pane.query(TextLines), *pane.query(VerticalScroll)):
            if widget.display:
                widget.focus()
                return
