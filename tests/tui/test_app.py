"""The TUI driven by Textual's Pilot over real stores: every key of the key map, live
updates from other processes, and escaping of hostile requests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from hookcli.export.curl import to_curl
from hookcli.model.capture import Attempt, Capture
from hookcli.store import NotFound, Store
from hookcli.tui.app import HookcliApp
from hookcli.tui.screens.dialogs import CommandScreen, ConfirmScreen, HelpScreen
from hookcli.tui.screens.diff import DiffScreen
from hookcli.tui.widgets.side_by_side import SideBySide
from tests.conftest import Listener, add, run, send
from tests.tui.conftest import drive, jcap, list_rows, screen_text, until


def test_list_is_newest_first_with_its_columns(store: Path) -> None:
    add(
        store,
        jcap("/hooks/stripe", {"a": 1}, provider="stripe", event_type="invoice.paid"),
        jcap("/hooks/gh", {"b": 2}, query="x=1", signature="valid"),
        jcap("/made", {"c": 3}, source="fabricated"),
    )

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        text = screen_text(app)
        for heading in ("ID", "TIME", "METHOD", "PATH", "SIZE", "PROVIDER/EVENT", "SIG", "SOURCE"):
            assert heading in text
        rows = list_rows(app)
        assert [r.split()[0] for r in rows[:3]] == ["3", "2", "1"]
        assert "/made" in rows[0] and "fab" in rows[0]
        assert "/hooks/gh?x=1" in rows[1] and "valid" in rows[1]
        assert "stripe invoice.paid" in rows[2]
        assert "3 captures" in text

    drive(store, scenario)


def test_empty_store_says_how_to_get_captures(store: Path) -> None:
    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        assert "No captures yet: run `hookcli listen`" in list_rows(app)[0]

    drive(store, scenario)


def test_end_goes_to_the_oldest_and_home_back(store: Path) -> None:
    add(store, *[jcap(f"/n/{i}", {"i": i}) for i in range(1, 501)])

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("end")
        cl = app.main.capture_list
        assert cl.selected is not None and cl.selected["id"] == 1
        assert "/n/1 " in list_rows(app)[-1]
        await pilot.press("home", "down", "down")
        assert cl.selected is not None and cl.selected["id"] == 498
        await pilot.press("pagedown")
        assert cl.selected is not None and cl.selected["id"] < 480

    drive(store, scenario)


def test_a_capture_from_a_running_listen_appears_within_a_second(store: Path) -> None:
    add(store, jcap("/older", {"n": 0}), jcap("/before", {"n": 1}))
    listener = Listener(store)
    try:

        async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
            await pilot.press("down")  # away from the top: the selection must stay put
            status, _, _ = send(listener.url, target="/hooks/live?a=1", body=b'{"live": true}')
            assert status == 200
            await until(pilot, lambda: "/hooks/live?a=1" in list_rows(app)[0], timeout=1.0)
            cl = app.main.capture_list
            assert cl.selected is not None and cl.selected["path"] == "/older"
            assert "3 captures" in screen_text(app)

        drive(store, scenario)
    finally:
        listener.stop()


def test_deletes_and_clears_by_other_processes_show(store: Path) -> None:
    add(store, jcap("/1", {}), jcap("/2", {}), jcap("/3", {}))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        assert run(store, "rm", "2").returncode == 0
        await until(pilot, lambda: len(app.main.view.rows) == 2)
        assert [r.split()[0] for r in list_rows(app)[:2]] == ["3", "1"]
        assert run(store, "clear", "--yes").returncode == 0  # replaces the files
        await until(pilot, lambda: not app.main.view.rows)
        add(store, jcap("/after-clear", {}))
        await until(pilot, lambda: "/after-clear" in list_rows(app)[0])

    drive(store, scenario)


@pytest.mark.long
def test_filter_applies_as_you_type(store: Path) -> None:
    add(
        store,
        jcap("/hooks/a", {"note": "needle here"}),
        jcap("/other", None, method="GET", headers=[]),
        jcap("/hooks/b", {"note": "hay"}, provider="stripe", event_type="invoice.paid"),
    )

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        main = app.main

        def shown() -> list[str]:
            return [str(s["path"]) for s in main.view.shown]

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"method:GET")
        await until(pilot, lambda: shown() == ["/other"])
        assert "1 of 3 captures match the filter" in screen_text(app)
        await pilot.press(*["backspace"] * len("method:GET"), *"path:/hooks/*")
        await until(pilot, lambda: shown() == ["/hooks/b", "/hooks/a"])
        await pilot.press(" ", *"needle")  # text searches headers and body, as ls --search
        await until(pilot, lambda: shown() == ["/hooks/a"])
        await pilot.press("ctrl+u", *"event:invoice.*")
        await until(pilot, lambda: shown() == ["/hooks/b"])
        await pilot.press("ctrl+u", *"nothing-matches-this")
        await until(pilot, lambda: "No captures match the filter" in list_rows(app)[0])
        await pilot.press("ctrl+u", *"since:soon")
        await until(pilot, lambda: "since: not a duration" in screen_text(app))
        await pilot.press("ctrl+u")
        await until(pilot, lambda: len(shown()) == 3)
        await pilot.press("escape")
        assert app.focused is main.capture_list

    drive(store, scenario)


def test_a_filter_keeps_up_with_new_captures(store: Path) -> None:
    add(store, jcap("/a", {"n": 1}))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("slash", *"match-me", "enter")
        await until(pilot, lambda: not app.main.filter_pending)
        add(store, jcap("/new-yes", {"t": "match-me"}), jcap("/new-no", {"t": "other"}))
        await until(pilot, lambda: len(app.main.view.rows) == 3)
        assert [s["path"] for s in app.main.view.shown] == ["/new-yes"]

    drive(store, scenario)


def test_detail_tabs_show_body_headers_raw_and_attempts(store: Path) -> None:
    (cid,) = add(store, jcap("/hooks/d", {"amount": 1000, "nested": {"k": "v"}}, query="q=1"))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        main = app.main
        await pilot.press("enter")
        await until(pilot, lambda: main.detail.capture is not None)
        text = screen_text(app)
        assert "#1 POST /hooks/d?q=1 HTTP/1.1" in text and "source listen" in text
        assert '"amount": 1000' in text and "Body (json" in text
        await pilot.press("2")
        assert app.screen.query_one(TabbedContent).active == "headers"
        assert "Content-Type" in screen_text(app) and "application/json" in screen_text(app)
        await pilot.press("3")
        await pilot.pause(0.05)
        assert "POST /hooks/d?q=1 HTTP/1.1" in screen_text(app)
        assert "Content-Length: 38" in screen_text(app)
        await pilot.press("4")
        await pilot.pause(0.05)
        assert "No forwards or replays yet" in screen_text(app)
        st = Store(store)  # another writer records a replay: the tab follows
        st.add_attempt(
            cid, "replays", Attempt("2026-01-01T00:00:00+00:00", "http://t/x", 503, 12.0)
        )
        st.close()
        await until(pilot, lambda: "503" in screen_text(app))
        assert "http://t/x" in screen_text(app)
        await pilot.press("escape")
        assert app.focused is main.capture_list and main.detail.display
        await pilot.press("escape")
        assert not main.detail.display

    drive(store, scenario)


def test_mark_two_and_diff_side_by_side(store: Path) -> None:
    add(
        store,
        jcap("/hooks/s", {"data": {"amount": 1000}, "same": 1}),
        jcap("/hooks/s", {"data": {"amount": 2000}, "same": 1}),
        jcap("/hooks/t", {"x": 1}),
    )

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("d")
        assert not isinstance(app.screen, DiffScreen), "nothing marked: nothing to diff"
        await pilot.press("down", "space", "down", "space")
        assert app.main.view.marks == [2, 1]
        assert list_rows(app)[1].startswith("●") or "●" in list_rows(app)[1][:3]
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        text = screen_text(app)
        assert "a: #1 POST /hooks/s" in text and "b: #2 POST /hooks/s" in text
        assert "~ body.data.amount: 1000 -> 2000" in text
        panes = app.screen.query_one(SideBySide)
        changed = [r for r in panes.rows if r.tag != "equal"]
        assert [(r.left, r.right) for r in changed] == [
            ('    "amount": 1000', '    "amount": 2000')
        ]
        assert '"amount": 1000' in text and '"amount": 2000' in text
        await pilot.press("escape")
        assert not isinstance(app.screen, DiffScreen)

    drive(store, scenario)


def test_one_mark_diffs_with_the_selected_capture(store: Path) -> None:
    add(store, jcap("/a", {"v": 1}), jcap("/b", {"v": 2}))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("space", "down", "d")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        assert '~ path: "/a" -> "/b"' in screen_text(app)

    drive(store, scenario)


def test_copy_as_curl_to_the_clipboard_and_on_screen(store: Path) -> None:
    add(store, jcap("/hooks/c", {"k": "v"}, query="a=1"))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen))
        expected = to_curl(Store(store).get(1))
        assert app.clipboard == expected
        assert "curl 'http://localhost:9000/hooks/c?a=1'" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, CommandScreen)

    drive(store, scenario)


def test_delete_asks_first(store: Path) -> None:
    add(store, jcap("/keep", {}), jcap("/doomed", {}))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete capture #2 POST /doomed?" in screen_text(app)
        await pilot.press("n")
        assert len(app.main.view.rows) == 2
        await pilot.press("x", "y")
        await until(pilot, lambda: len(app.main.view.rows) == 1)
        with pytest.raises(NotFound):
            Store(store).get(2)
        assert "/keep" in list_rows(app)[0]

    drive(store, scenario)


def test_help_shows_the_key_map_and_q_quits(store: Path) -> None:
    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause(0.1)
        text = screen_text(app)
        for key in ("enter", "space", "filter as you type", "copy the capture as a curl"):
            assert key in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause(0.1)
        assert not app.is_running

    drive(store, scenario)


def test_mouse_click_selects_and_double_click_opens(store: Path) -> None:
    add(store, jcap("/one", {}), jcap("/two", {}), jcap("/three", {}))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        cl = app.main.capture_list
        await pilot.click(cl, offset=(10, 2))
        assert cl.selected is not None and cl.selected["path"] == "/one"
        await pilot.double_click(cl, offset=(10, 1))
        await until(pilot, lambda: app.main.detail.capture is not None)
        assert app.main.detail.capture is not None
        assert app.main.detail.capture.path == "/two"

    drive(store, scenario)


HOSTILE = "\x1b]52;c;cGF3bmVk\x07\x1b[2J\x9b31m[bold red]markup[/bold red]\u202e"


def test_hostile_paths_headers_and_bodies_are_shown_escaped(store: Path) -> None:
    add(
        store,
        Capture(
            "POST",
            "/p" + HOSTILE,
            "q=" + HOSTILE,
            [("X-Evil" + HOSTILE, HOSTILE), ("Content-Type", "text/plain")],
            ("body " + HOSTILE).encode(),
            provider="stripe",
            event_type="evt" + HOSTILE,
        ),
        jcap("/plain", {}),
    )

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("down")
        seen = [screen_text(app)]
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        for tab in ("1", "2", "3"):
            await pilot.press(tab)
            await pilot.pause(0.05)
            seen.append(screen_text(app))
        await pilot.press("escape", "space", "up", "space", "d")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        seen.append(screen_text(app))
        await pilot.press("escape", "c")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen))
        seen.append(screen_text(app))
        for text in seen:
            for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
                assert raw not in text
        everything = "\n".join(seen)
        assert "\\x1b]52;c;cGF3bmVk\\x07" in everything
        assert "[bold red]markup[/bold red]" in everything, "markup is shown as text"

    drive(store, scenario, size=(160, 40))


def test_works_at_80x24(store: Path) -> None:
    add(store, *[jcap(f"/hooks/{'long-segment/' * 8}{i}", {"i": i}) for i in range(30)])

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        rows = list_rows(app)
        assert all(len(r) <= 80 for r in rows)
        assert "…" in rows[0], "a long path is cut with an ellipsis, not wrapped"
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        assert '"i": 29' in screen_text(app)

    drive(store, scenario, size=(80, 24))


def test_tui_without_a_terminal_is_a_clear_error(store: Path) -> None:
    r = run(store, "tui")
    assert r.returncode == 1
    assert r.stderr.decode().startswith("error: the TUI needs a terminal")
    assert b"Traceback" not in r.stderr


def test_tui_help_does_not_import_textual(store: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hookcli", "tui", "--help"],
        capture_output=True,
        env={**os.environ, "HOOKCLI_STORE": str(store)},
    )
    assert r.returncode == 0 and b"terminal UI" in r.stdout.replace(b"\n", b" ")
    modules = {line.split("|")[-1].strip() for line in r.stderr.decode().splitlines()}
    assert "hookcli.cli.view_cmds" in modules
    assert not any(m.startswith("textual") for m in modules)


def test_a_big_json_body_opens_and_scrolls_to_its_end(store: Path) -> None:
    items = [{"id": i, "name": f"item {i}"} for i in range(3000)]
    add(store, jcap("/big", {"items": items}))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        assert '"items": [' in screen_text(app)
        await pilot.press("end")  # the body view has the keys
        await pilot.pause(0.05)
        assert '"name": "item 2999"' in screen_text(app)

    drive(store, scenario)


def test_the_detail_checks_the_signature_when_a_secret_is_configured(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookcli.signing import registry

    body = b'{"zen": "hi"}'
    signed = registry.get("github").sign(body, "gh-secret", 0)
    headers = [("X-GitHub-Event", "ping"), ("Content-Type", "application/json"), *signed]
    add(store, Capture("POST", "/gh", "", headers, body, provider="github"))
    monkeypatch.setenv("HOOKCLI_SECRET_GITHUB", "gh-secret")

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        assert "signature valid" in screen_text(app)

    drive(store, scenario)


def test_an_unreadable_store_is_reported_not_crashed_on(store: Path) -> None:
    add(store, jcap("/a", {}))
    with (store / "captures.jsonl").open("ab") as f:
        f.write(b"this is not json\n")
    (store / "index.jsonl").unlink()  # so the log is read again, bad line included

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await until(pilot, lambda: "error: store file" in screen_text(app))
        assert "captures.jsonl cannot be read" in (app.main.problem or "")
        assert app.is_running

    async def main() -> None:
        from hookcli.tui.app import build_app

        app = build_app(Store(store), poll_seconds=0.05)
        async with app.run_test(size=(100, 30)) as pilot:
            await scenario(app, pilot)

    import asyncio

    asyncio.run(main())


def test_no_color_turns_colours_off(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add(store, jcap("/a", {"k": 1}, signature="invalid"))
    monkeypatch.setenv("NO_COLOR", "1")

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        assert app.no_color
        await pilot.press("enter")
        await until(pilot, lambda: '"k": 1' in screen_text(app))
        update = app.screen._compositor.render_full_update()
        colours = {
            seg.style.color.triplet
            for row in update.strips
            for strip in row
            for seg in strip
            if seg.style and seg.style.color and seg.style.color.triplet
        }
        assert all(r == g == b for r, g, b in colours), "only shades of grey"

    drive(store, scenario)


def test_on_a_missing_store_it_creates_nothing_and_shows_captures_once_listen_starts(
    tmp_path: Path,
) -> None:
    store = tmp_path / "not-yet"

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        assert "No captures yet" in list_rows(app)[0]
        await pilot.pause(0.2)
        assert not store.exists()
        add(store, jcap("/first", {}))
        await until(pilot, lambda: "/first" in list_rows(app)[0])

    drive(store, scenario)
