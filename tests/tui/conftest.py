"""Driving the real TUI with Textual's Pilot over a real store written by the store code."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from hookcli.model.capture import Capture
from hookcli.store import Store
from hookcli.tui.app import HookcliApp, build_app
from hookcli.tui.screens.main import MainScreen

JSON = [("Content-Type", "application/json"), ("Host", "localhost:9000")]
Scenario = Callable[[HookcliApp, Pilot[None]], Coroutine[Any, Any, None]]


def jcap(path: str = "/hooks/x", body: Any = None, method: str = "POST", **kw: Any) -> Capture:
    data = b"" if body is None else json.dumps(body).encode()
    headers = kw.pop("headers", JSON)
    return Capture(method, path, kw.pop("query", ""), headers, data, **kw)


def drive(store: Path, scenario: Scenario, size: tuple[int, int] = (100, 30)) -> None:
    """Run SCENARIO against the app on STORE in a headless terminal of SIZE."""

    async def main() -> None:
        app = build_app(Store(store), poll_seconds=0.05)
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: main_screen(app).loaded)
            await scenario(app, pilot)

    asyncio.run(main())


def main_screen(app: HookcliApp) -> MainScreen:
    return app.main


async def until(pilot: Pilot[None], condition: Callable[[], Any], timeout: float = 5.0) -> None:
    """Let the app run until CONDITION holds; fail after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.02)


def screen_text(app: HookcliApp) -> str:
    """What the terminal shows now, as plain text (styles dropped)."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(strip.text for strip in row) for row in update.strips)


def list_rows(app: HookcliApp) -> list[str]:
    """The capture list's rows on screen, as text."""
    cl = app.main.capture_list
    return [cl.render_line(y).text for y in range(cl.size.height)]


async def settle(pilot: Pilot[None], when: Callable[[], Any] | None = None) -> None:
    if when is not None:
        await until(pilot, when)
    await pilot.pause(0.05)


Check = Callable[[], Awaitable[None]]
