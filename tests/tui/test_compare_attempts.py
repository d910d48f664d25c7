"""The TUI's Attempts tab marks the two attempts of a `replay --compare` as one pair."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from hookcli.model.capture import Attempt
from hookcli.store import Store
from hookcli.tui.app import HookcliApp
from tests.conftest import add
from tests.tui.conftest import drive, jcap, screen_text, until


def test_attempts_tab_shows_the_compared_pair(store: Path) -> None:
    (cid,) = add(store, jcap("/hooks/c", {"n": 1}))
    st = Store(store)
    at = "2026-01-01T00:00:00+00:00"
    st.add_attempts(
        [
            (cid, "replays", Attempt(at, "http://a/hooks/c", 200, 3.0, compare="5eed0001 a")),
            (cid, "replays", Attempt(at, "http://b/hooks/c", 500, 4.0, compare="5eed0001 b")),
        ]
    )
    st.close()

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        await pilot.press("4")
        await until(pilot, lambda: "compare 5eed0001" in screen_text(app))
        text = screen_text(app)
        assert "compare 5eed0001, side a" in text and "compare 5eed0001, side b" in text

    drive(store, scenario)
