"""Credentials in a URL (`http://user:password@host/`) are sent as Authorization, and never
printed or stored: shown as `user:***`, and replay without --to asks for them again."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from tests.conftest import Listener, add, run, run_json, send
from tests.receiver import Receiver

PASSWORD = "SuperSecretPw2"


def _leaks(store: Path, *texts: str) -> list[str]:
    """Where the password appears: in any of TEXTS or any file of the store."""
    found = [f"output {i}" for i, t in enumerate(texts) if PASSWORD in t]
    found += [
        p.name for p in store.iterdir() if p.is_file() and PASSWORD.encode() in p.read_bytes()
    ]
    return found


def _with_credentials(url: str, user: str = "alice") -> str:
    return url.replace("http://", f"http://{user}:{PASSWORD}@")


def _basic(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()


def test_replay_sends_credentials_but_never_prints_or_stores_them(
    store: Path, receiver: Receiver
) -> None:
    (cid,) = add(store, Capture("POST", "/hooks/x", "", [], b"{}"))
    to = _with_credentials(receiver.url) + "/base"
    r = run(store, "replay", str(cid), "--to", to)
    rj = run(store, "replay", str(cid), "--to", to, "--json")
    dead = run(store, "replay", str(cid), "--to", _with_credentials("http://127.0.0.1:9"))
    shown = run(store, "show", str(cid))
    assert r.returncode == 0 and rj.returncode == 0 and dead.returncode == 1
    assert [s.header("Authorization") for s in receiver.wait(2)] == [_basic("alice")] * 2
    outputs = [x.decode() for p in (r, rj, dead, shown) for x in (p.stdout, p.stderr)]
    assert not _leaks(store, *outputs)
    assert f"http://alice:***@127.0.0.1:{receiver.url.rsplit(':', 1)[1]}/base" in outputs[0]
    assert json.loads(rj.stdout)[0]["url"].startswith("http://alice:***@")
    # without --to, the stored base has no credentials to send: say so, send nothing
    again = run(store, "replay", str(cid))
    assert again.returncode == 2 and len(receiver.seen) == 2
    assert "credentials are not stored" in again.stderr.decode()
    assert "--to" in again.stderr.decode()


def test_a_lone_token_as_user_is_hidden_too(store: Path, receiver: Receiver) -> None:
    (cid,) = add(store, Capture("POST", "/t", "", [], b"{}"))
    to = receiver.url.replace("http://", f"http://{PASSWORD}@")
    r = run(store, "replay", str(cid), "--to", to)
    assert r.returncode == 0
    assert "http://***@127.0.0.1" in r.stdout.decode()
    assert not _leaks(store, r.stdout.decode(), r.stderr.decode())


def test_fabricate_to_a_url_with_credentials(store: Path, receiver: Receiver) -> None:
    to = _with_credentials(receiver.url) + "/hooks/stripe"
    r = run(store, "fabricate", "stripe", "invoice.paid", "--secret", "whsec_x", "--to", to)
    assert r.returncode == 0, r.stderr
    seen = receiver.wait(1)[0]
    assert seen.header("Authorization") == _basic("alice")
    assert seen.header("Host") == receiver.url.removeprefix("http://")
    rec = run_json(store, "show", "last")
    assert dict(rec["headers"])["Host"] == receiver.url.removeprefix("http://")
    assert not _leaks(store, r.stdout.decode(), r.stderr.decode())


def test_listen_forward_to_with_credentials(tmp_path: Path, receiver: Receiver) -> None:
    store = tmp_path / "store"
    lst = Listener(store, "--forward-to", _with_credentials(receiver.url, "bob"), json_lines=False)
    try:
        status, _, _ = send(lst.url, "POST", "/hooks/f", b"{}")
        assert status == 200
        assert receiver.wait(1)[0].header("Authorization") == _basic("bob")
        deadline = time.monotonic() + 30  # a bound, not a wait: the loop ends on the line
        while not any("200 OK" in ln for ln in lst.lines) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        lst.stop()
    assert any("Forwarding → http://bob:***@127.0.0.1" in ln for ln in lst.lines)
    assert any("http://bob:***@127.0.0.1" in ln and "200 OK" in ln for ln in lst.lines)
    assert not _leaks(store, *lst.lines, *lst.err)


def test_listen_json_banner_hides_credentials(tmp_path: Path, receiver: Receiver) -> None:
    store = tmp_path / "store"
    lst = Listener(store, "--forward-to", _with_credentials(receiver.url, "bob"))
    try:
        assert lst.lines and PASSWORD not in lst.lines[0]
        assert json.loads(lst.lines[0])["forward_to"][0].startswith("http://bob:***@")
    finally:
        lst.stop()


@pytest.mark.parametrize(
    "bad",
    ["http://127.0.0.1:9/a\r\nX-Evil: 1", "http://127.0.0.1:9/a\nb", "http://127.0.0.1:9/a b"],
)
def test_a_line_break_or_space_in_to_is_refused(store: Path, bad: str) -> None:
    (cid,) = add(store, Capture("POST", "/x", "", [], b"{}"))
    r = run(store, "replay", str(cid), "--to", bad)
    err = r.stderr.decode()
    assert r.returncode == 2 and len(err.splitlines()) == 1
    assert "contains" in err and "--to" in err
    assert run_json(store, "show", str(cid))["replays"] == []
