"""From capture to CI: events caught by the real catch server, exported as fixtures, loaded
and sent by the plugin's API (hookcli.harness.Harness, what the `hookcli` fixture returns)
to a real WSGI app (Flask) and a real ASGI app, which verify the signatures with the
providers' own libraries: stripe, twilio, standardwebhooks, slack_sdk."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks
import stripe
from flask import Flask, request
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import WebhookVerificationError
from twilio.request_validator import RequestValidator

from hookcli.errors import HookcliError, UsageError
from hookcli.harness import Event, Harness
from tests.conftest import Listener, run
from tests.receiver import Receiver

# what the provider signs with in "production": never needed by the tests
LIVE = {
    "stripe": "whsec_live_provider_secret_0000",
    "twilio": "live-twilio-token",
    "standard": "whsec_" + base64.b64encode(b"live-standard-key-0123456789abc").decode(),
    "slack": "live-slack-secret",
    "github": "live-github-secret",
}
# what the app under test is configured with in CI
TEST = {
    "stripe": "whsec_ci_test_secret",
    "twilio": "ci-twilio-token",
    "standard": "whsec_" + base64.b64encode(b"ci-standard-key-0123456789abcdef").decode(),
    "slack": "ci-slack-secret",
    "github": "ci-github-secret",
}
EVENTS = [
    ("stripe", "invoice.paid"),
    ("twilio", "message_status"),
    ("standard", "user.created"),
    ("slack", "event_callback"),
    ("github", "push"),
]


def make_flask_app(seen: list[dict[str, Any]]) -> Flask:
    app = Flask("hooks")

    @app.post("/hooks/stripe")
    def stripe_hook() -> Any:
        try:
            event = stripe.Webhook.construct_event(
                request.get_data(), request.headers.get("Stripe-Signature", ""), TEST["stripe"]
            )
        except (ValueError, stripe.SignatureVerificationError) as e:
            return str(e), 400
        seen.append(event)
        return {"type": event["type"]}

    @app.post("/hooks/twilio")
    def twilio_hook() -> Any:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TEST["twilio"]).validate(request.url, request.form, signature):
            return "bad signature", 403
        seen.append(dict(request.form))
        return "", 204

    return app


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A plain ASGI app: Standard Webhooks and Slack, verified with their libraries; it
    remembers message ids, as an idempotent app would."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    status, answer = 404, b"no such hook"
    if scope["path"] == "/hooks/standard":
        try:
            standardwebhooks.Webhook(TEST["standard"]).verify(body, headers)
        except WebhookVerificationError as e:
            status, answer = 400, str(e).encode()
        else:
            duplicate = headers["webhook-id"] in SEEN_IDS
            SEEN_IDS.add(headers["webhook-id"])
            status, answer = 200, json.dumps({"duplicate": duplicate}).encode()
    elif scope["path"] == "/hooks/slack":
        ok = SignatureVerifier(TEST["slack"]).is_valid_request(body, headers)
        status, answer = (200, b"ok") if ok else (401, b"invalid signature")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain"), (b"x-app", b"asgi")],
        }
    )
    await send({"type": "http.response.body", "body": answer})


SEEN_IDS: set[str] = set()


@pytest.fixture(scope="module")
def fixtures_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's morning: events caught by `hookcli listen`, exported as fixtures."""
    root = tmp_path_factory.mktemp("ci")
    store, sender = root / "store", root / "sender"
    lst = Listener(store)
    try:
        for provider, event in EVENTS:
            r = run(
                sender,
                "fabricate",
                provider,
                event,
                "--secret",
                LIVE[provider],
                "--to",
                f"{lst.url}/hooks/{provider}",
            )
            assert r.returncode == 0, r.stderr
            lst.wait_event("captured")
    finally:
        lst.stop()
    out = root / "tests" / "fixtures"
    r = run(store, "export", "--all", "--out", str(out))
    assert r.returncode == 0, r.stderr
    yield out


def load(fixtures_dir: Path, provider: str, **kw: Any) -> Event:
    (path,) = fixtures_dir.glob(f"{provider}-*.json")
    return Harness(root=fixtures_dir).load(path.name, **kw)


def test_fixtures_hold_no_live_secret_or_signature(fixtures_dir: Path) -> None:
    names = sorted(p.name.split("-")[0] for p in fixtures_dir.iterdir())
    assert names == sorted(p for p, _ in EVENTS)
    for path in fixtures_dir.iterdir():
        doc = json.loads(path.read_text())
        assert doc["source"] == "listen" and doc["provider"] in LIVE
        text = path.read_text()
        assert all(secret not in text for secret in LIVE.values())
        sig = {"stripe": "Stripe-Signature", "twilio": "X-Twilio-Signature"}.get(doc["provider"])
        if sig:
            assert dict(doc["headers"])[sig] == "REDACTED"


def test_stripe_event_resigned_for_a_flask_app(fixtures_dir: Path) -> None:
    seen: list[dict[str, Any]] = []
    app = make_flask_app(seen)
    event = load(fixtures_dir, "stripe", set={"data.object.amount_paid": 500})
    response = Harness().send(event, app=app, secret=TEST["stripe"])
    assert response.status == 200, response.text
    assert response.json() == {"type": "invoice.paid"}
    assert response.headers["content-type"] == "application/json"
    assert seen[0]["data"]["object"]["amount_paid"] == 500
    assert response.request.url == "http://testserver/hooks/stripe"


def test_stripe_rejects_an_expired_signature_and_a_wrong_secret(fixtures_dir: Path) -> None:
    app = make_flask_app([])
    event = load(fixtures_dir, "stripe")
    old = Harness().send(event, app=app, secret=TEST["stripe"], expired=True)
    assert old.status == 400 and "Timestamp outside the tolerance zone" in old.text
    barely = Harness().send(event, app=app, secret=TEST["stripe"], expired=60)
    assert barely.status == 200, "60 s is inside Stripe's 300 s tolerance"
    wrong = Harness().send(event, app=app, secret="whsec_not_the_one")
    assert wrong.status == 400 and "No signatures found matching" in wrong.text


def test_twilio_signs_the_url_the_flask_app_sees(fixtures_dir: Path) -> None:
    seen: list[dict[str, Any]] = []
    event = load(fixtures_dir, "twilio")
    response = Harness().send(event, app=make_flask_app(seen), secret=TEST["twilio"])
    assert response.status == 204, response.text
    assert seen[0]["MessageStatus"]


def test_standard_webhooks_asgi_app_and_a_duplicate_delivery(fixtures_dir: Path) -> None:
    harness = Harness()
    event = load(fixtures_dir, "standard")
    first = harness.send(event, app=asgi_app, secret=TEST["standard"])
    assert first.status == 200, first.text
    assert first.json() == {"duplicate": False}
    assert first.headers.get_all("X-App") == ["asgi"]
    again = harness.duplicate(event)
    assert again.json() == {"duplicate": True}
    assert again.request.headers == first.request.headers
    fresh = harness.send(event, app=asgi_app, secret=TEST["standard"])
    assert fresh.json() == {"duplicate": False}, "a new send is a new delivery (fresh id)"
    stale = harness.send(event, app=asgi_app, secret=TEST["standard"], expired=True)
    assert stale.status == 400 and "timestamp" in stale.text.lower()


def test_slack_asgi_app(fixtures_dir: Path) -> None:
    event = load(fixtures_dir, "slack")
    ok = Harness().send(event, app=asgi_app, secret=TEST["slack"])
    assert (ok.status, ok.body) == (200, b"ok")
    bad = Harness().send(event, app=asgi_app, secret="other")
    assert bad.status == 401


def test_the_asgi_app_is_called_from_inside_a_running_event_loop(fixtures_dir: Path) -> None:
    """An async test (pytest-asyncio, anyio) calls send() while its loop runs."""
    event = load(fixtures_dir, "slack")

    async def in_async_test() -> int:
        return Harness().send(event, app=asgi_app, secret=TEST["slack"]).status

    assert asyncio.run(in_async_test()) == 200


def test_send_over_http_by_the_url_rule(fixtures_dir: Path, receiver: Receiver) -> None:
    event = load(fixtures_dir, "stripe")
    response = Harness().send(event, receiver.url + "/api", secret=TEST["stripe"])
    assert response.status == 200 and response.json() == {"received": True}
    (seen,) = receiver.wait(1)
    assert seen.path_qs == "/api/hooks/stripe"
    assert seen.body == event.body
    assert stripe.Webhook.construct_event(
        seen.body, seen.header("Stripe-Signature") or "", TEST["stripe"]
    )
    sent = [(k, v) for k, v in seen.headers if k.lower() not in ("host", "content-length")]
    assert [k for k, _ in sent] == [k for k, _ in response.request.headers]


def test_secret_from_the_environment(fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKCLI_SECRET_STRIPE", TEST["stripe"])
    response = Harness().send(load(fixtures_dir, "stripe"), app=make_flask_app([]))
    assert response.status == 200, response.text


def test_prepare_gives_the_signed_request_for_any_client(fixtures_dir: Path) -> None:
    out = Harness().prepare(load(fixtures_dir, "stripe"), "http://app.test", secret=TEST["stripe"])
    assert out.url == "http://app.test/hooks/stripe"
    signature = dict(out.headers)["Stripe-Signature"]
    assert stripe.Webhook.construct_event(out.body, signature, TEST["stripe"])


def test_mistakes_are_explained(
    fixtures_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOKCLI_SECRET_STRIPE", raising=False)
    monkeypatch.setenv("HOOKCLI_CONFIG", str(tmp_path / "none.toml"))
    h = Harness(root=fixtures_dir)
    event = load(fixtures_dir, "stripe")
    app = make_flask_app([])
    cases: list[tuple[Any, type[Exception], str]] = [
        (lambda: h.send(event), UsageError, "needs a URL or app="),
        (lambda: h.send(event, "http://x", app=app), UsageError, "one of the two"),
        (lambda: h.send(event, app=app), UsageError, "no secret for stripe"),
        (lambda: h.duplicate(load(fixtures_dir, "stripe")), UsageError, "send it first"),
        (lambda: h.load("nope.json"), HookcliError, "no fixture file nope.json"),
        (lambda: h.send(event, "ftp://x", secret="s"), UsageError, "url: 'ftp://x' is not an"),
        (lambda: h.send(event, app=app, secret="s", expired=-5), UsageError, "above 0"),
        (
            lambda: h.send(load(fixtures_dir, "github"), app=app, secret="s", expired=True),
            UsageError,
            "github signatures carry no timestamp",
        ),
        (
            lambda: h.send(event, "http://127.0.0.1:9", secret="s", timeout=5),
            HookcliError,
            "connection refused to http://127.0.0.1:9",
        ),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=re.escape(message)):
            call()


def test_load_takes_one_request_and_json_edits_need_json(tmp_path: Path) -> None:
    entry = {"request": {"method": "POST", "url": "http://h/x", "headers": []}}
    (tmp_path / "two.har").write_text(json.dumps({"log": {"entries": [entry, entry]}}))
    with pytest.raises(HookcliError, match="holds 2 requests"):
        Harness(root=tmp_path).load("two.har")
    form = {**entry["request"], "postData": {"mimeType": "text/plain", "text": "a=1"}}
    (tmp_path / "one.har").write_text(json.dumps({"log": {"entries": [{"request": form}]}}))
    assert Harness(root=tmp_path).load("one.har").body == b"a=1"
    with pytest.raises(UsageError, match="set= edits JSON bodies"):
        Harness(root=tmp_path).load("one.har", set={"a": 2})
    (tmp_path / "bad.json").write_text('{"method": "POST"}')
    with pytest.raises(HookcliError, match=r"bad\.json: line 1, column 1: the record: path"):
        Harness(root=tmp_path).load("bad.json")
