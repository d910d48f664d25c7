"""`hookcli listen --tunnel`: the real CLI, pyngrok's real code path, tests/fake_ngrok.py
as the agent (its edge port plays the public side of the tunnel)."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hookcli.signing import registry
from tests.conftest import HOOKCLI, FakeNgrok, Listener, cli_env, run, run_json, send
from tests.receiver import Receiver

Make = Callable[..., FakeNgrok]


@pytest.fixture(autouse=True)
def ngrok_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's config under tmp_path (pyngrok writes one), no token or agent path
    from the machine running the tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NGROK_AUTHTOKEN", "tok_valid")
    for name in ("HOOKCLI_NGROK_PATH", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(name, raising=False)


def tunneled(
    store: Path, agent: FakeNgrok, monkeypatch: pytest.MonkeyPatch, *extra: str, **kw: bool
) -> Listener:
    monkeypatch.setenv("HOOKCLI_NGROK_PATH", str(agent.path))
    return Listener(store, "--tunnel", *extra, **kw)


def edge(agent: FakeNgrok) -> str:
    return str(agent.fact("created")["edge"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_public_url_after_listening_and_all_closed_on_stop(
    store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch, sig: int
) -> None:
    agent = fake_ngrok()
    lst = tunneled(store, agent, monkeypatch)
    try:
        ev = lst.wait_event("tunnel")
        first, second = (json.loads(line) for line in lst.lines[:2])
        assert first["event"] == "listening" and second == ev
        assert ev == {"event": "tunnel", "public_url": agent.fact("created")["public_url"]}
        assert agent.fact("post")["post"]["addr"] == lst.url
        assert send(edge(agent), target="/hooks/a", body=b"{}")[0] == 200
        assert lst.wait_event("captured")["path"] == "/hooks/a"
    finally:
        assert lst.stop(sig) == 0, lst.err
    assert agent.fact("deleted")["deleted"] == agent.fact("post")["post"]["name"]
    assert agent.agent_gone()
    assert lst.err == []


def test_human_lines(store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = fake_ngrok()
    lst = tunneled(store, agent, monkeypatch, json_lines=False)
    try:
        public_url = agent.fact("created")["public_url"]
        deadline = time.time() + 10
        while len(lst.lines) < 2 and time.time() < deadline:
            time.sleep(0.05)
        assert lst.lines[0].startswith(f"Listening on {lst.url}")
        assert lst.lines[2] == f"Public URL: {public_url}  → {lst.url}"
    finally:
        assert lst.stop() == 0
    assert agent.agent_gone()


def test_captures_through_the_tunnel_keep_their_headers_and_verify(
    store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The headers ngrok adds are recorded as received, and they are what lets a
    URL-signing provider (Twilio) verify: the signature covers the public URL."""
    secret = "twilio-auth-token-123"
    agent = fake_ngrok()
    lst = tunneled(store, agent, monkeypatch, "--secret", f"twilio={secret}")
    try:
        public_url = lst.wait_event("tunnel")["public_url"]
        body = b"From=%2B15550001111&Body=hello"
        signed = registry.get("twilio").sign(
            body, secret, int(time.time()), url=f"{public_url}/sms?x=1"
        )
        headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", "203.0.113.7"),  # what a proxy before ngrok may add
            *signed,
        ]
        assert send(edge(agent), target="/sms?x=1", body=body, headers=headers)[0] == 200
        ev = lst.wait_event("captured")
        assert ev["provider"] == "twilio" and ev["signature"] == "valid"
    finally:
        assert lst.stop() == 0
    host = urlsplit(public_url).hostname
    assert run_json(store, "show", "last")["headers"] == [
        ["Host", host],
        *[list(h) for h in headers],
        ["Content-Length", str(len(body))],
        ["X-Forwarded-For", "127.0.0.1"],
        ["X-Forwarded-Host", host],
        ["X-Forwarded-Proto", "https"],
    ]
    assert run(store, "verify", "last", "--secret", secret).returncode == 0


def test_domain_and_region(store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = fake_ngrok()
    lst = tunneled(
        store,
        agent,
        monkeypatch,
        "--ngrok-domain",
        "https://My-Hooks.ngrok-free.app/",
        "--ngrok-region",
        "eu",
        "--ngrok-authtoken",
        "tok_cli",
    )
    try:
        assert lst.wait_event("tunnel")["public_url"] == "https://my-hooks.ngrok-free.app"
    finally:
        assert lst.stop() == 0
    argv = agent.fact("argv")["argv"]
    assert argv[argv.index("--region") + 1] == "eu"
    assert argv[argv.index("--authtoken") + 1] == "tok_cli"


def test_tunnel_with_forward_to(
    store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """Public side -> tunnel -> listen (recorded) -> the app, headers as they came."""
    agent = fake_ngrok()
    lst = tunneled(store, agent, monkeypatch, "--forward-to", receiver.url)
    try:
        public_url = lst.wait_event("tunnel")["public_url"]
        assert send(edge(agent), target="/hooks/b?x=1", body=b'{"a": 1}')[0] == 200
        captured = lst.wait_event("captured")
        fwd = lst.wait_event("forwarded")
        assert (fwd["id"], fwd["status"]) == (captured["id"], 200)
    finally:
        assert lst.stop() == 0
    seen = receiver.wait(1)[0]
    host = urlsplit(public_url).hostname
    assert (seen.path_qs, seen.body) == ("/hooks/b?x=1", b'{"a": 1}')
    assert seen.header("X-Forwarded-Host") == host
    assert seen.header("X-Forwarded-Proto") == "https"
    assert seen.header("X-Forwarded-For") == "127.0.0.1"
    assert agent.fact("deleted") and agent.agent_gone()


def test_ctrl_c_while_the_agent_starts(
    store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent hangs (its API never answers): Ctrl-C still stops everything at once."""
    agent = fake_ngrok("hang")
    env = cli_env(store, HOOKCLI_NGROK_PATH=str(agent.path))
    proc = subprocess.Popen(
        [*HOOKCLI, "listen", "--port", "0", "--tunnel"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.time() + 10
    while not agent.facts("pid") and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - started < 2
    assert (proc.returncode, out, err) == (0, b"", b"")
    assert agent.agent_gone()


# -- failures: one line, exit 1, nothing left running ---------------------------------


def listen_fails(store: Path, *args: str, **env: str) -> tuple[str, float]:
    port = free_port()
    started = time.monotonic()
    r = run(store, "listen", "--port", str(port), "--tunnel", *args, timeout=30, **env)
    took = time.monotonic() - started
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == b"", "no Listening line: the server was never announced"
    assert refused(port), "the catch server is closed"
    err = r.stderr.decode()
    return err, took


def test_no_agent_at_hookcli_ngrok_path(store: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "ngrok"
    err, _ = listen_fails(store, HOOKCLI_NGROK_PATH=str(missing))
    assert err == (
        f"error: no ngrok agent at {missing} (install ngrok from https://ngrok.com/download "
        "and set HOOKCLI_NGROK_PATH to it)\n"
    )


def test_missing_authtoken(store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = fake_ngrok()
    monkeypatch.delenv("NGROK_AUTHTOKEN")
    monkeypatch.setenv("HOOKCLI_NGROK_PATH", str(agent.path))
    err, _ = listen_fails(store)
    assert err.startswith(
        "error: the ngrok agent refused to start: authentication failed: Usage of ngrok "
        "requires a verified account and authtoken. (ERR_NGROK_4018) (pass --ngrok-authtoken"
    )
    assert err.count("\n") == 1
    assert agent.agent_gone()


def test_invalid_authtoken(store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = fake_ngrok()
    monkeypatch.setenv("HOOKCLI_NGROK_PATH", str(agent.path))
    err, _ = listen_fails(store, "--ngrok-authtoken", "invalid-123")
    assert "does not look like a proper ngrok tunnel authtoken. (ERR_NGROK_105)" in err
    assert err.count("\n") == 1
    assert agent.agent_gone()


def test_agent_exits_at_once(
    store: Path, fake_ngrok: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = fake_ngrok("exit")
    monkeypatch.setenv("HOOKCLI_NGROK_PATH", str(agent.path))
    err, _ = listen_fails(store)
    assert err == (
        f"error: the ngrok agent at {agent.path} exited as soon as it started "
        f"(check that it is ngrok 3: {agent.path} version)\n"
    )


class Proxy:
    """An https_proxy on loopback standing in for the way to pyngrok's download CDN.
    "refuse": nothing listens; "serve": answers the
    CONNECT and plays bin.ngrok.com over TLS (a trustme certificate, trusted by the
    child through SSL_CERT_FILE), serving ARCHIVE; "trickle": the same, but sends the
    archive one byte every 2 s, so that only hookcli's own time limit ends it."""

    def __init__(self, mode: str, tmp_path: Path, archive: bytes = b""):
        self.env: dict[str, str] = {"no_proxy": "", "NO_PROXY": ""}
        self.sock: socket.socket | None = None
        if mode == "refuse":
            url = f"http://127.0.0.1:{free_port()}"
        else:
            self.sock = socket.create_server(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
            import trustme

            ca = trustme.CA()
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("bin.ngrok.com").configure_cert(self.tls)
            ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
            self.env["SSL_CERT_FILE"] = str(tmp_path / "ca.pem")
            self.archive, self.trickle = archive, mode == "trickle"
            threading.Thread(target=self.serve, daemon=True).start()
        self.env.update(https_proxy=url, HTTPS_PROXY=url)

    def serve(self) -> None:
        assert self.sock is not None
        with contextlib.suppress(OSError):
            conn, _ = self.sock.accept()
            while not conn.recv(65536).endswith(b"\r\n\r\n"):
                pass
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            tls = self.tls.wrap_socket(conn, server_side=True)
            while not tls.recv(65536).endswith(b"\r\n\r\n"):
                pass
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(self.archive) or 10**6}\r\n\r\n"
            tls.sendall(head.encode())
            if not self.trickle:
                tls.sendall(self.archive)
                tls.close()
                return
            while True:
                tls.sendall(b"x")
                time.sleep(2)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Callable[..., Proxy]]:
    made: list[Proxy] = []

    def make(mode: str, archive: bytes = b"") -> Proxy:
        made.append(Proxy(mode, tmp_path, archive))
        return made[-1]

    yield make
    for p in made:
        p.close()


def test_managed_agent_download_fails(
    store: Path, tmp_path: Path, proxy: Callable[..., Proxy]
) -> None:
    managed = tmp_path / "config" / "ngrok" / "ngrok"
    err, took = listen_fails(store, **proxy("refuse").env)
    assert took < 20
    note, error = err.splitlines()
    assert note == f"Downloading the ngrok agent to {managed} (once) ..."
    assert error.startswith(
        f"error: no ngrok agent at {managed}, and downloading it from ngrok.com failed: "
    )
    assert error.endswith(
        "(install ngrok from https://ngrok.com/download and set HOOKCLI_NGROK_PATH to it)"
    )
    assert list(managed.parent.iterdir()) == [], "no half-downloaded agent is left"


def test_managed_agent_download_gives_up_after_its_time_limit(
    store: Path, tmp_path: Path, proxy: Callable[..., Proxy]
) -> None:
    """The limit is 20 s (tests.unit.test_tunnel checks the default); a test sets 2 s
    through HOOKCLI_NGROK_DOWNLOAD_TIMEOUT, the same code path."""
    managed = tmp_path / "config" / "ngrok" / "ngrok"
    err, took = listen_fails(store, HOOKCLI_NGROK_DOWNLOAD_TIMEOUT="2", **proxy("trickle").env)
    assert 2 <= took < 12
    assert err.splitlines()[-1] == (
        f"error: no ngrok agent at {managed}, and downloading it took over 2 s "
        "(install ngrok from https://ngrok.com/download and set HOOKCLI_NGROK_PATH to it)"
    )
    assert list(managed.parent.iterdir()) == [], "no half-downloaded agent is left"


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf"])
def test_a_bad_download_time_limit_is_a_usage_error(
    store: Path, tmp_path: Path, value: str
) -> None:
    managed = tmp_path / "config" / "ngrok" / "ngrok"
    port = free_port()
    r = run(store, "listen", "--port", str(port), "--tunnel", HOOKCLI_NGROK_DOWNLOAD_TIMEOUT=value)
    assert r.returncode == 2, r.stderr
    assert r.stdout == b""
    assert r.stderr.decode().splitlines() == [
        f"error: HOOKCLI_NGROK_DOWNLOAD_TIMEOUT={value!r} is not a number of seconds "
        "(e.g. 60, or unset it for 20)"
    ]
    assert refused(port), "the catch server is closed"
    assert not managed.exists(), "nothing downloaded"


def test_managed_agent_is_downloaded_once_then_used(
    store: Path,
    tmp_path: Path,
    fake_ngrok: Make,
    proxy: Callable[..., Proxy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = fake_ngrok()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(agent.path, arcname="ngrok")
    for name, value in proxy("serve", archive.getvalue()).env.items():
        monkeypatch.setenv(name, value)
    lst = Listener(store, "--tunnel")
    try:
        assert lst.wait_event("tunnel")["public_url"].startswith("https://")
        assert lst.err == [
            f"Downloading the ngrok agent to {tmp_path / 'config' / 'ngrok' / 'ngrok'} (once) ..."
        ]
    finally:
        assert lst.stop() == 0
    managed = tmp_path / "config" / "ngrok"
    assert sorted(p.name for p in managed.iterdir()) == ["ngrok", "ngrok.yml"]
    assert agent.agent_gone()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ngrok-domain", "x.ngrok.app"], "--ngrok-domain needs --tunnel"),
        (["--ngrok-region", "eu"], "--ngrok-region needs --tunnel"),
        (["--tunnel", "--ngrok-domain", "a b"], "--ngrok-domain: expected a domain"),
    ],
)
def test_ngrok_options_usage_errors(store: Path, args: list[str], message: str) -> None:
    r = run(store, "listen", "--port", "0", *args)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().startswith(f"error: {message}")


def test_listen_help_names_the_tunnel_options(store: Path) -> None:
    r = run(store, "listen", "--help")
    out = r.stdout.decode()
    for text in (
        "--tunnel",
        "--ngrok-authtoken",
        "NGROK_AUTHTOKEN",
        "--ngrok-domain",
        "--ngrok-region",
        "HOOKCLI_NGROK_PATH",
    ):
        assert text in out, text


def test_listen_without_tunnel_never_loads_pyngrok(store: Path, tmp_path: Path) -> None:
    importtime = tmp_path / "importtime.txt"
    with importtime.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", *HOOKCLI[1:], "listen", "--port", "0", "--json"],
            stdout=subprocess.PIPE,
            stderr=err,
            env=cli_env(store),
        )
        try:
            assert proc.stdout is not None
            events = (json.loads(line)["event"] for line in proc.stdout)
            assert "listening" in events  # up and serving: every import is done
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
    imported = {line.split("|")[-1].strip() for line in importtime.read_text().splitlines()}
    assert "aiohttp" in imported, "importtime output was read"
    assert "pyngrok" not in imported and "hookcli.tunnel" not in imported
