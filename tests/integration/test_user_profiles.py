"""A provider described in the user's config file, with no code: detected and shown valid
live by `listen`, filtered by `ls --provider`, verified, fabricated (a generic event and
the user's own template), listed by `providers --json`; and bad profiles refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from tests.conftest import Listener, run, run_json, send
from tests.receiver import Receiver

SECRET = "acme-profile-secret"
CONFIG = """
[secrets]
acme-pay = "{secret}"

[templates]
dirs = ["templates"]

[providers.acme-pay]
docs = "https://acme.example/docs/webhooks#signatures"
signature_header = "X-Acme-Signature"
prefix = "v1="
timestamp_header = "X-Acme-Timestamp"
id_header = "X-Acme-Delivery"
signed = "{{id}}.{{timestamp}}.{{body}}"
tolerance = 120
event_field = "data.event"
"""
TEMPLATE = {
    "path": "/hooks/acme",
    "headers": {"User-Agent": "Acme-Hooks/2"},
    "body": {"id": "evt_{{random_id}}", "data": {"event": "invoice.paid", "amount": 1200}},
}


def acme_headers(body: bytes, ts: int, delivery: str = "dlv_1") -> list[tuple[str, str]]:
    """Signed as Acme's (imaginary) documentation says, independently of hookcli."""
    content = f"{delivery}.{ts}.".encode() + body
    sig = "v1=" + hmac.new(SECRET.encode(), content, hashlib.sha256).hexdigest()
    return [
        ("Content-Type", "application/json"),
        ("X-Acme-Delivery", delivery),
        ("X-Acme-Timestamp", str(ts)),
        ("X-Acme-Signature", sig),
    ]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(secret=SECRET))
    (tmp_path / "templates" / "acme-pay").mkdir(parents=True)
    (tmp_path / "templates" / "acme-pay" / "invoice.paid.json").write_text(json.dumps(TEMPLATE))
    monkeypatch.setenv("HOOKCLI_CONFIG", str(path))  # Listener and run() copy os.environ
    monkeypatch.delenv("HOOKCLI_SECRET_ACME_PAY", raising=False)
    return path


def test_user_profile_end_to_end(store: Path, config: Path) -> None:
    lst = Listener(store)
    try:
        body = b'{"id": "evt_1", "data": {"event": "customer.created"}}'
        status, _, _ = send(
            lst.url, "POST", "/hooks/acme", body, acme_headers(body, int(time.time()))
        )
        assert status == 200
        live = lst.wait_event("captured")
        forged = [*acme_headers(body, int(time.time()))[:-1], ("X-Acme-Signature", "v1=00")]
        send(lst.url, "POST", "/hooks/acme", body, forged)
        lst.wait_event("captured")
        send(lst.url, "POST", "/other", b"{}", [("Content-Type", "application/json")])
        lst.wait_event("captured")
        for event in ("invoice.paid", "order.shipped"):  # the user's template, then generic
            r = run(store, "fabricate", "acme-pay", event, "--to", lst.url + "/hooks/acme")
            assert r.returncode == 0, r.stderr.decode()
        fabricated = [lst.wait_event("captured") for _ in range(2)]
    finally:
        lst.stop()
    assert live["provider"] == "acme-pay" and live["signature"] == "valid"
    assert live["event_type"] == "customer.created"
    assert [e["event_type"] for e in fabricated] == ["invoice.paid", "order.shipped"]
    assert all(e["signature"] == "valid" for e in fabricated)

    rows = run_json(store, "ls", "--provider", "acme-pay", "--limit", "50")
    listened = [r for r in rows if r["source"] == "listen"]
    assert len(listened) == 4 and {r["provider"] for r in rows} == {"acme-pay"}
    by_state = {r["id"]: r["signature"] for r in listened}
    assert sorted(by_state.values()) == ["invalid", "valid", "valid", "valid"]
    for cid, state in by_state.items():
        r = run(store, "verify", str(cid), "--json")
        doc = json.loads(r.stdout)
        assert doc["provider"] == "acme-pay" and doc["valid"] is (state == "valid"), doc
    old = run(store, "verify", str(live["id"]), "--now", str(int(time.time()) + 200))
    assert old.returncode == 1 and b"tolerance is 120 s" in old.stdout
    assert run(store, "ls", "--provider", "ACME-PAY").returncode == 0

    r = run(store, "fabricate", "acme-pay", "--list")
    assert r.stdout.decode().split() == ["generic", "invoice.paid"]
    r = run(store, "fabricate", "acme-pay", "--print")
    assert b"X-Acme-Delivery: " in r.stdout and b'"event":"generic"' in r.stdout

    (acme,) = [p for p in run_json(store, "providers") if p["name"] == "acme-pay"]
    assert acme["source"] == str(config) and acme["docs"].startswith("https://acme.example/")
    assert acme["headers"] == ["X-Acme-Signature", "X-Acme-Timestamp"]
    assert acme["events"] == ["generic", "invoice.paid"]


def test_secret_from_environment_uses_underscores(store: Path, config: Path) -> None:
    r = run(store, "fabricate", "acme-pay", "--print", "--secret", "", HOOKCLI_SECRET_ACME_PAY="k")
    assert r.returncode == 0, r.stderr.decode()


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ('signature_header = "X-S"\nalgo = "sha256"', "algo", "unknown key"),
        ('algorithm = "sha256"', "signature_header", "is required"),
        ('signature_header = "X-S"\nalgorithm = "sha3"', "algorithm", "md5, sha1, sha256, sha384"),
        ('signature_header = "X-S"\nencoding = "base32"', "encoding", "hex, base64"),
        ('signature_header = "X-S"\nsigned = "{body}{nonce}"', "signed", "{nonce}"),
        ('signature_header = "X-S"\nsigned = "{timestamp}.{body}"', "signed", "timestamp_header"),
        ('signature_header = "X-S"\ntolerance = "5m"', "tolerance", "whole number"),
        ('signature_header = "X S"', "signature_header", "not a header name"),
    ],
)
def test_bad_profile_names_file_provider_and_key(
    store: Path, tmp_path: Path, table: str, key: str, words: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[providers.broken]\n{table}\n")
    commands = (["providers"], ["fabricate", "broken", "--print", "--secret", "x"])
    for args in (*commands, ["ls", "--provider", "broken"], ["listen", "--port", "0"]):
        r = run(store, *args, HOOKCLI_CONFIG=str(path))
        err = r.stderr.decode()
        assert r.returncode == 1, (args, err)
        assert str(path) in err and "[providers.broken]" in err and key in err and words in err
        assert "Traceback" not in err and err.count("\n") <= 2


def test_a_profile_may_not_take_a_built_in_name(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "clash.toml"
    path.write_text('[providers.github]\nsignature_header = "X-Mine"\n')
    r = run(store, "providers", HOOKCLI_CONFIG=str(path))
    assert r.returncode == 1 and b"github is a built-in provider" in r.stderr


GROWN = """
[providers.acme-pairs]
signature_header = "Acme-Signature"
pair_separator = ", "
timestamp_key = "t"
signature_key = "v1"
timestamp_format = "iso8601"
key = "base64"
signed = "{method} {path}\\n{timestamp}.{body}"
event_field = "type"

[providers.acme-basic]
mode = "basic"
event_field = "type"
"""


@pytest.mark.parametrize(
    ("provider", "secret", "wrong"),
    [("acme-pairs", "YWNtZS1rZXk=", "b3RoZXIta2V5"), ("acme-basic", "hooks:pa55", "hooks:nope")],
)
def test_grown_profile_shapes_fabricate_verify_and_resign(
    store: Path, tmp_path: Path, receiver: Receiver, provider: str, secret: str, wrong: str
) -> None:
    """A k=v pairs profile with an ISO time, a base64 key and the method and path signed,
    and an HTTP Basic profile: sent, verified, refused with a wrong secret, re-signed."""
    path = tmp_path / "grown.toml"
    path.write_text(GROWN)
    env = {"HOOKCLI_CONFIG": str(path)}
    target = receiver.url + f"/hooks/{provider}?x=1"
    r = run(store, "fabricate", provider, "order.paid", "--secret", secret, "--to", target, **env)
    assert r.returncode == 0, r.stderr.decode()
    first = receiver.wait(1)[-1]
    sig = first.header("Authorization" if provider == "acme-basic" else "Acme-Signature") or ""
    assert sig.startswith("Basic " if provider == "acme-basic" else "t=20")
    if provider == "acme-pairs":  # what the profile says, computed here by hand
        t, v1 = (item.split("=", 1)[1] for item in sig.split(", "))
        content = f"POST /hooks/{provider}?x=1\n{t}.".encode() + first.body
        assert v1 == hmac.new(b"acme-key", content, hashlib.sha256).hexdigest()
    assert run(store, "verify", "1", "--secret", secret, **env).returncode == 0
    bad = run(store, "verify", "1", "--secret", wrong, **env)
    assert bad.returncode == 1 and b"invalid" in bad.stdout
    r = run(store, "replay", "1", "--resign", "--secret", secret, **env)
    assert r.returncode == 0, r.stderr.decode()
    assert receiver.wait(2)[-1].body == first.body
