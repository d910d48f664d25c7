"""The TUI application. Built by `build_app(store)` so the CLI and the tests make it the
same way; its default screen is the main screen (screens/main.py)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from hookcli.store import Store
from hookcli.tui.screens.main import MainScreen


class HookcliApp(App[None]):
    CSS_PATH = "hookcli.tcss"
    TITLE = "hookcli"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys"),
    ]

    def __init__(self, store: Store, poll_seconds: float = 0.25) -> None:
        super().__init__()
        self.store = store
        self.poll_seconds = poll_seconds

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.store, self.poll_seconds)

    @property
    def main(self) -> MainScreen:
        """The main screen, whichever screen is on top."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def action_help(self) -> None:
        from hookcli.tui.screens.dialogs import HelpScreen

        self.push_screen(HelpScreen())


def build_app(store: Store, poll_seconds: float = 0.25) -> HookcliApp:
    """The app over STORE; tests pass a shorter poll."""
    return HookcliApp(store, poll_seconds)
