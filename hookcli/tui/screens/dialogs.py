"""Small modal screens: the key map, a yes/no confirmation, a command to copy."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hookcli.model.escape import visible, visible_block
from hookcli.tui.colors import text_style
from hookcli.tui.widgets.text_lines import TextLines

KEYS: list[tuple[str, str]] = [
    ("q", "quit (in a screen: back)"),
    ("enter", "open the selected capture (or double-click it)"),
    (
        "/",
        "filter as you type: method:POST path:/hooks/* provider:stripe event:invoice.* "
        "since:10m; other words search headers and body (as `hookcli ls --search`)",
    ),
    ("space", "mark the capture (two at most; a third replaces the oldest)"),
    ("d", "diff the two marked captures side by side (one mark: with the selected one)"),
    ("n p", "in the diff: next or previous change"),
    ("r", "replay the capture to a URL (remembers the last; re-sign toggle)"),
    ("c", "copy the capture as a curl command (also shown, unwrapped; w writes it to a file)"),
    ("x", "delete the capture (asks first)"),
    ("?", "this key map"),
    ("↑ ↓  j k", "move through the list (mouse: click a row, wheel scrolls)"),
    ("PgUp PgDn  Home End", "a page up or down; the newest or the oldest capture"),
    ("1 2 3 4", "detail tabs: Body, Headers, Raw, Attempts"),
    ("escape", "back: from the detail to the list, then close the detail"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close"),
    ]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
        table.add_column(style=text_style("name", bold=True), no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        with Vertical(classes="dialog"):
            yield Static(Text("Keys (↑ ↓ scroll, escape closes)", style="bold"), markup=False)
            with VerticalScroll(id="keys"):
                yield Static(table, markup=False)
            yield Static(
                Text("New captures appear on top as they arrive.", style="dim"), markup=False
            )

    def on_mount(self) -> None:
        self.query_one("#keys").focus()


class ConfirmScreen(ModalScreen[bool]):
    """A question answered with y (True) or n / escape (False)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog narrow"):
            yield Static(self.question, markup=False)
            yield Static(Text("y: yes   n: no", style="dim"), markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class CommandScreen(ModalScreen[None]):
    """A command shown for reading and copying by hand (the clipboard through the terminal,
    OSC 52, does not work everywhere): each line as it is, never wrapped, so that selecting
    it with the mouse gives a command that runs; long lines scroll sideways and end in `…`.
    `w` writes it to a file in the current directory, for terminals where selecting is
    awkward too."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "app.pop_screen", "Close"),
        Binding("w", "write", "Write to a file"),
    ]

    def __init__(self, title: str, command: str, note: str, file_name: str = "command.sh"):
        super().__init__()
        self.title_text, self.command, self.note = title, command, note
        self.file_name = file_name
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), markup=False)
            yield TextLines(id="command-text", classes="command")
            yield Static(Text(self.note, style="dim"), markup=False, id="command-note")

    def on_mount(self) -> None:
        lines = self.query_one("#command-text", TextLines)
        lines.set_lines(visible_block(self.command).splitlines())
        lines.focus()

    def action_write(self) -> None:
        """The command, exactly, in a new file here (never over an existing one)."""
        path = Path.cwd() / self.file_name
        stem, dot, ext = self.file_name.partition(".")
        n = 1
        while True:
            try:
                with path.open("x", encoding="utf-8") as f:
                    f.write(self.command + "\n")
                break
            except FileExistsError:
                n += 1
                path = Path.cwd() / f"{stem}-{n}{dot}{ext}"
            except OSError as e:
                self._say(f"cannot write {path}: {e.strerror}")
                return
        self.written = path
        self._say(f"Written to {path} (run it with: sh {path.name})")

    def _say(self, text: str) -> None:
        self.query_one("#command-note", Static).update(Text(visible(text), style="bold"))
