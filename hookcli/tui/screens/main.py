"""The main screen: filter bar, capture list, detail pane, and the actions on captures.

Threads: a worker loads every summary (the first page is drawn at once) and then follows
the store, reading only what other processes appended (Store.changes_since, every
poll_seconds); filters with a text search and record reads run in workers too, so the UI
never waits on the disk. The view (view.py) only changes on the UI thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from hookcli.errors import HookcliError
from hookcli.model.capture import Capture
from hookcli.model.escape import visible
from hookcli.store import NotFound, Store
from hookcli.store.query import Filters
from hookcli.tui.colors import text_style
from hookcli.tui.search import run_filter
from hookcli.tui.view import CaptureView, FilterError, Summary, parse_filter, summary_predicate
from hookcli.tui.watcher import Follower
from hookcli.tui.widgets.capture_list import CaptureList, ListHeader
from hookcli.tui.widgets.detail import DetailPane

#: how many rows (newest first) get their signature checked when a secret is configured
SIGNATURE_ROWS = 2000
#: fits an 80-column terminal whole (the input has a cell of padding on each side)
FILTER_HINT = "/ filter: provider:stripe event:inv* method:POST path:/h/* since:10m or text"


def with_signature_state(cap: Capture) -> Capture:
    """CAP with its signature checked now when it was recorded without a state and a
    secret for its provider is configured (environment or config), as `ls` does."""
    if cap.provider and not cap.signature:
        from hookcli import config
        from hookcli.signing.classify import classify

        secrets = config.secrets_for([cap.provider])
        if cap.provider in secrets:
            classify(cap, secrets)
    return cap


class MainScreen(Screen[None]):
    """The capture list, the filter bar above it, the detail pane below it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # first, so that the footer shows them at any width: how to leave, how to learn
        Binding("q", "app.quit", "Quit"),
        Binding("question_mark", "app.help", "Keys"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("d", "diff", "Diff"),
        Binding("c", "curl", "Copy curl"),
        Binding("r", "replay", "Replay"),
        Binding("x", "delete", "Delete"),
        Binding("escape", "go_back", "Back", show=False),
        Binding("1", "tab('body')", "Body", show=False),
        Binding("2", "tab('headers')", "Headers", show=False),
        Binding("3", "tab('raw')", "Raw", show=False),
        Binding("4", "tab('attempts')", "Attempts", show=False),
    ]

    def __init__(self, store: Store, poll_seconds: float = 0.25) -> None:
        super().__init__()
        self.store = store
        self.poll_seconds = poll_seconds
        self.view = CaptureView()
        self.loaded = False  # every summary read (not only the first page)
        self.filter_pending = False
        self._filter_timer: Timer | None = None
        self.replay_target: str | None = None  # the last URL replayed to, for the form
        self.replay_resign = False
        self.problem: str | None = None

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Input(placeholder=FILTER_HINT, id="filter")
        yield Static(Text(""), id="filter-error", markup=False)
        captures = CaptureList(self.view, id="captures")
        yield ListHeader(captures, id="list-header")
        yield captures
        yield DetailPane(id="detail")
        yield Static(Text(""), id="status", markup=False)
        yield Footer(show_command_palette=False, compact=True)  # ^p still opens it

    @property
    def capture_list(self) -> CaptureList:
        return self.query_one(CaptureList)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def on_mount(self) -> None:
        self.capture_list.focus()
        self._update_status()
        self._follow()

    # -- loading and following the store -------------------------------------------------

    def _from_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run CALLBACK on the UI thread, unless the app is closing meanwhile (a worker
        may still report after `q`: its widgets are then gone, which is no error)."""

        def on_ui() -> None:
            if self.is_attached:
                with contextlib.suppress(NoMatches):
                    callback(*args)

        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(on_ui)

    @work(thread=True, exclusive=True, group="follow")
    def _follow(self) -> None:
        worker = get_current_worker()
        follower = Follower(
            self.store,
            self.poll_seconds,
            lambda: worker.is_cancelled,
            lambda *args: self._from_thread(self._loaded, *args),
            lambda entries: self._from_thread(self._changes, entries),
        )
        try:
            follower.run()
        except HookcliError as e:
            self._from_thread(self._store_failed, e)

    def _loaded(self, rows: list[Summary], complete: bool, painted: threading.Event | None) -> None:
        self.view.load(rows)
        self.loaded = complete
        if complete and self.view.filters.search:
            self._start_filter(self.view.filters)
        self.capture_list.rows_changed()
        self._update_status()
        self._fill_signatures(rows)
        if painted is not None:
            self.call_after_refresh(painted.set)

    def _changes(self, entries: list[dict[str, Any]]) -> None:
        new = [e["s"] for e in entries if e["op"] == "put"]
        gone = [i for e in entries if e["op"] == "del" for i in e["ids"]]
        attempted = {e["id"] for e in entries if e["op"] == "attempt"}
        if new:
            passes = self._never if self.filter_pending else self._passes_now
            added = self.view.add_new(new, passes)
            self.capture_list.rows_changed(added)
            self._fill_signatures(new)
        if gone:
            self._removed(gone)
        shown = self.detail.capture
        if shown is not None and shown.id in attempted:
            self._load_detail(shown.id)
        self._update_status()

    @work(thread=True, group="signatures")
    def _fill_signatures(self, rows: list[Summary]) -> None:
        """Rows recorded without a signature state get one when a secret for their provider
        is configured, as `ls` shows them (signing/classify.fill_signatures for both): the
        newest SIGNATURE_ROWS of them, each read from the store once."""
        rows = rows[:SIGNATURE_ROWS]
        providers = {r["provider"] for r in rows if r.get("provider") and not r.get("signature")}
        if not providers:
            return
        from hookcli import config
        from hookcli.signing.classify import fill_signatures

        secrets = config.secrets_for(sorted(providers))
        if not secrets:
            return
        worker = get_current_worker()
        try:
            changed = fill_signatures(rows, self.store.get, secrets, lambda: worker.is_cancelled)
        except HookcliError:
            return  # a capture deleted meanwhile, or a store problem the list reports
        finally:
            self.store.close()
        if changed:
            self._from_thread(self.capture_list.refresh)

    def _removed(self, ids: list[int]) -> None:
        self.view.remove(ids)
        self.capture_list.rows_changed()
        shown = self.detail.capture
        if shown is not None and shown.id in ids:
            self.detail.show_note(f"Capture #{shown.id} was deleted.")

    def _store_failed(self, error: HookcliError) -> None:
        self.problem = visible(f"error: {error}")
        self._update_status()
        self.capture_list.rows_changed()

    def _update_status(self) -> None:
        view = self.view
        text = Text()
        if self.problem:
            text.append(self.problem, style=text_style("failed", bold=True))
        else:
            total = f"{len(view.rows):,} capture{'s' if len(view.rows) != 1 else ''}"
            if view.filtered:
                text.append(f"{len(view.shown):,} of {total} match the filter")
            else:
                text.append(total)
            if not self.loaded:
                text.append(" · loading…", style="dim")
            if self.filter_pending:
                text.append(" · filtering…", style="dim")
        if view.marks:
            text.append(
                " · marked " + " ".join(f"#{m}" for m in view.marks), style=text_style("warning")
            )
        text.append(f" · {visible(str(self.store.root))}", style="dim")
        self.query_one("#status", Static).update(text)
        cl = self.capture_list
        if self.problem:
            cl.empty_text = self.problem
        elif not self.loaded and not view.rows:
            cl.empty_text = "Loading captures…"
        elif not view.rows:
            cl.empty_text = "No captures yet: run `hookcli listen`; new ones appear here."
        elif view.filtered and not self.filter_pending:
            cl.empty_text = "No captures match the filter."
        elif view.filtered:
            cl.empty_text = "Filtering…"

    # -- filter ---------------------------------------------------------------------------

    @staticmethod
    def _never(_: Summary) -> bool:
        return False

    def _passes_now(self, s: Summary) -> bool:
        """Does a capture that just arrived pass the current filter? Its record is read
        only for a text search (the newest records are the cheapest to find)."""
        f = self.view.filters
        predicate = summary_predicate(f)
        if predicate is not None and not predicate(s):
            return False
        record_ok = f.record_query()
        if record_ok is None:
            return True
        try:
            return record_ok(self.store.get(int(s["id"])).to_record())
        except NotFound:
            return False

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        text = event.value
        self._filter_timer = self.set_timer(0.15, lambda: self.apply_filter(text))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self.apply_filter(event.value)
        self.capture_list.focus()

    def apply_filter(self, text: str) -> None:
        error = self.query_one("#filter-error", Static)
        try:
            f = parse_filter(text)
        except FilterError as e:
            error.update(Text(visible(str(e)), style=text_style("failed")))
            error.display = True
            return
        error.display = False
        if f == self.view.filters:
            return
        self.view.set_filter(f)
        if not self.view.filtered:
            self.filter_pending = False
            self.app.workers.cancel_group(self, "filter")
            self.view.set_shown([], 0, None)
            self.capture_list.reset_cursor()
        else:
            self._start_filter(f)
        self._update_status()

    def _start_filter(self, f: Filters) -> None:
        self.filter_pending = True
        self._run_filter(f, self.view.rows, self.view.top_id)
        self._update_status()
        self.capture_list.rows_changed()

    @work(thread=True, exclusive=True, group="filter")
    def _run_filter(self, f: Filters, rows: list[Summary], upto_id: int) -> None:
        worker = get_current_worker()
        try:
            matches = run_filter(self.store, f, rows, upto_id, lambda: worker.is_cancelled)
        except HookcliError as e:
            self._from_thread(self._store_failed, e)
            return
        if matches is not None:
            self._from_thread(self._filtered, f, matches, upto_id)

    def _filtered(self, f: Filters, matches: list[Summary], upto_id: int) -> None:
        if f != self.view.filters:
            return  # a newer filter is on its way
        self.filter_pending = False
        self.view.set_shown(matches, upto_id, self._passes_now)
        self.capture_list.reset_cursor()
        self._update_status()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    # -- detail ---------------------------------------------------------------------------

    @on(CaptureList.Opened)
    def _opened(self, event: CaptureList.Opened) -> None:
        self.detail.display = True
        self.add_class("with-detail")
        self._load_detail(event.capture_id)
        self.detail.select_tab()

    def action_tab(self, name: str) -> None:
        if self.detail.display:
            self.detail.select_tab(name)

    @on(CaptureList.Highlighted)
    def _highlighted(self, event: CaptureList.Highlighted) -> None:
        if self.detail.display and event.capture_id is not None:
            self._load_detail(event.capture_id)

    @on(CaptureList.MarksChanged)
    def _marks_changed(self) -> None:
        self._update_status()

    @work(thread=True, exclusive=True, group="detail")
    def _load_detail(self, capture_id: int) -> None:
        from hookcli.tui.widgets.detail import prepare

        try:
            prepared = prepare(with_signature_state(self.store.get(capture_id)))
        except NotFound:
            note = f"Capture #{capture_id} was deleted."
            self._from_thread(lambda: self.detail.show_note(note))
            return
        except HookcliError as e:
            note = visible(f"error: {e}")
            self._from_thread(lambda: self.detail.show_note(note))
            return
        finally:
            self.store.close()
        if not get_current_worker().is_cancelled:
            self._from_thread(lambda: self.detail.show(prepared))

    def action_go_back(self) -> None:
        focused = self.focused
        in_detail = focused is not None and self.detail in focused.ancestors_with_self
        if in_detail or isinstance(focused, Input):
            self.capture_list.focus()
        elif self.detail.display:
            self.detail.display = False
            self.remove_class("with-detail")

    # -- actions on captures --------------------------------------------------------------

    def _selected_id(self) -> int | None:
        current = self.capture_list.selected
        return int(current["id"]) if current is not None else None

    @work(thread=True, group="read")
    def _with_captures(
        self,
        ids: list[int],
        then: Callable[[Any], None],
        make: Callable[..., Any] | None = None,
    ) -> None:
        """Read the captures IDS off the UI thread (and turn them into MAKE(*captures)
        there too, when given), then call THEN with the result on the UI thread."""
        try:
            caps = [self.store.get(i) for i in ids]
            result = make(*caps) if make is not None else caps[0]
        except HookcliError as e:
            message = visible(str(e))
            self._from_thread(lambda: self.notify(message, severity="error"))
            return
        finally:
            self.store.close()
        self._from_thread(then, result)

    def action_diff(self) -> None:
        pair = self.view.marked_pair()
        selected = self._selected_id()
        if pair is None and len(self.view.marks) == 1 and selected not in (None, *self.view.marks):
            a, b = sorted((self.view.marks[0], int(selected or 0)))
            pair = (a, b)
        if pair is None:
            self.notify("Mark two captures with space first (or one, and select another).")
            return
        from hookcli.tui.screens.diff import DiffScreen, compare

        self._with_captures(list(pair), lambda c: self.app.push_screen(DiffScreen(c)), compare)

    def action_curl(self) -> None:
        selected = self._selected_id()
        if selected is not None:
            self._with_captures([selected], self._show_curl)

    def _show_curl(self, cap: Capture) -> None:
        from hookcli.export.curl import to_curl
        from hookcli.tui.screens.dialogs import CommandScreen

        command = to_curl(cap)
        self.app.copy_to_clipboard(command)
        self.app.push_screen(
            CommandScreen(
                f"Capture #{cap.id} as curl: copied to the clipboard",
                command,
                "Copied through the terminal (OSC 52); if your terminal does not allow it, "
                "select the lines above (← → scroll) or press w to write it to a file. It "
                "sends to the original host: edit the URL to aim elsewhere. escape closes.",
                f"curl-{cap.id}.sh",
            )
        )

    def action_replay(self) -> None:
        selected = self._selected_id()
        if selected is not None:
            self._with_captures([selected], self._show_replay)

    def _show_replay(self, cap: Capture) -> None:
        from hookcli.tui.screens.replay import ReplayScreen, default_target

        def remember(url: str, resign: bool) -> None:
            self.replay_target, self.replay_resign = url, resign

        url = default_target(cap, self.replay_target)
        self.app.push_screen(ReplayScreen(self.store, cap, url, self.replay_resign, remember))

    def action_delete(self) -> None:
        current = self.capture_list.selected
        if current is None:
            return
        from hookcli.tui.screens.dialogs import ConfirmScreen

        cid = int(current["id"])
        target = current["path"] + (f"?{current['query']}" if current.get("query") else "")
        question = Text(f"Delete capture #{cid} ")
        question.append(visible(f"{current['method']} {target}"), style="bold")
        question.append("?")

        def answered(yes: bool | None) -> None:
            if yes:
                removed = self.store.delete([cid])
                self._removed(removed)
                self._update_status()
                self.notify(f"Deleted capture #{cid}.")

        self.app.push_screen(ConfirmScreen(question), answered)
