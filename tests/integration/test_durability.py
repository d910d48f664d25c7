"""Acknowledged captures survive SIGKILL; several processes share one store safely."""

from __future__ import annotations

import http.client
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Listener, run, run_json


def _post_many(
    port: int, start: int, count: int, acked: list[int], pause: threading.Event | None = None
) -> None:
    """POST COUNT requests; with PAUSE, wait for it after the first fifth (so that other
    processes certainly act while the rest are being sent)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(start, start + count):
        if pause is not None and i == start + count // 5:
            assert pause.wait(60), "the other processes never got going"
        conn.request("POST", f"/n/{i}", body=b'{"n": %d}' % i)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
        acked.append(i)
    conn.close()


def test_every_answered_request_survives_sigkill(store: Path) -> None:
    lst = Listener(store)
    acked: list[int] = []
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda k: _post_many(lst.port, k * 50, 50, acked), range(6)))
    assert len(acked) == 300
    lst.proc.send_signal(signal.SIGKILL)  # the instant after the last answer
    lst.proc.wait(10)
    rows = run_json(store, "ls", "--limit", "1000")
    assert sorted(int(r["path"].rsplit("/", 1)[1]) for r in rows) == sorted(acked)
    assert [r["id"] for r in rows] == list(range(300, 0, -1))


@pytest.mark.long
def test_listen_under_load_while_other_processes_rm_and_ls(store: Path) -> None:
    lst = Listener(store)
    acked: list[int] = []
    removed: list[int] = []
    errors: list[str] = []
    done = threading.Event()
    first_rm = threading.Event()

    def other_processes() -> None:
        while not done.is_set():
            r = run(store, "ls", "--json", "--limit", "5")
            if r.returncode != 0:
                errors.append(r.stderr.decode())
                continue
            import json

            rows = json.loads(r.stdout)
            if len(rows) >= 5:
                victim = rows[-1]["id"]
                rm = run(store, "rm", str(victim), "--json")
                if rm.returncode == 0:
                    removed.extend(json.loads(rm.stdout)["removed"])
                    first_rm.set()
                else:
                    errors.append(rm.stderr.decode())

    side = threading.Thread(target=other_processes)
    side.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: _post_many(lst.port, k * 250, 250, acked, first_rm), range(8)))
    finally:
        done.set()
        side.join(60)
    assert lst.stop() == 0
    assert not errors, errors[:3]
    assert len(acked) == 2000 and removed, "rm ran while the listener wrote"
    ids = [r["id"] for r in run_json(store, "ls", "--limit", "5000")]
    assert len(ids) == 2000 - len(removed)
    assert sorted(ids + removed) == list(range(1, 2001)), "nothing lost but what was removed"
