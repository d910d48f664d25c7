"""fabricate's builder: every built-in event is realistic and verifies with our verifier and
the provider's own library; --data, --set, -H and their errors."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from urllib.parse import parse_qsl

import pytest
import standardwebhooks
import stripe

from hookcli.errors import UsageError
from hookcli.events import catalog
from hookcli.events.builder import DEFAULT_BASE_URL, FabricatedRequest, build
from hookcli.model import headers as hdr
from hookcli.signing import registry
from hookcli.signing.discord import public_key_hex
from tests import keys, official

URL = "http://localhost:3000/webhooks"
STD = "whsec_" + base64.b64encode(b"acceptance-standard-webhooks-key!").decode()
SEED = hashlib.sha256(b"hookcli-builder-discord-seed").hexdigest()
SECRETS = {name: f"{name}-secret" for name in registry.NAMES}
SECRETS.update({n: keys.signing(n, s) for n, s in SECRETS.items()})
SECRETS.update(
    stripe="whsec_acceptance_stripe_0123456789",
    slack="8f742231b10e8888abcd99yyyzzz85a5",
    standard=STD,
    discord=SEED,
)
# keys that are the base64 after whsec_ (Standard Webhooks senders), or base64 (Teams)
SECRETS.update({n: STD for n in ("openai", "replicate", "lithic", "resend", "clerk")})
SECRETS["microsoft-teams"] = STD.removeprefix("whsec_")
SECRETS["onfleet"] = "5f" * 32  # hex
SECRETS["postmark"] = SECRETS["pipedrive"] = "hooks:pa55word"  # HTTP Basic user:password
ALL = [(p, e) for p in registry.NAMES for e in catalog.list_events(p)]


def receiver_secret(provider: str) -> str:
    if provider == "discord":
        return public_key_hex(SEED)
    return keys.receiving(provider, SECRETS[provider])


def fab(provider: str, event: str | None = None, **kw: object) -> FabricatedRequest:
    kw.setdefault("url", URL)
    return build(provider, event, secret=SECRETS[registry.canonical(provider)], **kw)  # type: ignore[arg-type]


def official_accepts(req: FabricatedRequest) -> bool | None:
    """The provider's own verifier's answer, or None where there is none on PyPI."""
    return official.accepts(
        req.provider, req.headers, req.body, receiver_secret(req.provider), req.url
    )


def test_every_provider_has_built_in_events() -> None:
    required = {
        "stripe": {
            "payment_intent.succeeded",
            "checkout.session.completed",
            "invoice.paid",
            "customer.subscription.created",
        },
        "github": {"push", "pull_request.opened", "issues.opened", "ping"},
        "shopify": {"orders/create", "products/update"},
        "slack": {"event_callback", "url_verification"},
        "twilio": {"message_status"},
        "standard": {"user.created"},
        "hmac": {"generic"},
    }
    for provider, events in required.items():
        assert events <= set(catalog.list_events(provider)), provider


#: providers that send one kind of delivery only (Dropbox's list_folder ping, Typeform's
#: form_response and its partial form) or any kind (standard, hmac) are not counted
SEVERAL = """bitbucket discord intercom lemonsqueezy linear mailgun meta notion paddle paystack
razorpay sentry shopify slack square trello twilio vercel woocommerce zoom""".split()  # noqa: SIM905


@pytest.mark.parametrize("provider", SEVERAL)
def test_each_provider_has_its_common_events(provider: str) -> None:
    events = catalog.list_events(provider)
    assert len(events) >= 3, events
    kinds = {fab(provider, e).event_type for e in events}
    assert len(kinds) == len(events), kinds  # each a different event, as the receiver sees it


@pytest.mark.parametrize(("provider", "event"), ALL, ids=[f"{p}:{e}" for p, e in ALL])
def test_built_in_event_verifies_with_ours_and_official(provider: str, event: str) -> None:
    req = fab(provider, event)
    assert req.method == "POST" and req.provider == provider and req.event_type
    assert hdr.get(req.headers, "Content-Type")
    verdict = registry.get(provider).verify(
        req.headers, req.body, receiver_secret(provider), int(time.time()), url=req.url
    )
    assert verdict.ok, verdict
    assert official_accepts(req) is (True if provider in official.LIBRARIES else None)
    assert b"{{" not in req.body and not any("{{" in v for _, v in req.headers)


@pytest.mark.parametrize(
    ("event", "obj"),
    [
        ("payment_intent.succeeded", "payment_intent"),
        ("checkout.session.completed", "checkout.session"),
        ("invoice.paid", "invoice"),
        ("customer.subscription.created", "subscription"),
    ],
)
def test_stripe_events_are_stripe_event_objects(event: str, obj: str) -> None:
    req = fab("stripe", event, now=1_700_000_000)
    doc = json.loads(req.body)
    assert doc["type"] == event and doc["object"] == "event" and doc["id"].startswith("evt_")
    assert doc["livemode"] is False and doc["created"] == 1_700_000_000
    assert doc["api_version"] and "pending_webhooks" in doc and "request" in doc
    assert doc["data"]["object"]["object"] == obj
    assert req.event_type == event
    stripe.Webhook.construct_event(
        req.body, hdr.get(req.headers, "Stripe-Signature"), SECRETS["stripe"], tolerance=None
    )


def test_stripe_related_ids_agree_within_one_event() -> None:
    obj = json.loads(fab("stripe", "payment_intent.succeeded").body)["data"]["object"]
    assert obj["client_secret"].startswith(obj["id"] + "_secret_")


@pytest.mark.parametrize("event", ["push", "pull_request", "issues", "ping"])
def test_github_events(event: str) -> None:
    req = fab("github", event)
    assert hdr.get(req.headers, "X-GitHub-Event") == event
    uuid.UUID(hdr.get(req.headers, "X-GitHub-Delivery") or "")
    assert (hdr.get(req.headers, "User-Agent") or "").startswith("GitHub-Hookshot/")
    assert (hdr.get(req.headers, "X-GitHub-Hook-ID") or "").isdigit()
    assert (hdr.get(req.headers, "X-Hub-Signature-256") or "").startswith("sha256=")
    doc = json.loads(req.body)
    assert "repository" in doc and "sender" in doc


def test_github_pull_request_event_type_has_action() -> None:
    assert fab("github", "pull_request").event_type == "pull_request.opened"


def test_shopify_orders_create() -> None:
    req = fab("shopify", "orders/create")
    assert hdr.get(req.headers, "X-Shopify-Topic") == "orders/create"
    for name in (
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
        "X-Shopify-API-Version",
        "X-Shopify-Triggered-At",
        "X-Shopify-Event-Id",
        "X-Shopify-Hmac-Sha256",
    ):
        assert hdr.get(req.headers, name), name
    doc = json.loads(req.body)
    assert doc["line_items"] and isinstance(doc["id"], int)
    assert req.event_type == "orders/create"


def test_slack_events() -> None:
    doc = json.loads(fab("slack", "event_callback").body)
    assert doc["type"] == "event_callback" and doc["event"]["type"] == "message"
    assert doc["team_id"] and doc["api_app_id"] and doc["event_id"].startswith("Ev")
    assert isinstance(doc["event_time"], int)
    doc = json.loads(fab("slack", "url_verification").body)
    assert doc["type"] == "url_verification" and doc["challenge"]


def test_twilio_status_callback_is_form_signed_over_url() -> None:
    req = fab("twilio", "message_status", url="https://abc.ngrok.app/sms?x=1")
    fields = dict(parse_qsl(req.body.decode()))
    assert fields["MessageStatus"] == "delivered" and fields["MessageSid"].startswith("SM")
    assert fields["AccountSid"].startswith("AC") and fields["ApiVersion"] == "2010-04-01"
    assert req.url == "https://abc.ngrok.app/sms?x=1" and req.event_type == "delivered"
    other = fab("twilio", "message_status", url="https://other.example/sms?x=1", now=0)
    assert hdr.get(other.headers, "X-Twilio-Signature") != hdr.get(
        req.headers, "X-Twilio-Signature"
    )


def test_twilio_data_becomes_form_fields() -> None:
    req = fab("twilio", "message_status", data=b'{"a": 1}', sets=["a=2"])
    assert req.body == b"a=2"  # form templates take --data as form fields
    raw = build(
        "twilio", "message_status", secret="t", url="https://x.example/h", data=b'{"k": "v"}'
    )
    assert raw.body == b"k=v"


def test_standard_user_created_shape() -> None:
    req = fab("standard", "user.created")
    doc = json.loads(req.body)
    assert set(doc) == {"type", "timestamp", "data"} and doc["type"] == "user.created"
    assert (hdr.get(req.headers, "webhook-id") or "").startswith("msg_")


def test_standard_accepts_any_event_name() -> None:
    req = fab("svix", "order.shipped")
    assert json.loads(req.body)["type"] == "order.shipped"
    assert req.event_type == "order.shipped" and req.provider == "standard"
    assert "order.shipped" not in catalog.list_events("standard")


def test_default_event_and_url() -> None:
    req = build("github", None, secret="s")
    assert hdr.get(req.headers, "X-GitHub-Event") == "push"
    assert req.url == DEFAULT_BASE_URL + "/webhooks/github"


def test_placeholders_are_fresh_per_build() -> None:
    a, b = (
        json.loads(fab("stripe", "invoice.paid").body),
        json.loads(fab("stripe", "invoice.paid").body),
    )
    assert a["id"] != b["id"] and a["data"]["object"]["id"] != b["data"]["object"]["id"]
    ga, gb = fab("github", "push"), fab("github", "push")
    assert hdr.get(ga.headers, "X-GitHub-Delivery") != hdr.get(gb.headers, "X-GitHub-Delivery")


def test_now_is_used_for_timestamps() -> None:
    req = fab("slack", "event_callback", now=1_700_000_000)
    assert hdr.get(req.headers, "X-Slack-Request-Timestamp") == "1700000000"
    assert json.loads(req.body)["event_time"] == 1_700_000_000


# --- --data / --set / -H -----------------------------------------------------------------


def test_data_replaces_body_and_is_sent_byte_exact() -> None:
    data = b'{"type": "order.shipped",  "data": {"n": 1}}'
    req = fab("standard", "order.shipped", data=data)
    assert req.body == data
    standardwebhooks.Webhook(STD).verify(req.body, {k.lower(): v for k, v in req.headers})


def test_set_edits_then_signs() -> None:
    req = fab(
        "stripe",
        "payment_intent.succeeded",
        sets=["data.object.amount=4242", "data.object.note=hi"],
    )
    obj = json.loads(req.body)["data"]["object"]
    assert obj["amount"] == 4242 and obj["note"] == "hi"
    assert stripe.WebhookSignature.verify_header(
        req.body.decode(), hdr.get(req.headers, "Stripe-Signature"), SECRETS["stripe"], 300
    )


def test_data_then_set() -> None:
    req = fab("github", "ping", data=b'{"zen": "x", "hook": {"id": 1}}', sets=["hook.id=2"])
    assert json.loads(req.body) == {"zen": "x", "hook": {"id": 2}}


def test_invalid_data_is_usage_error() -> None:
    with pytest.raises(UsageError, match="--data is not valid JSON"):
        fab("stripe", "invoice.paid", data=b"{nope")


def test_set_on_bad_path_names_the_path() -> None:
    with pytest.raises(UsageError, match=r"data\.object\.lines\.data\.9"):
        fab("stripe", "invoice.paid", sets=["data.object.lines.data.9.amount=1"])


def test_set_on_non_container_json_body() -> None:
    with pytest.raises(UsageError, match="--set needs a JSON object or array"):
        fab("standard", "x", data=b'"just a string"', sets=["a=1"])


def test_nested_set_on_form_body_is_usage_error() -> None:
    with pytest.raises(UsageError, match="form-encoded"):
        fab("twilio", "message_status", sets=["a.b=1"])


def test_set_on_form_field() -> None:
    req = fab("twilio", "message_status", sets=["MessageStatus=failed"])
    assert dict(parse_qsl(req.body.decode()))["MessageStatus"] == "failed"
    assert req.event_type == "failed"


def test_extra_headers_add_and_replace_after_signing() -> None:
    req = fab("github", "ping", extra_headers=[("x-github-event", "custom"), ("X-Extra", "1")])
    assert hdr.get_all(req.headers, "X-GitHub-Event") == ["custom"]
    assert hdr.get(req.headers, "X-Extra") == "1"


def test_missing_secret_is_usage_error() -> None:
    with pytest.raises(UsageError, match="secret"):
        build("github", "ping", secret="")


def test_unknown_provider_lists_known() -> None:
    with pytest.raises(UsageError) as err:
        build("paypal", "x", secret="s")
    assert err.value.hint and "stripe" in err.value.hint


def test_unknown_event_lists_provider_events() -> None:
    with pytest.raises(UsageError) as err:
        build("stripe", "payment_intent.exploded", secret="s")
    assert "payment_intent.exploded" in err.value.message
    assert err.value.hint and "did you mean payment_intent." in err.value.hint
    assert "invoice." not in err.value.hint and "stripe --list" in err.value.hint


def test_hmac_options_shape_the_signature() -> None:
    req = build(
        "hmac", "generic", secret="k", hmac_options={"header": "X-Hook", "prefix": "sha256="}
    )
    assert (hdr.get(req.headers, "X-Hook") or "").startswith("sha256=")
