"""`show` with many attempts: the newest few and a count, every one on request (the
human view, --json and the TUI's Attempts tab)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from hookcli.model.capture import Attempt, Capture
from hookcli.store import Store
from hookcli.tui.app import HookcliApp
from tests.conftest import add, run, run_json
from tests.tui.conftest import drive, screen_text, until


def _with_attempts(store: Path, n: int) -> int:
    (cid,) = add(store, Capture("POST", "/x", "", [], b"{}"))
    st = Store(store)
    try:
        st.add_attempts(
            (cid, "replays", Attempt(f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00",
                                     f"http://t/{i}", 200, 1.0))
            for i in range(n)
        )  # fmt: skip
    finally:
        st.close()
    return cid


def test_show_lists_the_newest_20_and_says_how_many_are_left_out(store: Path) -> None:
    cid = _with_attempts(store, 50)
    out = run(store, "show", str(cid)).stdout.decode()
    assert "Replays (50)" in out
    assert f"… 30 earlier not shown (show {cid} --attempts all)" in out
    shown = [ln for ln in out.splitlines() if "http://t/" in ln]
    assert [ln.rsplit("/", 1)[1] for ln in shown] == [str(i) for i in range(30, 50)]


def test_attempts_all_and_a_number(store: Path) -> None:
    cid = _with_attempts(store, 50)
    every = run(store, "show", str(cid), "--attempts", "all").stdout.decode()
    assert sum("http://t/" in ln for ln in every.splitlines()) == 50 and "earlier" not in every
    three = run(store, "show", str(cid), "--attempts", "3").stdout.decode()
    assert sum("http://t/" in ln for ln in three.splitlines()) == 3


def test_json_has_the_count_and_the_newest(store: Path) -> None:
    cid = _with_attempts(store, 50)
    rec = run_json(store, "show", str(cid))
    assert rec["replays_count"] == 50 and rec["forwards_count"] == 0
    assert [a["target"] for a in rec["replays"]] == [f"http://t/{i}" for i in range(30, 50)]
    full = run_json(store, "show", str(cid), "--attempts", "all")
    assert len(full["replays"]) == 50 and full["replays_count"] == 50


@pytest.mark.parametrize("bad", ["x", "-1", "1.5"])
def test_a_bad_attempts_value_is_a_usage_error(store: Path, bad: str) -> None:
    cid = _with_attempts(store, 1)
    r = run(store, "show", str(cid), "--attempts", bad)
    assert r.returncode == 2 and "--attempts" in r.stderr.decode()


def test_tui_attempts_tab_lists_the_newest_and_the_count(store: Path) -> None:
    _with_attempts(store, 150)

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        await pilot.press("4")
        await until(pilot, lambda: "earlier not shown" in screen_text(app))
        assert "Replays (150)" in screen_text(app)
        assert "… 50 earlier not shown" in screen_text(app)

    drive(store, scenario)
