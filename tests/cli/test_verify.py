"""`hookcli verify` says valid, or exactly why not; `listen --secret` and `ls` show the state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest

from hookcli.model.capture import Capture
from hookcli.signing.classify import classify
from hookcli.store import Store
from tests.conftest import Listener, run, run_json, send

STRIPE = "whsec_verify_0123456789"
STANDARD = "whsec_" + base64.b64encode(b"verify-standard-key-0123456789ab").decode()


def stripe_header(body: bytes, t: int, secret: str = STRIPE) -> str:
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}"


def add(store: Path, headers: list[tuple[str, str]], body: bytes) -> int:
    cap = Capture("POST", "/v", "", headers, body)
    classify(cap)  # as listen does: provider and event type, no secret here
    st = Store(store)
    try:
        return st.add([cap])[0]
    finally:
        st.close()


def verify(store: Path, *args: str, **env: str) -> tuple[int, str]:
    r = run(store, "verify", "last", *args, **env)
    assert b"Traceback" not in r.stderr
    return r.returncode, (r.stdout + r.stderr).decode()


BODY = b'{"id": "evt_1", "type": "invoice.paid"}'


def test_valid(store: Path) -> None:
    add(store, [("Stripe-Signature", stripe_header(BODY, int(time.time())))], BODY)
    code, out = verify(store, "--secret", STRIPE)
    assert code == 0 and out.startswith("valid: #1 stripe")


def test_wrong_secret_or_changed_body(store: Path) -> None:
    now = int(time.time())
    add(store, [("Stripe-Signature", stripe_header(BODY, now))], BODY)
    code, out = verify(store, "--secret", "whsec_other")
    assert (
        code == 1
        and out.startswith("invalid:")
        and "matches the body" in out
        and "wrong secret" in out
    )
    add(store, [("Stripe-Signature", stripe_header(BODY, now))], BODY + b" ")
    assert verify(store, "--secret", STRIPE)[0] == 1


def test_reserialized_body_gets_a_hint(store: Path) -> None:
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    compact = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    add(store, [("Stripe-Signature", stripe_header(compact, int(time.time())))], pretty)
    code, out = verify(store, "--secret", STRIPE)
    assert code == 1 and "re-serialized" in out


def test_timestamp_outside_tolerance_says_by_how_much(store: Path) -> None:
    now = int(time.time())
    add(store, [("Stripe-Signature", stripe_header(BODY, now - 1000))], BODY)
    code, out = verify(store, "--secret", STRIPE, "--now", str(now))
    assert code == 1 and "1000 s" in out and "300 s" in out
    assert verify(store, "--secret", STRIPE, "--tolerance", "2000", "--now", str(now))[0] == 0
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 990))
    assert verify(store, "--secret", STRIPE, "--now", iso)[0] == 0


def test_standard_rejects_future_timestamps(store: Path) -> None:
    from standardwebhooks import Webhook

    t = int(time.time()) + 900
    from datetime import UTC, datetime

    sig = Webhook(STANDARD).sign("msg_1", datetime.fromtimestamp(t, UTC), BODY.decode())
    headers = [("webhook-id", "msg_1"), ("webhook-timestamp", str(t)), ("webhook-signature", sig)]
    add(store, headers, BODY)
    code, out = verify(store, "--secret", STANDARD)
    assert code == 1 and "in the future" in out and "300 s" in out


def test_missing_and_malformed_headers(store: Path) -> None:
    add(store, [("Content-Type", "application/json")], BODY)
    code, out = verify(store, "--secret", STRIPE, "--provider", "stripe")
    assert code == 1 and "missing" in out.lower() and "Stripe-Signature" in out
    add(store, [("Stripe-Signature", "v1=abc")], BODY)
    code, out = verify(store, "--secret", STRIPE)
    assert code == 1 and "malformed" in out.lower() and "t=" in out


def test_unknown_provider(store: Path) -> None:
    add(store, [("Content-Type", "application/json")], BODY)
    code, out = verify(store, "--secret", "x")
    assert code == 1 and "--provider" in out
    code, out = verify(store, "--secret", "x", "--provider", "paypal")
    assert code == 2 and "stripe" in out


def test_secret_from_env_json_output_and_missing_secret(store: Path) -> None:
    add(store, [("Stripe-Signature", stripe_header(BODY, int(time.time())))], BODY)
    r = run(store, "verify", "last", "--json", HOOKCLI_SECRET_STRIPE=STRIPE)
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["valid"] is True and doc["provider"] == "stripe"
    r = run(store, "verify", "last", "--json", "--secret", "whsec_x")
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["valid"] is False and doc["reason"] == "no_match"
    code, out = verify(store, HOOKCLI_CONFIG=str(store / "none.toml"))
    assert code == 2 and "--secret" in out and "HOOKCLI_SECRET_STRIPE" in out
    assert verify(store, "--secret", STRIPE, "--now", "yesterday")[0] == 2
    assert run(store, "verify", "42", "--secret", STRIPE).returncode == 1


@pytest.mark.long
def test_listen_secret_shows_state_live_and_in_ls(store: Path) -> None:
    lst = Listener(store, "--secret", f"stripe={STRIPE}")
    try:
        now = int(time.time())
        send(lst.url, "POST", "/ok", BODY, [("Stripe-Signature", stripe_header(BODY, now))])
        send(lst.url, "POST", "/bad", BODY, [("Stripe-Signature", stripe_header(BODY, now, "x"))])
        send(lst.url, "POST", "/plain", b"{}")
        events = [lst.wait_event("captured") for _ in range(3)]
    finally:
        lst.stop()
    assert [e["signature"] for e in events] == ["valid", "invalid", None]
    assert events[0]["provider"] == "stripe" and events[0]["event_type"] == "invoice.paid"
    table = run(store, "ls").stdout.decode()
    assert "valid" in table and "invalid" in table
    for f in store.iterdir():
        assert STRIPE not in f.read_text(errors="replace"), f"secret leaked into {f}"
    assert run(store, "listen", "--secret", "stripe", timeout=20).returncode == 2
    assert run(store, "listen", "--secret", "paypal=x", timeout=20).returncode == 2
    bad = run(store, "listen", "--secret", "standard=not base64!", timeout=20)
    assert bad.returncode == 2 and b"whsec_" in bad.stderr and b"Traceback" not in bad.stderr


def test_live_line_shows_signature(store: Path) -> None:
    lst = Listener(store, "--secret", f"stripe={STRIPE}", json_lines=False)
    try:
        send(
            lst.url,
            "POST",
            "/ok",
            BODY,
            [("Stripe-Signature", stripe_header(BODY, int(time.time())))],
        )
        deadline = time.time() + 5
        while time.time() < deadline and not any("#1" in ln for ln in lst.lines):
            time.sleep(0.05)
    finally:
        lst.stop()
    line = next(ln for ln in lst.lines if "#1" in ln)
    assert "stripe invoice.paid" in line and "signature valid" in line


def test_ls_shows_signature_state_when_a_secret_is_configured(store: Path, tmp_path: Path) -> None:
    now = int(time.time())
    add(store, [("Stripe-Signature", stripe_header(BODY, now))], BODY)
    add(store, [("Stripe-Signature", stripe_header(BODY, now, "whsec_other"))], BODY)
    add(store, [("Content-Type", "text/plain")], b"no provider")
    assert [r["signature"] for r in run_json(store, "ls")] == [None, None, None]
    rows = json.loads(run(store, "ls", "--json", HOOKCLI_SECRET_STRIPE=STRIPE).stdout)
    assert [r["signature"] for r in rows] == [None, "invalid", "valid"]
    config = tmp_path / "config.toml"
    config.write_text(f'[secrets]\nstripe = "{STRIPE}"\n')
    table = run(store, "ls", HOOKCLI_CONFIG=str(config)).stdout.decode()
    assert "SIGNATURE" in table and "invalid" in table
    config.write_text("[secrets\n")
    r = run(store, "ls", HOOKCLI_CONFIG=str(config))
    assert r.returncode == 1 and str(config) in r.stderr.decode()


def test_a_fabricated_capture_is_verified_as_the_provider_it_was_made_for(
    store: Path, receiver: Any
) -> None:
    """`fabricate hmac` then `verify`: the headers name no provider, the record does."""
    made = run(store, "fabricate", "hmac", "--secret", "s3cret", "--to", receiver.url + "/x")
    assert made.returncode == 0, made.stderr
    assert verify(store, "--secret", "s3cret") == (0, "valid: #1 hmac: signature valid\n")
    code, out = verify(store, "--secret", "wrong")
    assert code == 1 and out.startswith("invalid: #1 hmac: ")
    listed = run(store, "ls", "--json", HOOKCLI_SECRET_HMAC="s3cret")
    (row,) = json.loads(listed.stdout)
    assert row["provider"] == "hmac" and row["signature"] == "valid"
