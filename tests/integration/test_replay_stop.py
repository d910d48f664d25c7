"""`replay` stopped by Ctrl-C: what was in flight is recorded as not answered, and the
summary line is printed (a real process: the signal is the point)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from hookcli.model.capture import Capture
from tests.conftest import HOOKCLI, add, cli_env, run_json
from tests.receiver import Receiver


def test_ctrl_c_records_what_was_in_flight_and_prints_the_summary(store: Path) -> None:
    (cid,) = add(store, Capture("POST", "/hooks/slow", "", [], b"{}"))
    never = Receiver(delay=3600).start()  # takes the requests, never answers
    proc = subprocess.Popen(
        [*HOOKCLI, "replay", str(cid), "--to", never.url, "--repeat", "50", "--concurrency",
         "10", "--timeout", "0"],
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
        never.stop()
    assert proc.returncode == 130, err
    lines = out.decode().splitlines()
    stopped = [ln for ln in lines if "not answered: stopped (Ctrl-C)" in ln]
    assert len(stopped) == 10
    assert lines[-1].startswith("10 sent, 0 answered 2xx, 10 failed in ")
    assert lines[-1].endswith("; stopped by Ctrl-C, 40 not sent")
    assert "Traceback" not in err.decode()
    replays = run_json(store, "show", str(cid))["replays"]
    assert len(replays) == 10
    assert {r["error"] for r in replays} == {"not answered: stopped (Ctrl-C)"}
    assert all(r["status"] is None and r["latency_ms"] > 0 for r in replays)
