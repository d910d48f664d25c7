"""Replay from the TUI (`r`): the form sends through the replay code to a real receiver,
shows the answer, records the attempt, remembers the target, and re-signs on request."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input

from hookcli.signing import registry
from hookcli.store import Store
from hookcli.tui.app import HookcliApp
from hookcli.tui.screens.replay import ReplayScreen
from tests.conftest import add
from tests.receiver import Receiver
from tests.tui.conftest import drive, jcap, screen_text, until

SECRET = "whsec_tui_test"
JSON_ONLY = [("Content-Type", "application/json")]


async def open_form(app: HookcliApp, pilot: Pilot[None]) -> Input:
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
    return app.screen.query_one("#replay-url", Input)


def test_replay_to_a_url_shows_the_answer_and_records_it(store: Path, receiver: Receiver) -> None:
    body = {"id": "evt_1", "amount": 1000}
    add(store, jcap("/hooks/orders", body, query="v=2"))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")  # the detail's Attempts tab follows the new attempt
        await until(pilot, lambda: app.main.detail.capture is not None)
        url = await open_form(app, pilot)
        assert url.value == "http://localhost:3000", "never sent: a common default"
        url.value = receiver.url + "/app"
        await pilot.press("enter")
        await until(pilot, lambda: "200 OK" in screen_text(app))
        (seen,) = receiver.wait(1)
        assert seen.path_qs == "/app/hooks/orders?v=2"
        assert json.loads(seen.body) == body
        assert '{"received": true}' in screen_text(app)
        await pilot.press("escape", "4")
        await until(pilot, lambda: f"{receiver.url}/app/hooks/orders?v=2" in screen_text(app))
        url = await open_form(app, pilot)
        assert url.value == receiver.url + "/app", "the last target is remembered"

    drive(store, scenario)
    (attempt,) = Store(store).get(1).replays
    assert attempt.status == 200 and attempt.base == receiver.url + "/app"


def test_resign_toggle_signs_again_with_a_fresh_timestamp(
    store: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKCLI_SECRET_STRIPE", SECRET)
    doc = {"type": "invoice.paid"}
    old = int(time.time()) - 3600  # far outside Stripe's 300 s tolerance
    headers = registry.get("stripe").sign(json.dumps(doc).encode(), SECRET, old)
    add(store, jcap("/s", doc, headers=[*JSON_ONLY, *headers], provider="stripe"))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        url = await open_form(app, pilot)
        url.value = receiver.url
        await pilot.press("tab", "space")
        assert app.screen.query_one(Checkbox).value
        await pilot.press("shift+tab", "enter")
        await until(pilot, lambda: "200 OK" in screen_text(app))

    drive(store, scenario)
    (seen,) = receiver.wait(1)
    verdict = registry.verify("stripe", seen.headers, seen.body, SECRET, int(time.time()))
    assert verdict.ok, verdict
    assert seen.header("Stripe-Signature") != dict(headers)["Stripe-Signature"]


def test_resign_without_a_secret_says_so_in_the_form(
    store: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOKCLI_SECRET_STRIPE", raising=False)
    monkeypatch.setenv("HOOKCLI_CONFIG", str(store.parent / "no-config.toml"))
    add(store, jcap("/s", {"a": 1}, headers=[("Stripe-Signature", "t=1,v1=aa")]))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        url = await open_form(app, pilot)
        url.value = receiver.url
        await pilot.press("tab", "space", "shift+tab", "enter")
        await until(pilot, lambda: "error: --resign: no secret for stripe" in screen_text(app))

    drive(store, scenario)
    assert receiver.seen == []


def test_a_dead_target_is_reported_not_raised(store: Path) -> None:
    add(store, jcap("/x", {"a": 1}))

    async def scenario(app: HookcliApp, pilot: Pilot[None]) -> None:
        url = await open_form(app, pilot)
        url.value = "http://127.0.0.1:9"  # discard port: nothing listens
        await pilot.press("enter")
        await until(pilot, lambda: "no answer" in screen_text(app), timeout=15)

    drive(store, scenario)
    (attempt,) = Store(store).get(1).replays
    assert attempt.status is None and attempt.error
