"""The TUI at the two sizes people use it at, 80x24 and 120x40, through Pilot and an SVG
screenshot (what a person sees): the footer keeps `q Quit` and `? Keys`, the filter hint
is whole, provider/event gets room before the path, the source word appears from 120
columns, long raw lines end in `…` and scroll, copy-as-curl is shown unwrapped and can
be written to a file, and the signature column agrees with `ls`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from textual.pilot import Pilot

from hookcli.export.curl import to_curl
from hookcli.model.capture import Capture
from hookcli.store import Store
from hookcli.tui.app import HookcliApp
from hookcli.tui.screens.dialogs import CommandScreen
from hookcli.tui.screens.main import FILTER_HINT
from tests.conftest import add, run
from tests.receiver import Receiver
from tests.tui.conftest import JSON, drive, jcap, list_rows, screen_text, until

EVENT = "stripe checkout.session.completed"
LONG_SIGNATURE = "t=1796000000,v1=" + "ab" * 64 + ",v0=" + "cd" * 32


def stripe_rows(store: Path) -> None:
    add(
        store,
        *[
            jcap(
                "/webhooks/stripe/production/eu-west-1",
                {"type": "checkout.session.completed", "i": i},
                provider="stripe",
                event_type="checkout.session.completed",
                signature="valid",
                source="fabricated" if i % 2 else "listen",
                headers=[*JSON, ("Stripe-Signature", LONG_SIGNATURE)],
            )
            for i in range(3)
        ],
    )


def svg_text(app: HookcliApp) -> str:
    """The words of an SVG screenshot, as a terminal would render them."""
    svg = app.export_screenshot()
    assert svg.startswith("<svg")
    words = re.findall(r">([^<>]+)</text>", svg)
    return " ".join(w.replace("&#160;", " ") for w in words)


def test_at_80x24_the_footer_and_the_filter_hint_are_whole(store: Path) -> None:
    stripe_rows(store)

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        text = screen_text(app)
        lines = text.splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        footer = lines[-1]
        assert "q Quit" in footer and "? Keys" in footer, footer
        assert FILTER_HINT in lines[0]
        rows = list_rows(app)
        assert all(len(r) <= 80 for r in rows)
        # provider/event has priority: the path gives way first
        assert "stripe checkout.session.comp" in rows[0] and "/webh…" in rows[0], rows[0]
        assert "SRC" in lines[1] and "fab" in rows[1] and "fabricated" not in rows[1]
        shot = svg_text(app)
        assert "Quit" in shot and "Keys" in shot and "checkout" in shot

    drive(store, scenario, size=(80, 24))


def test_at_120x40_the_source_word_and_whole_events_show(store: Path) -> None:
    stripe_rows(store)

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        lines = screen_text(app).splitlines()
        assert len(lines) == 40 and all(len(line) <= 120 for line in lines)
        heading = lines[1]
        assert "SOURCE" in heading and "PROVIDER/EVENT" in heading, heading
        rows = list_rows(app)
        assert EVENT in rows[0] and "/webhooks/stripe/production/" in rows[0]
        assert "fabricated" in rows[1]
        assert "Quit" in svg_text(app)

    drive(store, scenario, size=(120, 40))


def test_raw_lines_longer_than_the_pane_end_in_an_ellipsis_and_scroll(store: Path) -> None:
    stripe_rows(store)

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await until(pilot, lambda: app.main.detail.capture is not None)
        await pilot.press("3")
        raw = app.main.detail.query_one("#raw-lines")
        await until(pilot, lambda: any("Stripe-Signature" in ln for ln in raw.lines))
        raw.focus()
        shown = [raw.render_line(y).text for y in range(raw.size.height)]
        line = next(s for s in shown if s.startswith("Stripe-Signature"))
        assert line.endswith("…") and len(line) == raw.scrollable_content_region.width
        raw.scroll_to(x=raw.max_scroll_x, animate=False, immediate=True)
        await pilot.pause(0.05)
        shown = [raw.render_line(y).text for y in range(raw.size.height)]
        assert any(s.rstrip().endswith("cd" * 8) for s in shown), shown

    drive(store, scenario, size=(80, 24))


def test_copy_as_curl_is_shown_unwrapped_and_written_to_a_file(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stripe_rows(store)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen))
        await pilot.pause(0.05)
        text = screen_text(app)
        header = next(ln for ln in text.splitlines() if "Stripe-Signature:" in ln)
        assert "t=1796000000,v1=abab" in header and "…" in header  # one line, cut, not wrapped
        assert not any(ln.strip().startswith("abab") for ln in text.splitlines())
        await pilot.press("w")
        written = work / "curl-3.sh"
        await until(pilot, written.exists)
        assert written.read_text() == to_curl(Store(store).get(3)) + "\n"
        assert isinstance(app.screen, CommandScreen), app.screen
        assert app.screen.written == written
        await pilot.press("w")  # never over the first one
        await until(pilot, (work / "curl-3-2.sh").exists)

    drive(store, scenario, size=(80, 24))


def test_the_signature_column_agrees_with_ls(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver().start()
    try:
        made = run(
            store,
            "fabricate",
            "stripe",
            "invoice.paid",
            "--secret",
            "whsec_tui",
            "--to",
            receiver.url + "/hooks/stripe",
        )
    finally:
        receiver.stop()
    assert made.returncode == 0, made.stderr
    listed = run(store, "ls", "--json", HOOKCLI_SECRET_STRIPE="whsec_tui")
    (row,) = json.loads(listed.stdout)
    assert row["signature"] == "valid"
    assert Store(store).get(1).signature is None  # recorded without a state
    monkeypatch.setenv("HOOKCLI_SECRET_STRIPE", "whsec_tui")

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await until(pilot, lambda: "valid" in list_rows(app)[0])
        assert "stripe invoice.paid" in list_rows(app)[0]

    drive(store, scenario, size=(100, 24))


def test_a_capture_without_a_provider_gets_no_signature_check(store: Path) -> None:
    add(store, Capture("POST", "/plain", "", JSON, b"{}"))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        assert "/plain" in list_rows(app)[0] and "valid" not in list_rows(app)[0]

    drive(store, scenario, size=(80, 24))
