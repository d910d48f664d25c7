"""`replay` stopped by Ctrl-C: what was in flight is recorded as not answered, and the
summary line is printed (a real process: the signal is the point)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from tests.conftest import HOOKCLI, add, cli_env, run_json
from tests.receiver import Receiver

#: `hookcli ARGS` in a process whose SIGINT is taken by a thread other than the event
#: loop's: the main thread blocks it, an idle thread started before does not. So the
#: signal's C-level handler always runs where the loop cannot see it, as it does at
#: random when a SIGINT lands just before the loop's epoll_wait: the loop, with nothing
#: scheduled (--timeout 0), must be woken by the signal itself, not by Python code.
_SIGINT_ELSEWHERE = """
import signal, sys, threading
threading.Thread(target=threading.Event().wait, daemon=True).start()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
sys.argv = ["hookcli", *sys.argv[1:]]
from hookcli.cli.main import main
main()
"""


def _stop_replay(store: Path, command: list[str], compare: bool) -> tuple[int, str, str]:
    """Replay capture 1 fifty times, ten at a time, to a target that never answers (with
    COMPARE: captures 1-5 once, each also to the same target to compare); once ten requests
    are in flight, SIGINT. (exit code, stdout, stderr)."""
    never = Receiver(delay=3600).start()  # takes the requests, never answers
    what = ["1-5", "--compare", never.url] if compare else ["1", "--repeat", "50"]
    proc = subprocess.Popen(
        [*command, "replay", *what, "--to", never.url, "--concurrency", "10", "--timeout", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(store),
    )  # fmt: skip
    try:
        never.wait(10, timeout=60)
        assert len(never.seen) == 10
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        never.stop()
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "command",
    [HOOKCLI, [sys.executable, "-c", _SIGINT_ELSEWHERE]],
    ids=["sigint-to-the-loop", "sigint-to-another-thread"],
)
def test_ctrl_c_records_what_was_in_flight_and_prints_the_summary(
    store: Path, command: list[str]
) -> None:
    (cid,) = add(store, Capture("POST", "/hooks/slow", "", [], b"{}"))
    code, out, err = _stop_replay(store, command, compare=False)
    assert code == 130, err
    lines = out.splitlines()
    stopped = [ln for ln in lines if "not answered: stopped (Ctrl-C)" in ln]
    assert len(stopped) == 10
    assert lines[-1].startswith("10 sent, 0 answered 2xx, 10 failed in ")
    assert lines[-1].endswith("; stopped by Ctrl-C, 40 not sent")
    assert "Traceback" not in err
    replays = run_json(store, "show", str(cid))["replays"]
    assert len(replays) == 10
    assert {r["error"] for r in replays} == {"not answered: stopped (Ctrl-C)"}
    assert all(r["status"] is None and r["latency_ms"] > 0 for r in replays)


def test_ctrl_c_stops_replay_compare_when_another_thread_takes_the_signal(store: Path) -> None:
    add(store, *(Capture("POST", "/hooks/slow", "", [], b"{}") for _ in range(5)))
    code, out, err = _stop_replay(store, [sys.executable, "-c", _SIGINT_ELSEWHERE], compare=True)
    assert code == 130, err
    assert out.splitlines()[-1].endswith("; stopped by Ctrl-C")
    assert "Traceback" not in err
