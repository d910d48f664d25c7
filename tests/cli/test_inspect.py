"""`ls`, `show`, `rm`, `clear` from the shell: output, filters, errors and exit codes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from tests.conftest import add, cli_env, run, run_json


def c(method: str = "POST", path: str = "/", body: bytes = b"", **kw: object) -> Capture:
    headers = kw.pop("headers", [("Content-Type", "application/json")])
    return Capture(method, path, kw.pop("query", ""), headers, body, **kw)  # type: ignore[arg-type]


@pytest.fixture
def filled(store: Path) -> Path:
    old = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    add(
        store,
        c(
            "POST",
            "/a/stripe",
            b'{"type":"invoice.paid"}',
            received_at=old,
            provider="stripe",
            event_type="invoice.paid",
        ),
        c("GET", "/b/health", headers=[]),
        c(
            "POST",
            "/a/github",
            b'{"zen":"needle-in-body"}',
            provider="github",
            event_type="pull_request.opened",
            headers=[("X-GitHub-Event", "pull_request")],
        ),
    )
    return store


def test_ls_json_newest_first_with_the_contract_keys(filled: Path) -> None:
    rows = run_json(filled, "ls")
    assert [r["id"] for r in rows] == [3, 2, 1]
    keys = {"id", "received_at", "method", "path", "query", "body_size", "provider", "event_type"}
    assert keys <= rows[0].keys()
    assert rows[0]["provider"] == "github" and rows[0]["body_size"] == 24


def test_ls_filters(filled: Path) -> None:
    def paths(*args: str) -> list[str]:
        return [r["path"] for r in run_json(filled, "ls", *args)]

    assert paths("--method", "get") == ["/b/health"]
    assert paths("--path", "/a/*") == ["/a/github", "/a/stripe"]
    assert paths("--search", "NEEDLE") == ["/a/github"]
    assert paths("--search", "x-github-event") == ["/a/github"]
    assert paths("--provider", "stripe") == ["/a/stripe"]
    assert paths("--event", "pull_request*") == ["/a/github"]
    assert paths("--event", "pull_request") == []
    assert paths("--since", "1h") == ["/a/github", "/b/health"]
    assert paths("--limit", "1") == ["/a/github"]
    assert paths("--method", "POST", "--path", "/a/*", "--since", "1h") == ["/a/github"]


def test_ls_table(filled: Path) -> None:
    out = run(filled, "ls").stdout.decode()
    header = out.splitlines()[0]
    for col in ("ID", "TIME", "METHOD", "PATH", "SIZE", "PROVIDER/EVENT"):
        assert col in header
    assert "SIGNATURE" not in header, "no row has a signature state: no empty column"
    assert "github pull_request.opened" in out and "/b/health" in out


def test_ls_empty_store_and_bad_flags(store: Path) -> None:
    r = run(store, "ls")
    assert r.returncode == 0 and b"No captures yet" in r.stdout
    assert run_json(store, "ls") == []
    for args in (["--since", "yesterday"], ["--limit", "0"], ["--bogus"]):
        r = run(store, "ls", *args)
        assert r.returncode == 2, args
        assert b"Traceback" not in r.stderr


def test_show_pretty_by_content_type(store: Path) -> None:
    add(
        store,
        c(body=b'{"a": {"b": [1, 2]}}'),
        c(
            body=b"x=1&name=two+words",
            headers=[("Content-Type", "application/x-www-form-urlencoded")],
        ),
        c(body=bytes(range(40)), headers=[("Content-Type", "application/octet-stream")]),
        c(body=gzip.compress(b'{"zipped": true}'), headers=[("Content-Encoding", "gzip")]),
    )
    out = run(store, "show", "1").stdout.decode()
    assert '"b": [' in out and "Body (json" in out
    out = run(store, "show", "2").stdout.decode()
    assert "two words" in out and "FIELD" in out
    out = run(store, "show", "3").stdout.decode()
    assert "00000000  00 01 02 03" in out and "|" in out
    out = run(store, "show", "4").stdout.decode()
    assert '"zipped": true' in out and "decoded from gzip" in out


def test_show_json_raw_body(store: Path) -> None:
    add(store, c("POST", "/p", b'{"n": 2}', query="x=1", headers=[("A", "1"), ("B", "2")]))
    rec = run_json(store, "show", "last")
    assert rec["id"] == 1 and rec["headers"] == [["A", "1"], ["B", "2"]]
    assert set(rec) >= {"forwards", "replays", "response", "body_encoding", "source"}
    raw = run(store, "show", "1", "--raw").stdout
    assert raw == b'POST /p?x=1 HTTP/1.1\r\nA: 1\r\nB: 2\r\nContent-Length: 8\r\n\r\n{"n": 2}'
    assert run(store, "show", "1", "--body").stdout == b'{"n": 2}'


def test_show_errors(store: Path) -> None:
    r = run(store, "show", "last")
    assert r.returncode == 1 and b"no capture" in r.stderr
    add(store, c())
    r = run(store, "show", "999999")
    assert r.returncode == 1 and b"999999" in r.stderr
    assert len(r.stderr.decode().strip().splitlines()) == 1
    assert run(store, "show", "abc").returncode == 2
    assert run(store, "show", "1", "--raw", "--body").returncode == 2
    assert run(store, "show").returncode == 2


def test_rm_ids_ranges_last(store: Path) -> None:
    add(store, *[c(path=f"/{i}") for i in range(1, 11)])
    r = run(store, "rm", "2", "4-6", "last")
    assert r.returncode == 0 and b"Removed 5 captures: 2, 4-6, 10" in r.stdout
    assert [x["id"] for x in run_json(store, "ls")] == [9, 8, 7, 3, 1]
    assert run_json(store, "rm", "7-9") == {"removed": [7, 8, 9]}


def test_rm_unknown_removes_nothing(store: Path) -> None:
    add(store, c(), c())
    r = run(store, "rm", "1", "42")
    assert r.returncode == 1 and b"42" in r.stderr
    assert len(run_json(store, "ls")) == 2
    assert run(store, "rm", "5-9").returncode == 1
    assert run(store, "rm", "x").returncode == 2
    assert run(store, "rm").returncode == 2


def test_clear_asks_and_ids_keep_counting(store: Path) -> None:
    add(store, c(), c())
    r = run(store, "clear", input=b"")
    assert r.returncode == 2 and b"--yes" in r.stderr
    assert len(run_json(store, "ls")) == 2
    r = run(store, "clear", "--yes")
    assert r.returncode == 0 and b"Removed 2 captures" in r.stdout
    assert run_json(store, "ls") == []
    assert add(store, c()) == [3]


def test_corrupt_store_is_reported_with_its_path(store: Path) -> None:
    add(store, c())
    (store / "index.jsonl").write_bytes(b"this is not json\n")
    before = (store / "index.jsonl").read_bytes()
    for args in (["ls"], ["show", "last"], ["rm", "1"], ["listen", "--port", "0"]):
        r = run(store, *args, timeout=30)
        assert r.returncode == 1, args
        err = r.stderr.decode()
        assert str(store / "index.jsonl") in err and "Traceback" not in err
    assert (store / "index.jsonl").read_bytes() == before
    r = run(store, "--debug", "ls")
    assert b"Traceback" in r.stderr


def test_store_flag_and_env(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    add(a, c(path="/in-a"))
    r = subprocess.run(
        [sys.executable, "-m", "hookcli", "ls", "--json", "--store", str(a)],
        capture_output=True,
        env=cli_env(b),
    )
    assert [x["path"] for x in json.loads(r.stdout)] == ["/in-a"]
    assert run_json(b, "ls") == []


def test_default_store_is_in_the_user_data_dir(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    env.pop("HOOKCLI_STORE")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    env["HOME"] = str(tmp_path)
    default = tmp_path / "xdg" / "hookcli" / "store"
    r = subprocess.run([sys.executable, "-m", "hookcli", "ls"], capture_output=True, env=env)
    assert r.returncode == 0
    assert not (tmp_path / "xdg").exists(), "reading creates no store"
    add(default, c(path="/in-default"))  # a writer creates it where ls looks
    r = subprocess.run(
        [sys.executable, "-m", "hookcli", "ls", "--json"], capture_output=True, env=env
    )
    assert [x["path"] for x in json.loads(r.stdout)] == ["/in-default"]
    assert oct(os.stat(default).st_mode & 0o777) == "0o700"


def test_body_to_a_terminal_is_escaped_but_exact_through_a_pipe(store: Path) -> None:
    import pty

    evil = b"\x1b]0;title\x07\x1b[2Jafter"
    add(store, c(body=evil, headers=[("Content-Type", "text/plain")]))
    assert run(store, "show", "last", "--body").stdout == evil
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "hookcli", "show", "last", "--body"],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=cli_env(store),
        timeout=30,
    )
    os.close(follower)
    shown = os.read(leader, 4096)
    os.close(leader)
    assert proc.returncode == 0
    assert b"\x1b" not in shown and b"\\x1b]0;title\\x07" in shown
    assert b"redirect stdout for exact bytes" in proc.stderr
