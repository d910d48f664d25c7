"""Replay the selected capture from the TUI: a small form (target URL, re-sign toggle) over
the same delivery code as `hookcli replay` (plan, send_all, attempts recorded in the
store), showing the target's answer. The new attempt also appears in the Attempts tab,
which follows the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Static

from hookcli.errors import HookcliError
from hookcli.model.capture import Attempt, Capture
from hookcli.model.escape import visible, visible_block
from hookcli.store import Store
from hookcli.tui.colors import text_style

Remember = Callable[[str, bool], None]


def default_target(capture: Capture, last: str | None) -> str:
    """The URL the form opens with: the one used last in this TUI, else where the capture
    was last sent (`replay` without --to), else a common local app."""
    if last:
        return last
    from hookcli.delivery.replay import target_base

    try:
        return target_base(capture, None)
    except HookcliError:
        return "http://localhost:3000"


def answer_text(attempt: Attempt) -> Text:
    from hookcli.render.delivery import status_text

    text = Text()
    text.append(f"→ {visible(attempt.target)}  ")
    text.append(
        status_text(attempt.status), style=text_style("ok" if attempt.ok else "failed", bold=True)
    )
    text.append(f"  {attempt.latency_ms:.0f} ms", style="dim")
    if attempt.error:
        text.append("\n" + visible(attempt.error), style=text_style("failed"))
    if attempt.response_excerpt:
        text.append("\n" + visible_block(attempt.response_excerpt))
    return text


class ReplayScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Close")]

    def __init__(
        self, store: Store, capture: Capture, url: str, resign: bool, remember: Remember
    ) -> None:
        super().__init__()
        self.store = store
        self.capture = capture
        self.url = url
        self.resign = resign
        self.remember = remember
        self.sending = False

    def compose(self) -> ComposeResult:
        c = self.capture
        with Vertical(classes="dialog"):
            yield Static(
                Text(f"Replay #{c.id} {visible(c.method)} {visible(c.target)}", style="bold"),
                markup=False,
            )
            yield Input(self.url, placeholder="http://localhost:3000", id="replay-url")
            yield Checkbox("Re-sign with a fresh timestamp (needs the secret)", self.resign)
            yield Static(Text("enter sends · tab moves · escape closes", style="dim"), markup=False)
            with VerticalScroll(id="replay-result"):
                yield Static(Text(""), id="replay-answer", markup=False)

    def on_mount(self) -> None:
        self.query_one("#replay-url", Input).focus()

    @on(Input.Submitted, "#replay-url")
    def _submitted(self) -> None:
        self.send()

    def send(self) -> None:
        if self.sending:
            return
        url = self.query_one("#replay-url", Input).value.strip()
        resign = self.query_one(Checkbox).value
        self.remember(url, resign)
        self.sending = True
        self._show(Text(f"sending to {visible(url)}…", style="dim"))
        self._send(url, resign)

    def _show(self, text: Text) -> None:
        self.query_one("#replay-answer", Static).update(text)

    @work(exclusive=True, group="replay")
    async def _send(self, url: str, resign: bool) -> None:
        from hookcli import config
        from hookcli.delivery import replay as core

        try:
            cfg = config.load()
            opts = core.ReplayOptions(to=url, resign=resign)
            plan = core.plan(
                [self.capture], opts, lambda name: config.secret_for(name, None, cfg), cfg.hmac
            )
            done = await core.send_all(plan, opts, self.store.add_attempts)
        except HookcliError as e:
            self._show(Text(visible(f"error: {e}"), style=text_style("failed", bold=True)))
            return
        finally:
            self.sending = False
        out = Text()
        for note in plan.notes:
            out.append(visible(f"note: {note}\n"), style=text_style("warning"))
        for delivery in done:
            for attempt in delivery.attempts:
                out.append_text(answer_text(attempt))
                out.append("\n")
        self._show(out)
