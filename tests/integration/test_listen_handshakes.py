"""`hookcli listen` answers each provider's endpoint-verification handshake as the
provider documents it (docs/listen.md#handshakes cites each page).

The expected answers are computed here from the providers' documentation (their HMACs,
their example values), never from hookcli's code. One real listener per module state:
one knows every secret, one knows none, one has --no-handshakes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.conftest import Listener, raw_exchange, run, run_json, send
from tests.receiver import Receiver

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's docs example signing secret
ZOOM_SECRET = "zoom-secret-token"
TWITCH_SECRET = "twitch-eventsub-secret"
XERO_KEY = "xero-webhook-key"
TWITTER_SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"  # X's example
VERIFY_TOKEN = "meatyhamhock"  # Meta's docs example
DISCORD_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
DISCORD_PUBLIC = DISCORD_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
JSON_TYPE = [("Content-Type", "application/json")]


def hmac256(key: str, msg: bytes) -> bytes:
    return hmac.new(key.encode(), msg, hashlib.sha256).digest()


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


@pytest.fixture(scope="module")
def knowing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Listener]:
    """A listener that knows every provider's secret and Meta's verify token."""
    store = tmp_path_factory.mktemp("knowing") / "store"
    secrets = {
        "slack": SLACK_SECRET,
        "zoom": ZOOM_SECRET,
        "twitch": TWITCH_SECRET,
        "xero": XERO_KEY,
        "twitter": TWITTER_SECRET,
        "discord": DISCORD_PUBLIC,
    }
    args = [x for name, value in secrets.items() for x in ("--secret", f"{name}={value}")]
    lst = Listener(store, *args, "--verify-token", VERIFY_TOKEN)
    yield lst
    lst.stop()


@pytest.fixture(scope="module")
def unknowing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Listener]:
    """A listener with no secret at all, printing its live lines."""
    lst = Listener(tmp_path_factory.mktemp("unknowing") / "store", json_lines=False)
    yield lst
    lst.stop()


def last_record(lst: Listener) -> dict[str, object]:
    rec: dict[str, object] = run_json(lst.store, "show", "last")
    return rec


def label(rec: dict[str, object]) -> str:
    """The handshake as `ls` names it: under its provider once hookcli knows the provider's
    scheme (X, Twitch, Asana and Xero do), else in the event type alone."""
    return " ".join(str(x) for x in (rec["provider"], rec["event_type"]) if x)


# -- each provider's handshake, answered ------------------------------------------------


def slack_request(secret: str) -> tuple[bytes, list[tuple[str, str]]]:
    body = json.dumps(
        {
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    ts = str(int(time.time()))
    sig = "v0=" + hmac256(secret, f"v0:{ts}:".encode() + body).hex()
    headers = [*JSON_TYPE, ("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", sig)]
    return body, headers


def test_the_requests_here_are_signed_as_the_official_sdks_verify() -> None:
    """The signatures this module makes, checked by Slack's and Discord's own verifiers."""
    from discord_interactions import verify_key
    from slack_sdk.signature import SignatureVerifier

    body, headers = slack_request(SLACK_SECRET)
    ts, sig = header(headers, "X-Slack-Request-Timestamp"), header(headers, "X-Slack-Signature")
    assert SignatureVerifier(SLACK_SECRET).is_valid(body, ts, sig)
    body, headers = discord_request(DISCORD_KEY)
    sig, ts = header(headers, "X-Signature-Ed25519"), header(headers, "X-Signature-Timestamp")
    assert sig is not None and ts is not None
    assert verify_key(body, sig, ts, DISCORD_PUBLIC)


def test_slack_url_verification_gets_its_challenge_in_plain_text(knowing: Listener) -> None:
    body, headers = slack_request(SLACK_SECRET)
    status, answer, got = send(knowing.url, "POST", "/slack/events", body, headers)
    assert status == 200
    assert answer == b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    assert (header(got, "Content-Type") or "").startswith("text/plain")
    rec = last_record(knowing)
    assert rec["provider"] == "slack" and rec["event_type"] == "url_verification"
    assert rec["signature"] == "valid"
    assert rec["response"] == {"status": 200, "handshake": "answered"}


def test_slack_with_a_bad_signature_is_refused(knowing: Listener) -> None:
    body, headers = slack_request("not-the-signing-secret")
    status, answer, _ = send(knowing.url, "POST", "/slack/events", body, headers)
    assert (status, answer) == (401, b"")
    rec = last_record(knowing)
    assert rec["response"] == {"status": 401, "handshake": "refused", "note": "bad signature"}


def zoom_request(
    secret: str, plain: str = "qgg8vlvZRS6UYooatFL8Aw"
) -> tuple[bytes, list[tuple[str, str]]]:
    body = json.dumps(
        {
            "payload": {"plainToken": plain},
            "event_ts": 1654503849680,
            "event": "endpoint.url_validation",
        }
    ).encode()
    ts = str(int(time.time()))
    sig = "v0=" + hmac256(secret, f"v0:{ts}:".encode() + body).hex()
    return body, [*JSON_TYPE, ("x-zm-request-timestamp", ts), ("x-zm-signature", sig)]


def test_zoom_url_validation_gets_the_hmac_of_its_plain_token(knowing: Listener) -> None:
    body, headers = zoom_request(ZOOM_SECRET)
    status, answer, got = send(knowing.url, "POST", "/zoom", body, headers)
    assert status == 200 and header(got, "Content-Type") == "application/json"
    expected = hmac256(ZOOM_SECRET, b"qgg8vlvZRS6UYooatFL8Aw").hex()
    assert json.loads(answer) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": expected,
    }
    rec = last_record(knowing)
    assert (rec["provider"], rec["event_type"]) == ("zoom", "endpoint.url_validation")


def test_zoom_with_a_bad_signature_is_refused(knowing: Listener) -> None:
    body, headers = zoom_request("another-token")
    status, answer, _ = send(knowing.url, "POST", "/zoom", body, headers)
    assert (status, answer) == (401, b"")


def test_meta_verification_gets_the_challenge_when_the_token_matches(knowing: Listener) -> None:
    target = f"/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"
    status, answer, got = send(knowing.url, "GET", target)
    assert (status, answer) == (200, b"1158201444")
    assert (header(got, "Content-Type") or "").startswith("text/plain")
    assert header(got, "X-Content-Type-Options") == "nosniff"  # an echo is never a page
    rec = last_record(knowing)
    assert (rec["provider"], rec["event_type"]) == ("meta", "verification")


def test_meta_verification_with_another_token_gets_403(knowing: Listener) -> None:
    target = "/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess"
    status, answer, _ = send(knowing.url, "GET", target)
    assert (status, answer) == (403, b"")
    assert last_record(knowing)["response"] == {
        "status": 403,
        "handshake": "refused",
        "note": "hub.verify_token is not --verify-token",
    }


def test_x_crc_gets_the_base64_hmac_of_its_token(knowing: Listener) -> None:
    token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
    status, answer, got = send(knowing.url, "GET", f"/x?crc_token={token}&nonce=MTUw")
    assert status == 200 and header(got, "Content-Type") == "application/json"
    digest = base64.b64encode(hmac256(TWITTER_SECRET, token.encode())).decode()
    assert json.loads(answer) == {"response_token": "sha256=" + digest}
    assert label(last_record(knowing)) == "twitter crc"


def test_dropbox_challenge_is_echoed_as_plain_text_not_sniffed(knowing: Listener) -> None:
    status, answer, got = send(knowing.url, "GET", "/dropbox?challenge=RStjXNj3yZLYGeQq")
    assert (status, answer) == (200, b"RStjXNj3yZLYGeQq")
    assert header(got, "Content-Type") == "text/plain"
    assert header(got, "X-Content-Type-Options") == "nosniff"


def twitch_request(secret: str) -> tuple[bytes, list[tuple[str, str]]]:
    body = json.dumps(
        {
            "challenge": "pogchamp-kappa-360noscope-vohiyo",
            "subscription": {
                "id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4",
                "status": "webhook_callback_verification_pending",
                "type": "channel.follow",
                "version": "1",
                "cost": 1,
                "condition": {"broadcaster_user_id": "12826"},
                "transport": {"method": "webhook", "callback": "https://example.com/cb"},
                "created_at": "2019-11-16T10:11:12.634234626Z",
            },
        }
    ).encode()
    # Twitch's docs example, sent now: Twitch refuses messages older than 10 minutes
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "626Z"
    msg_id, ts = "e76c6bd4-55c9-4987-8304-da1588d8988b", now
    sig = "sha256=" + hmac256(secret, (msg_id + ts).encode() + body).hex()
    return body, [
        *JSON_TYPE,
        ("Twitch-Eventsub-Message-Id", msg_id),
        ("Twitch-Eventsub-Message-Retry", "0"),
        ("Twitch-Eventsub-Message-Type", "webhook_callback_verification"),
        ("Twitch-Eventsub-Message-Signature", sig),
        ("Twitch-Eventsub-Message-Timestamp", ts),
        ("Twitch-Eventsub-Subscription-Type", "channel.follow"),
        ("Twitch-Eventsub-Subscription-Version", "1"),
    ]


def test_twitch_callback_verification_gets_the_raw_challenge(knowing: Listener) -> None:
    body, headers = twitch_request(TWITCH_SECRET)
    status, answer, got = send(knowing.url, "POST", "/twitch", body, headers)
    assert (status, answer) == (200, b"pogchamp-kappa-360noscope-vohiyo")
    assert (header(got, "Content-Type") or "").startswith("text/plain")
    assert label(last_record(knowing)) == "twitch webhook_callback_verification"


def test_twitch_with_a_bad_signature_gets_403(knowing: Listener) -> None:
    body, headers = twitch_request("wrong-secret")
    status, answer, _ = send(knowing.url, "POST", "/twitch", body, headers)
    assert (status, answer) == (403, b"")


def test_microsoft_graph_validation_token_comes_back_decoded(knowing: Listener) -> None:
    token = (
        "Validation%3a+Testing+client+application+reachability+for+subscription+"
        "Request-Id%3a+1d3a2e4f-0000-4c4b-8f3a-7d6a1f6e2b9c"
    )
    status, answer, got = send(knowing.url, "POST", f"/graph?validationToken={token}")
    assert status == 200
    assert answer == (
        b"Validation: Testing client application reachability for subscription "
        b"Request-Id: 1d3a2e4f-0000-4c4b-8f3a-7d6a1f6e2b9c"
    )
    assert (header(got, "Content-Type") or "").startswith("text/plain")


def test_asana_hook_secret_is_echoed_in_a_header(knowing: Listener) -> None:
    secret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
    status, _, got = send(
        knowing.url, "POST", "/receive-webhook/7654", b"", [("X-Hook-Secret", secret)]
    )
    assert status == 200 and header(got, "X-Hook-Secret") == secret
    assert label(last_record(knowing)) == "asana handshake"


def test_okta_verification_challenge_comes_back_as_json(knowing: Listener) -> None:
    challenge = "2aC1CQv2aTf4Cqi6WjDj0gU1QBRzWbqzHvYoeyd3"
    got_status, answer, got = send(
        knowing.url, "GET", "/okta", headers=[("x-okta-verification-challenge", challenge)]
    )
    assert got_status == 200 and header(got, "Content-Type") == "application/json"
    assert json.loads(answer) == {"verification": challenge}


def discord_request(key: Ed25519PrivateKey) -> tuple[bytes, list[tuple[str, str]]]:
    body = b'{"application_id":"123","id":"456","token":"tok","type":1,"version":1}'
    ts = str(int(time.time()))
    sig = key.sign(ts.encode() + body).hex()
    return body, [*JSON_TYPE, ("X-Signature-Ed25519", sig), ("X-Signature-Timestamp", ts)]


def test_discord_ping_gets_type_1(knowing: Listener) -> None:
    body, headers = discord_request(DISCORD_KEY)
    status, answer, got = send(knowing.url, "POST", "/interactions", body, headers)
    assert status == 200 and header(got, "Content-Type") == "application/json"
    assert json.loads(answer) == {"type": 1}
    rec = last_record(knowing)
    assert (rec["provider"], rec["event_type"], rec["signature"]) == ("discord", "ping", "valid")


def test_discord_ping_with_a_bad_signature_gets_401(knowing: Listener) -> None:
    body, headers = discord_request(Ed25519PrivateKey.generate())
    status, answer, _ = send(knowing.url, "POST", "/interactions", body, headers)
    assert (status, answer) == (401, b"")


def xero_request(key: str) -> tuple[bytes, list[tuple[str, str]]]:
    body = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'
    sig = base64.b64encode(hmac256(key, body)).decode()
    return body, [*JSON_TYPE, ("x-xero-signature", sig)]


def test_xero_intent_to_receive_gets_200_when_signed_401_when_not(knowing: Listener) -> None:
    for key, expected in ((XERO_KEY, 200), ("not-the-key", 401)):
        body, headers = xero_request(key)
        status, answer, _ = send(knowing.url, "POST", "/xero", body, headers)
        assert (status, answer) == (expected, b"")
    assert label(last_record(knowing)) == "xero intent-to-receive"


def test_worldline_endpoint_verification_is_echoed(knowing: Listener) -> None:
    value = "6f1d3e92-5b7a-4bd0-9e7b-61d3e5cf2a17"
    status, answer, got = send(
        knowing.url, "GET", "/worldline", headers=[("X-GCS-Webhooks-Endpoint-Verification", value)]
    )
    assert (status, answer) == (200, value.encode())
    assert (header(got, "Content-Type") or "").startswith("text/plain")


def test_ls_and_show_say_it_was_a_handshake(knowing: Listener) -> None:
    send(knowing.url, "GET", "/dropbox?challenge=seen-in-ls")
    head, row = run(knowing.store, "ls", "--limit", "1").stdout.decode().splitlines()[:2]
    assert head.split()[-1] == "HANDSHAKE"
    assert "dropbox verification" in row and row.split()[-1] == "yes"
    assert [r["event_type"] for r in run_json(knowing.store, "ls", "--limit", "1")] == [
        "verification"
    ]
    shown = run(knowing.store, "show", "last").stdout.decode()
    assert "handshake answered 200" in shown


def test_the_json_line_says_how_a_handshake_was_answered(knowing: Listener) -> None:
    send(knowing.url, "GET", "/json-line?challenge=j")
    deadline = time.time() + 10
    while time.time() < deadline:
        ev = knowing.wait_event("captured")
        if ev["path"] == "/json-line":
            break
    assert ev["path"] == "/json-line"
    assert (ev["provider"], ev["event_type"]) == ("dropbox", "verification")
    assert ev["response"] == {"status": 200, "handshake": "answered"}


def test_a_handshake_is_answered_the_same_off_the_fast_path(knowing: Listener) -> None:
    """`Connection: close` sends a request through aiohttp's own handling."""
    request = b"GET /dropbox?challenge=same HTTP/1.1\r\nHost: x\r\n%s\r\n"
    fast = raw_exchange(knowing.port, request % b"")
    slow = raw_exchange(knowing.port, request % b"Connection: close\r\n")

    def lines(raw: bytes) -> list[bytes]:
        return [x for x in raw.split(b"\r\n") if not x.startswith((b"Date:", b"Connection:"))]

    assert lines(fast) == lines(slow)
    assert fast.startswith(b"HTTP/1.1 200 OK\r\n") and fast.endswith(b"\r\n\r\nsame")


def test_a_plain_request_still_gets_the_usual_answer(knowing: Listener) -> None:
    status, answer, _ = send(knowing.url, "POST", "/hooks", b'{"challenge": "not a handshake"}')
    assert status == 200 and json.loads(answer)["ok"] is True


# -- secrets that are missing -------------------------------------------------------------


def wait_line(lst: Listener, text: str, timeout: float = 10) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in list(lst.lines):
            if text in line:
                return line
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not printed: {lst.lines}")


@pytest.mark.parametrize(
    ("name", "request_of", "needs"),
    [
        ("zoom", lambda: zoom_request(ZOOM_SECRET), "needs --secret zoom=SECRET_TOKEN"),
        ("xero", lambda: xero_request(XERO_KEY), "needs --secret xero=WEBHOOK_KEY"),
    ],
)
def test_a_handshake_that_needs_a_secret_says_which(
    unknowing: Listener,
    name: str,
    request_of: Callable[[], tuple[bytes, list[tuple[str, str]]]],
    needs: str,
) -> None:
    body, headers = request_of()
    status, answer, _ = send(unknowing.url, "POST", f"/{name}-missing", body, headers)
    rid = json.loads(answer)["id"]  # the usual answer, as nothing better can be given
    assert status == 200
    line = wait_line(unknowing, f"#{rid} ")
    assert line.endswith(f"not answered: {needs}"), line
    rec = run_json(unknowing.store, "show", str(rid))
    assert rec["response"] == {"status": 200, "handshake": "not answered", "note": needs}


def test_x_crc_without_the_consumer_secret_says_which(unknowing: Listener) -> None:
    _, answer, _ = send(unknowing.url, "GET", "/x-missing?crc_token=abc")
    rid = json.loads(answer)["id"]
    line = wait_line(unknowing, f"#{rid} ")
    assert "twitter crc" in line
    assert line.endswith("not answered: needs --secret twitter=CONSUMER_SECRET"), line


def test_discord_ping_without_the_public_key_is_answered_and_says_it_was_not_checked(
    unknowing: Listener,
) -> None:
    body, headers = discord_request(DISCORD_KEY)
    status, answer, _ = send(unknowing.url, "POST", "/discord-unchecked", body, headers)
    assert (status, json.loads(answer)) == (200, {"type": 1})
    line = wait_line(unknowing, "/discord-unchecked")
    assert line.endswith(
        "discord ping  answered (signature not checked: needs --secret discord=PUBLIC_KEY)"
    ), line


def test_meta_without_a_verify_token_answers_any(unknowing: Listener) -> None:
    target = "/meta-any?hub.mode=subscribe&hub.challenge=42&hub.verify_token=whatever"
    assert send(unknowing.url, "GET", target)[:2] == (200, b"42")
    assert wait_line(unknowing, "/meta-any").endswith("meta verification  answered")


# -- turned off -----------------------------------------------------------------------------


def test_no_handshakes_gives_them_the_configured_answer(tmp_path: Path) -> None:
    lst = Listener(tmp_path / "store", "--no-handshakes", "--status", "202")
    try:
        body, headers = slack_request(SLACK_SECRET)
        status, answer, _ = send(lst.url, "POST", "/slack/events", body, headers)
        assert status == 202 and json.loads(answer)["ok"] is True
        status, answer, _ = send(lst.url, "GET", "/dropbox?challenge=abc")
        assert status == 202 and answer != b"abc"
        records = [run_json(lst.store, "show", str(i)) for i in (1, 2)]
        assert [r["response"] for r in records] == [{"status": 202}, {"status": 202}]
    finally:
        lst.stop()


def test_verify_token_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKCLI_VERIFY_TOKEN", "from-env")
    lst = Listener(tmp_path / "store")
    try:
        base = "/m?hub.mode=subscribe&hub.challenge=7&hub.verify_token="
        assert send(lst.url, "GET", base + "from-env")[:2] == (200, b"7")
        assert send(lst.url, "GET", base + "other")[0] == 403
    finally:
        lst.stop()


def test_a_handshake_is_forwarded_like_any_capture(tmp_path: Path, receiver: Receiver) -> None:
    """The app behind --forward-to sees the handshake; the provider gets listen's answer."""
    lst = Listener(tmp_path / "store", "--forward-to", receiver.url)
    try:
        status, answer, _ = send(lst.url, "GET", "/dropbox?challenge=forwarded-too")
        assert (status, answer) == (200, b"forwarded-too")
        seen = receiver.wait(1)
        assert [(s.method, s.path_qs) for s in seen] == [
            ("GET", "/dropbox?challenge=forwarded-too")
        ]
    finally:
        lst.stop()


def test_a_handshake_secret_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOOKCLI_SECRET_TWITTER works as --secret twitter=... does, though X has no scheme."""
    monkeypatch.setenv("HOOKCLI_SECRET_TWITTER", TWITTER_SECRET)
    lst = Listener(tmp_path / "store")
    try:
        status, answer, _ = send(lst.url, "GET", "/x?crc_token=env")
        digest = base64.b64encode(hmac256(TWITTER_SECRET, b"env")).decode()
        assert (status, json.loads(answer)) == (200, {"response_token": "sha256=" + digest})
    finally:
        lst.stop()
