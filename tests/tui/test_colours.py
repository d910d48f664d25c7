"""One colour layer: the TUI's list colours what `ls` colours (ids, times, signature
states, sources) exactly as `ls` does, both from render/colors.py."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.pilot import Pilot

from hookcli.render.listing import summaries_table
from hookcli.store import Store
from hookcli.tui.app import HookcliApp
from tests.conftest import add
from tests.tui.conftest import drive, jcap, until

STATES = ("valid", "invalid", "no_secret")


def _look(style: Style | None) -> tuple[object, bool]:
    style = style or Style()
    return (style.color.name if style.color else None, bool(style.bold))


def _ls_looks(store: Path) -> dict[str, tuple[object, bool]]:
    """Each cell's colour and weight in `ls`, by the cell's text."""
    st = Store(store)
    try:
        rows = list(st.summaries())
    finally:
        st.close()
    console = Console(width=140, force_terminal=True, color_system="truecolor")
    segments: list[Segment] = list(console.render(summaries_table(rows)))
    return {s.text.strip(): _look(s.style) for s in segments if s.text.strip()}


def test_the_list_colours_what_ls_colours_as_ls_does(store: Path) -> None:
    add(
        store,
        jcap("/made", {}, source="fabricated"),
        *(jcap(f"/{state}", {}, signature=state) for state in STATES),
        jcap("/newest", {}),  # the cursor's row, bold all through: not compared
    )
    ls = _ls_looks(store)

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        cl = app.main.capture_list
        await until(pilot, lambda: len(cl.view.shown) == len(STATES) + 2)
        assert cl.cursor == 0
        tui: dict[str, tuple[object, bool]] = {}
        for y in range(1, len(cl.view.shown)):
            for seg in cl.render_line(y):
                if seg.text.strip():
                    tui.setdefault(seg.text.strip(), _look(seg.style))
        for state in STATES:
            assert tui[state] == ls[state], state
        assert ls["valid"][0] == "green" and ls["invalid"][0] == "red"
        assert ls["no_secret"][0] == "yellow"
        assert tui["fabricated"] == ls["fabricated"] == ("magenta", False)
        assert tui["1"][1] and ls["1"][1]  # an id: bold in both (the TUI's theme its colour)

    drive(store, scenario, size=(140, 30))
