"""Every human line fits the terminal: `listen`'s live lines, forward lines and warnings on
an 80-column pseudo-terminal are cut (least important field first, with `…`), never
wrapped; whole lines to a pipe. The real `hookcli listen` on a real pty."""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import time
from pathlib import Path

from hookcli.render.row import width_of
from tests.conftest import run
from tests.docs.harness import COLUMNS, Terminal

LONG_PATH = "/webhooks/stripe/checkout/production/eu-west-1/handler"


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(term: Terminal, pattern: str, timeout: float = 30) -> re.Match[str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, term.text)
        if m:
            return m
        if term.proc.poll() is not None:
            break
        time.sleep(0.02)
    raise AssertionError(f"{pattern!r} never appeared in:\n{term.text}")


def tty_env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKCLI_", "COLUMNS"))}
    env.update(HOOKCLI_STORE=str(store), NO_COLOR="1", TERM="xterm", TZ="UTC")
    env.update(HOOKCLI_SECRET_STRIPE="whsec_narrow", LC_ALL="C.UTF-8")
    return env


def test_listen_lines_fit_80_columns(tmp_path: Path) -> None:
    store = tmp_path / "store"
    dead = f"http://127.0.0.1:{dead_port()}/forwarded/to/a/service/that/is/not/running"
    command = f"exec {sys.executable} -m hookcli listen --port 0 --forward-to {dead}"
    term = Terminal(command, tty_env(store), tmp_path)
    try:
        port = wait_for(term, r"Listening on http://127\.0\.0\.1:(\d+)").group(1)
        to = f"http://127.0.0.1:{port}{LONG_PATH}"
        sent = run(
            store,
            "fabricate",
            "stripe",
            "checkout.session.completed",
            "--to",
            to,
            HOOKCLI_SECRET_STRIPE="whsec_narrow",
        )
        assert sent.returncode == 0, sent.stderr
        wait_for(term, r"#1 .*→")
        os.killpg(term.proc.pid, signal.SIGINT)
        assert term.wait(15) is not None
    finally:
        term.kill()
        term.close()
    lines = term.text.splitlines()
    print(term.text)
    assert all(width_of(line) <= COLUMNS for line in lines), term.text
    captured = next(line for line in lines if " #1 " in line and "→" not in line)
    assert "stripe checkout.session.completed" in captured  # provider/event kept whole
    assert "valid" in captured and "…" in captured  # the path gave way
    forwarded = next(line for line in lines if "#1" in line and "→" in line)
    assert "no answer" in forwarded and "…" in forwarded
