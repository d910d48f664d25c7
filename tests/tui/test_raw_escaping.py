"""The Raw tab draws a request one wire line a line: CR, LF and TAB inside a method, a path
or a header (an imported capture may hold them) and tabs in the body are shown escaped."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from hookcli.model.capture import Capture
from hookcli.tui.app import HookcliApp
from hookcli.tui.widgets.detail import raw_lines
from tests.conftest import add
from tests.tui.conftest import drive, screen_text, until

HOSTILE = Capture(
    "PO\r\nST",
    "/a\tb",
    "",
    [("X-Tab", "one\ttwo"), ("Content-Type", "text/plain")],
    b"col1\tcol2\r\nline2",
)


def test_raw_lines_escape_what_is_inside_a_line() -> None:
    lines = raw_lines(HOSTILE)
    assert lines[0] == "PO\\r\\nST /a\\tb HTTP/1.1"
    assert "X-Tab: one\\ttwo" in lines
    blank = lines.index("")
    assert lines[blank + 1 :] == ["col1\\tcol2", "line2"]
    assert not any(ch in "".join(lines) for ch in "\r\n\t")


def test_raw_tab_shows_them_escaped(store: Path) -> None:
    add(store, HOSTILE)

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        await pilot.press("3")
        await until(pilot, lambda: "col1\\tcol2" in screen_text(app))
        text = screen_text(app)
        assert "PO\\r\\nST /a\\tb HTTP/1.1" in text and "X-Tab: one\\ttwo" in text

    drive(store, scenario)
