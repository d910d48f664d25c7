"""The store's lifecycle with real processes: compaction (by command and by itself) while a
listener takes load loses no answered capture and never reuses an id; `--keep` holds
exactly N across restarts; a compaction killed at any moment loses nothing; `store check`
names what is wrong and changes nothing; the group commit syncs once per capture that
arrives alone, and never with `--no-fsync`."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from hookcli.store import Store
from hookcli.store.check import check
from tests.conftest import HOOKCLI, Listener, cli_env, run, run_json

BODY = b'{"pad": "' + b"x" * 2000 + b'"}'


class Clients:
    """Several keep-alive clients POSTing until told to stop (or COUNT each); every
    answered request is recorded as id -> path."""

    def __init__(self, port: int, clients: int = 4, count: int = 100_000):
        self.port = port
        self.count = count
        self.acked: dict[int, str] = {}
        self.errors: list[str] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(k,)) for k in range(clients)]
        for t in self.threads:
            t.start()

    def _run(self, k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            for n in range(self.count):
                if self.stop.is_set():
                    return
                path = f"/c{k}/{n}"
                conn.request("POST", path, body=BODY)
                resp = conn.getresponse()
                data = resp.read()
                if resp.status != 200:
                    self.errors.append(f"{path}: {resp.status} {data[:100]!r}")
                    return
                with self._lock:
                    self.acked[json.loads(data)["id"]] = path
        except OSError as e:
            self.errors.append(f"client {k}: {e}")
        finally:
            conn.close()

    def ids(self) -> set[int]:
        with self._lock:
            return set(self.acked)

    def wait_for(self, total: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < total and time.monotonic() < deadline and not self.errors:
            time.sleep(0.05)
        assert len(self.acked) >= total, (len(self.acked), self.errors[:3])

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)
        assert not self.errors, self.errors[:3]


def all_rows(store: Path) -> dict[int, str]:
    return {r["id"]: r["path"] for r in run_json(store, "ls", "--limit", "1000000")}


def test_store_compact_while_listen_takes_load_loses_nothing(store: Path) -> None:
    lst = Listener(store)
    clients = Clients(lst.port)
    deleted: set[int] = set()
    compactions = []
    try:
        for _ in range(3):
            clients.wait_for(len(clients.acked) + 300)
            # the 150 oldest live: well under 1 MiB, so no compaction by itself, the
            # command's to do
            oldest = min(clients.ids() - deleted)
            removed = run_json(store, "rm", f"{oldest}-{oldest + 149}")["removed"]
            deleted.update(removed)
            done = run_json(store, "store", "compact")
            compactions.append((done, len(clients.acked)))
        clients.wait_for(len(clients.acked) + 150)  # and ingest carries on after
    finally:
        clients.finish()
        assert lst.stop() == 0
    sizes = [(d["bytes_before"], d["bytes_after"]) for d, _ in compactions]
    assert all(after < before for before, after in sizes), sizes
    acked = clients.acked
    assert sorted(acked) == list(range(1, len(acked) + 1)), "ids count on, none reused"
    assert all_rows(store) == {i: p for i, p in acked.items() if i not in deleted}
    assert check(store).ok


def test_listen_keep_compacts_by_itself_under_load(store: Path) -> None:
    keep = 100
    lst = Listener(store, "--keep", str(keep))
    clients = Clients(lst.port)
    try:
        clients.wait_for(1800)  # ~5 MB through a store that holds ~0.2 MB
    finally:
        clients.finish()
        assert lst.stop() == 0
    newest = max(clients.acked)
    assert newest == len(clients.acked)
    rows = all_rows(store)
    assert sorted(rows) == list(range(newest - keep + 1, newest + 1))
    assert all(rows[i] == clients.acked[i] for i in rows), "each id is the request it named"
    log = store / "captures.jsonl"
    assert log.read_bytes().startswith(b'{"op":"meta"'), "the store was compacted"
    assert log.stat().st_size < 1.5 * 2**20 + 2 * keep * len(BODY)
    info = run_json(store, "store", "info")
    assert info["captures"] == keep and info["next_id"] == newest + 1
    assert check(store).ok


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_listen_compacts_in_a_helper_process_then_in_a_thread_when_it_dies(
    store: Path,
) -> None:
    """`--keep` compactions run in one helper process (off the listener's event loop);
    killed, the listener says so once and goes on compacting in a thread."""
    keep = 100
    lst = Listener(store, "--keep", str(keep))
    clients = Clients(lst.port)
    try:
        clients.wait_for(900)  # ~2.5 MB: several compactions
        helpers = [
            c
            for c in _children(lst.proc.pid)
            if "hookcli.server.helpers.compact_child" in _cmdline(c)
        ]
        assert len(helpers) == 1, [_cmdline(c) for c in _children(lst.proc.pid)]
        os.kill(helpers[0], signal.SIGKILL)
        line = lst.wait_stderr("compacting in a thread instead")
        assert "the compaction process" in line
        clients.wait_for(len(clients.acked) + 1800)  # ~5 MB more, compacted in a thread
    finally:
        clients.finish()
        assert lst.stop() == 0
    assert sum("compacting in a thread" in e for e in lst.err) == 1, lst.err
    newest = max(clients.acked)
    assert sorted(all_rows(store)) == list(range(newest - keep + 1, newest + 1))
    log = store / "captures.jsonl"
    assert log.stat().st_size < 1.5 * 2**20 + 2 * keep * len(BODY), "compacted after the kill"
    assert check(store).ok


def _send(port: int, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/k", body=b"{}")
        ids.append(json.loads(conn.getresponse().read())["id"])
        conn.close()
    return ids


@pytest.mark.long
def test_keep_holds_exactly_n_across_restarts_and_from_config(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lst = Listener(store, "--keep", "5")
    assert _send(lst.port, 8) == list(range(1, 9))
    assert sorted(all_rows(store)) == [4, 5, 6, 7, 8]
    assert lst.stop() == 0
    lst = Listener(store, "--keep", "5")
    assert _send(lst.port, 3) == [9, 10, 11]
    assert sorted(all_rows(store)) == [7, 8, 9, 10, 11]
    assert lst.stop() == 0
    lst = Listener(store, "--keep", "3")  # a smaller N applies as it starts
    assert sorted(all_rows(store)) == [9, 10, 11]
    assert lst.stop() == 0
    config = tmp_path / "config.toml"
    config.write_text("keep = 2\n")
    monkeypatch.setenv("HOOKCLI_CONFIG", str(config))
    lst = Listener(store)
    assert _send(lst.port, 1) == [12]
    assert sorted(all_rows(store)) == [11, 12]
    assert lst.stop() == 0


def _big_store(root: Path) -> None:
    """A store of about 45 MB, a third of it deleted: a compaction copies for long enough
    to be killed at several points of the copy. Few big captures (3,000 of 15 kB), not many
    small ones: the copy takes as long, the checks after each kill read 10 times fewer
    records."""
    st = Store(root)
    body = b"y" * 15_000
    for k in range(30):
        st.add([Capture("POST", f"/b/{k}/{i}", "", [("A", "b")], body) for i in range(100)])
    st.delete(range(1, 3_001, 3))
    st.close()


def _kill_when(proc: subprocess.Popen[bytes], copy: Path, size: int) -> bool:
    """SIGKILL PROC once COPY holds SIZE bytes (or at once for a negative SIZE); whether
    the copy was there when it died (a compaction cut off mid-way)."""
    deadline = time.monotonic() + 60
    while size >= 0 and proc.poll() is None and time.monotonic() < deadline:
        try:
            if copy.stat().st_size >= size:
                break
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return copy.exists()


@pytest.mark.long
def test_sigkill_during_compaction_loses_nothing(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    _big_store(pristine)
    want = list(Store(pristine).summaries())
    stats = Store(pristine).info().stats
    kept = stats.log_bytes - stats.garbage
    cut_mid_copy = []
    # before it starts, as the copy begins, at several points of the copy, after it ends
    for fraction in (-1, 0, 0.2, 0.4, 0.6, 0.8, 0.95, 2):
        root = tmp_path / f"kill{fraction}"
        shutil.copytree(pristine, root)
        proc = subprocess.Popen(
            [*HOOKCLI, "store", "compact"], env=cli_env(root), stdout=subprocess.DEVNULL
        )
        size = -1 if fraction < 0 else int(kept * fraction)
        cut_mid_copy.append(_kill_when(proc, root / "captures.jsonl.tmp", size))
        assert list(Store(root).summaries()) == want, f"killed at {fraction}"
        assert check(root).ok
        assert Store(root).add([Capture("GET", "/after", "", [], b"")]) == [stats.next_id]
        assert run(root, "store", "compact").returncode == 0, "a leftover copy is no obstacle"
        assert [s["id"] for s in Store(root).summaries()][1:] == [s["id"] for s in want]
        shutil.rmtree(root)
    assert sum(cut_mid_copy) >= 3, cut_mid_copy


def test_store_check_names_file_and_offset_and_changes_nothing(store: Path) -> None:
    Store(store).add([Capture("POST", f"/{i}", "", [], b"{}") for i in range(5)])
    log = store / "captures.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    offset = len(lines[0]) + len(lines[1])
    log.write_bytes(b"".join([*lines[:2], b"\x1b[31mgarbage\n", *lines[2:]]))
    before = {p.name: (p.read_bytes(), p.stat().st_mode) for p in store.iterdir()}
    r = run(store, "store", "check")
    assert r.returncode == 1
    out = r.stdout.decode()
    assert f"{log}: byte {offset}: expected a JSON object" in out
    assert "\x1b" not in out, "bytes from the file are shown escaped"
    err = r.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: 2 problems in the store"), err
    assert "index.jsonl: byte" in out, "and where the index stops matching the log"
    report = json.loads(run(store, "store", "check", "--json").stdout)
    assert report["ok"] is False
    assert report["problems"][0]["file"] == str(log)
    assert report["problems"][0]["offset"] == offset
    r = run(store, "store", "compact")
    assert r.returncode == 1 and str(log) in r.stderr.decode(), r.stderr
    assert {p.name: (p.read_bytes(), p.stat().st_mode) for p in store.iterdir()} == before


def test_prune_refuses_bad_input_with_the_accepted_forms(store: Path) -> None:
    Store(store).add([Capture("POST", "/", "", [], b"")])
    for args in ((), ("--keep", "0"), ("--keep", "-3"), ("--older-than", "5x")):
        r = run(store, "prune", *args)
        err = r.stderr.decode().strip()
        assert r.returncode == 2, (args, err)
        assert err.startswith("error: ") and len(err.splitlines()) == 1, err
        assert ("--keep 1000" in err and "--older-than 7d" in err) or "try 30s" in err, err
    assert [r["id"] for r in run_json(store, "ls")] == [1], "nothing was deleted"


def _strace_listen(store: Path, out: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int, int]:
    """`hookcli listen` under strace: (strace process, listener pid, port)."""
    argv = ["strace", "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", str(out)]
    proc = subprocess.Popen(
        [*argv, *HOOKCLI, "listen", "--port", "0", "--json", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(store),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        err = proc.stderr.read().decode() if proc.stderr else ""
        proc.wait(10)
        pytest.skip(f"strace cannot trace here: {err.strip()[:200]}")
    port = int(json.loads(line)["url"].rsplit(":", 1)[1])
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return proc, int(children[0]), port


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
@pytest.mark.parametrize("no_fsync", [False, True], ids=["fsync", "no-fsync"])
def test_one_fsync_per_capture_arriving_alone_none_with_no_fsync(
    store: Path, no_fsync: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace"
        extra = ("--no-fsync",) if no_fsync else ()
        proc, pid, port = _strace_listen(store, trace, *extra)
        try:
            assert _send(port, 12) == list(range(1, 13))  # one at a time
        finally:
            os.kill(pid, signal.SIGINT)
            proc.wait(30)
        calls = [ln for ln in trace.read_text().splitlines() if "sync(" in ln]
    log = str(store / "captures.jsonl")
    on_log = [c for c in calls if "fdatasync(" in c and f"<{log}>" in c]
    others = [c for c in calls if c not in on_log]
    if no_fsync:
        assert calls == []
    else:
        assert len(on_log) == 12, calls
        assert len(others) == 1 and f"<{store}>" in others[0], "the directory, once"
