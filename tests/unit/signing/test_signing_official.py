"""Our signers' output is accepted by each provider's own verifier."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any
from urllib.parse import parse_qsl

import pytest
import standardwebhooks
import stripe
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from hookcli.model import headers as hdr
from hookcli.signing import registry, twilio
from hookcli.signing.discord import public_key_hex
from tests import keys, official
from tests.unit.signing.test_signing_vectors import VECTORS, _headers, _provider, receiver_secret

BODY = b'{"id":"evt_1","object":"event","type":"invoice.paid","data":{"object":{"n":"Zo\xc3\xab"}}}'
STRIPE_SECRET = "whsec_hookcliStripeTestSecret012345678"
STD_SECRET = "whsec_" + base64.b64encode(b"hookcli-test-key-0123456789abcdef").decode()
SEED = hashlib.sha256(b"hookcli-official-discord-seed").hexdigest()
#: providers whose key is the base64 after whsec_ (Standard Webhooks senders)
WHSEC = {"openai", "replicate", "lithic", "resend", "clerk"}


def test_stripe_verify_header_accepts_our_signature() -> None:
    now = int(time.time())
    (name, value), *_ = registry.get("stripe").sign(BODY, STRIPE_SECRET, now)
    assert name == "Stripe-Signature"
    assert stripe.WebhookSignature.verify_header(BODY.decode(), value, STRIPE_SECRET, 300)
    event = stripe.Webhook.construct_event(BODY, value, STRIPE_SECRET)
    assert event["type"] == "invoice.paid"


def test_stripe_library_signature_verifies_with_ours() -> None:
    now = int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), STRIPE_SECRET, now)
    verdict = registry.get("stripe").verify(
        [("stripe-signature", header)], BODY, STRIPE_SECRET, now
    )
    assert verdict.ok


def test_standardwebhooks_accepts_our_signature() -> None:
    now = int(time.time())
    headers = registry.get("standard").sign(BODY, STD_SECRET, now)
    assert (
        standardwebhooks.Webhook(STD_SECRET).verify(BODY, dict(headers))["type"] == "invoice.paid"
    )
    assert (hdr.get(headers, "webhook-id") or "").startswith("msg_")


def test_standardwebhooks_accepts_resigned_svix_capture() -> None:
    now = int(time.time())
    old = [("svix-id", "msg_old"), ("svix-timestamp", "1"), ("svix-signature", "v1,AAAA")]
    fresh = registry.get("svix").resign(old, BODY, STD_SECRET, now)
    assert {k for k, _ in fresh} == {"svix-id", "svix-timestamp", "svix-signature"}
    assert hdr.get(fresh, "svix-id") != "msg_old"
    std = {k.replace("svix-", "webhook-"): v for k, v in fresh}
    standardwebhooks.Webhook(STD_SECRET).verify(BODY, std)


def test_twilio_validator_accepts_our_form_signature() -> None:
    url = "https://example.ngrok.app/hooks/twilio?x=1"
    body = b"MessageSid=SM123&MessageStatus=delivered&Body=Hello+%26+bye&AddOns="
    (name, sig), *_ = registry.get("twilio").sign(body, "auth-token", 0, url=url)
    assert name == "X-Twilio-Signature"
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    assert RequestValidator("auth-token").validate(url, params, sig)
    assert not RequestValidator("auth-token").validate(url.replace("https", "http"), params, sig)


def test_twilio_validator_accepts_our_json_body_signature() -> None:
    url = twilio.url_for_body("https://example.com/hook?a=1", BODY)
    assert "bodySHA256=" in url
    (_, sig), *_ = registry.get("twilio").sign(BODY, "auth-token", 0, url=url)
    assert RequestValidator("auth-token").validate(url, BODY.decode(), sig)
    assert not RequestValidator("auth-token").validate(url, BODY.decode() + " ", sig)


def test_slack_verifier_accepts_our_signature() -> None:
    now = int(time.time())
    headers = registry.get("slack").sign(BODY, "slack-secret", now)
    verifier = SignatureVerifier("slack-secret")
    assert verifier.is_valid(
        BODY,
        hdr.get(headers, "X-Slack-Request-Timestamp"),
        hdr.get(headers, "X-Slack-Signature"),
    )
    assert verifier.is_valid_request(BODY, dict(headers))


def test_slack_library_signature_verifies_with_ours() -> None:
    now = int(time.time())
    sig = SignatureVerifier("slack-secret").generate_signature(timestamp=str(now), body=BODY)
    assert sig is not None
    headers = [("x-slack-signature", sig), ("x-slack-request-timestamp", str(now))]
    assert registry.get("slack").verify(headers, BODY, "slack-secret", now).ok


def test_standard_library_signature_verifies_with_ours() -> None:
    from datetime import UTC, datetime

    now = int(time.time())
    wh = standardwebhooks.Webhook(STD_SECRET)
    sig = wh.sign("msg_lib", datetime.fromtimestamp(now, UTC), BODY.decode())
    headers = [
        ("webhook-id", "msg_lib"),
        ("webhook-timestamp", str(now)),
        ("webhook-signature", sig),
    ]
    assert registry.get("standard").verify(headers, BODY, STD_SECRET, now).ok
    assert json.loads(BODY)["type"] == "invoice.paid"


# --- every vector the providers' own libraries can judge ---------------------------------

# Libraries that judge a vector without reading the clock (Paddle's with TEST_MODE=1, its
# documented switch for that), so the vectors' fixed timestamps do not get in the way.
CLOCKLESS = {"square", "razorpay", "discord", "twilio", "paddle", "sendgrid", "plivo"}
JUDGED = [
    v
    for v in VECTORS
    if _provider(v) in CLOCKLESS
    and not str(v["reason"]).startswith("timestamp")
    and "-legacy-" not in v["name"]  # squareup checks the SHA-256 header only
]


@pytest.mark.parametrize("v", JUDGED, ids=[v["name"] for v in JUDGED])
def test_official_library_agrees_with_vector(v: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setenv("TEST_MODE", "1")
    body = v["body"].encode("utf-8")
    verdict = official.accepts(_provider(v), _headers(v), body, receiver_secret(v), v["url"])
    assert verdict is v["valid"]


@pytest.mark.parametrize("provider", sorted(official.LIBRARIES))
def test_official_library_accepts_our_fresh_signature(provider: str) -> None:
    now = int(time.time())
    secret = {"stripe": STRIPE_SECRET, "standard": STD_SECRET, "discord": SEED}.get(
        provider, STD_SECRET if provider in WHSEC else keys.signing(provider, f"{provider}-secret")
    )
    url = "https://example.ngrok.app/hooks/x?y=1"
    scheme = registry.get(provider)
    # Pusher's library also wants the body's time_ms within 300 s of its clock
    plain = (
        json.dumps({"time_ms": now * 1000, "events": []}).encode() if provider == "pusher" else BODY
    )
    body = scheme.prepare_body(plain, secret, now)
    headers = scheme.sign(body, secret, now, url=url)
    if provider == "box":  # what Box sends beside the signature (box.json's template has it)
        headers += [("BOX-SIGNATURE-VERSION", "1"), ("BOX-SIGNATURE-ALGORITHM", "HmacSHA256")]
    if provider == "github":  # what GitHub sends beside the signature (gidgethub reads them)
        headers += [
            ("Content-Type", "application/json"),
            ("X-GitHub-Event", "ping"),
            ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ]
    if provider == "twilio":
        headers.append(("Content-Type", "application/json"))
        url = twilio.url_for_body(url, body)
        headers = scheme.sign(body, secret, now, url=url)
    receiver = public_key_hex(SEED) if provider == "discord" else keys.receiving(provider, secret)
    assert official.accepts(provider, headers, body, receiver, url) is True
    assert official.accepts(provider, headers, body + b" ", receiver, url) is False
