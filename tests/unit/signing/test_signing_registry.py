"""Names, aliases, detection from header names, event types, the providers table."""

from __future__ import annotations

import json

import pytest

from hookcli.errors import UsageError
from hookcli.signing import registry
from hookcli.signing.hmac_generic import HmacScheme


def test_names_and_alias() -> None:
    first = ("stripe", "github", "shopify", "slack", "twilio", "standard", "hmac")
    assert registry.NAMES[:7] == first
    assert list(registry.NAMES[7:]) == sorted(registry.NAMES[7:])
    new = {"square", "paddle", "linear", "zoom", "mailgun", "discord"}
    assert new <= set(registry.NAMES) and len(registry.NAMES) >= 23
    assert registry.canonical("svix") == "standard"
    assert registry.canonical(" Stripe ") == "stripe"
    assert registry.get("svix").name == "standard"


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(UsageError) as err:
        registry.get("paypal")
    assert "paypal" in err.value.message
    assert err.value.hint and "stripe" in err.value.hint and "svix" in err.value.hint


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("STRIPE-SIGNATURE", "t=1,v1=a")], "stripe"),
        ([("x-hub-signature-256", "sha256=a"), ("X-GitHub-Event", "push")], "github"),
        ([("X-GitHub-Event", "ping")], "github"),
        ([("X-Hub-Signature", "sha1=a"), ("x-github-delivery", "1")], "github"),
        ([("X-Shopify-Hmac-SHA256", "a")], "shopify"),
        ([("shopify-hmac-sha256", "a")], "shopify"),
        ([("x-slack-signature", "v0=a")], "slack"),
        ([("x-twilio-signature", "a")], "twilio"),
        ([("Webhook-Signature", "v1,a")], "standard"),
        ([("svix-signature", "v1,a")], "standard"),
        ([("x-square-hmacsha256-signature", "a")], "square"),
        ([("Paddle-Signature", "ts=1;h1=a")], "paddle"),
        ([("Linear-Signature", "a")], "linear"),
        ([("x-zm-signature", "v0=a"), ("x-zm-request-timestamp", "1")], "zoom"),
        ([("X-Signature-Ed25519", "a"), ("X-Signature-Timestamp", "1")], "discord"),
        ([("X-Razorpay-Signature", "a")], "razorpay"),
        ([("X-Signature", "a"), ("X-Event-Name", "order_created")], "lemonsqueezy"),
        ([("X-Hub-Signature", "sha256=a"), ("X-Event-Key", "repo:push")], "bitbucket"),
        ([("Sentry-Hook-Resource", "issue"), ("Sentry-Hook-Signature", "a")], "sentry"),
        ([("X-WC-Webhook-Topic", "order.created")], "woocommerce"),
        ([("X-Signature", "abc")], None),
        ([("Content-Type", "application/json")], None),
        ([], None),
    ],
)
def test_detect_by_header_names_any_case(
    headers: list[tuple[str, str]], expected: str | None
) -> None:
    assert registry.detect(headers) == expected


def test_detect_looks_at_names_not_values() -> None:
    assert registry.detect([("X-Note", "Stripe-Signature")]) is None


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        # GitHub always sends X-GitHub-Event: a signature header alone is Meta's or Intercom's
        (["X-Hub-Signature-256"], "meta"),
        (["X-Hub-Signature-256", "X-Hub-Signature"], "meta"),
        (["X-Hub-Signature"], "intercom"),
        (["X-Hub-Signature-256", "X-Hub-Signature", "X-GitHub-Event"], "github"),
        (["X-Hub-Signature-256", "X-GitHub-Delivery"], "github"),
        (["X-Hub-Signature", "X-Event-Key", "X-Hook-UUID"], "bitbucket"),
    ],
)
def test_shared_signature_headers_are_told_apart_by_the_others(
    names: list[str], expected: str
) -> None:
    assert registry.detect([(n, "x") for n in names]) == expected


def test_mailgun_is_detected_from_its_body_when_no_header_tells() -> None:
    body = j({"signature": {"token": "t"}, "event-data": {"event": "delivered"}})
    assert registry.detect([("Content-Type", "application/json")], body) == "mailgun"
    assert registry.detect([], j({"signature": "x", "event-data": {}})) is None
    assert registry.detect([], b'{"event-data": 1, "signature": ') is None
    assert registry.detect([("Stripe-Signature", "t=1")], body) == "stripe"


@pytest.mark.parametrize("provider", registry.NAMES)
def test_scheme_attributes(provider: str) -> None:
    scheme = registry.get(provider)
    assert scheme.name == provider and scheme.title
    assert scheme.headers or provider == "mailgun"  # Mailgun signs inside the body
    assert set(scheme.headers) <= set(scheme.signature_header_names())
    signs_url = ("twilio", "square", "trello", "hubspot", "hubspot-v2", "mandrill", "plivo")
    assert scheme.needs_url is (provider in (*signs_url, "contentful"))
    assert scheme.docs.startswith("https://") or provider == "hmac"


def test_default_tolerances() -> None:
    tolerances = {n: registry.get(n).default_tolerance for n in registry.NAMES}
    timed = {n: t for n, t in tolerances.items() if t is not None}
    assert timed == {
        "stripe": 300,
        "slack": 300,
        "standard": 300,
        "paddle": 5,
        "linear": 60,
        "zoom": 300,
        # the grown profile language's providers (their docs or SDKs give these)
        "workos": 180,
        "elevenlabs": 1800,
        "mux": 300,
        "persona": 300,
        "tiktok": 300,
        "hostedhooks": 300,
        "buildkite": 300,
        "orb": 300,
        "box": 600,
        "twitch": 600,
        "zendesk": 300,
        "hubspot": 300,
        "sanity": 300,
        "go1": 60,
        **{n: 300 for n in ("openai", "replicate", "lithic", "resend", "clerk", "polar")},
        "telnyx": 300,
        "airship": 300,
        "frameio": 300,
        "webflow": 300,
        "contentful": 30,
    }


def test_hmac_options_pass_through_get() -> None:
    scheme = registry.get("hmac", {"header": "X-Sig", "timestamp_header": "X-Ts"})
    assert isinstance(scheme, HmacScheme)
    assert scheme.headers == ("X-Sig", "X-Ts") and scheme.default_tolerance == 300


def j(doc: object) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("provider", "headers", "body", "expected"),
    [
        ("stripe", [], j({"type": "invoice.paid"}), "invoice.paid"),
        (
            "github",
            [("x-github-event", "pull_request")],
            j({"action": "opened"}),
            "pull_request.opened",
        ),
        ("github", [("X-GitHub-Event", "push")], j({"ref": "refs/heads/main"}), "push"),
        ("github", [], j({"action": "opened"}), None),
        ("shopify", [("x-shopify-topic", "orders/create")], b"{}", "orders/create"),
        (
            "slack",
            [],
            j({"type": "event_callback", "event": {"type": "app_mention"}}),
            "app_mention",
        ),
        ("slack", [], j({"type": "url_verification", "challenge": "x"}), "url_verification"),
        ("standard", [], j({"type": "user.created"}), "user.created"),
        ("svix", [], j({"type": "user.created"}), "user.created"),
        ("twilio", [], b"MessageSid=SM1&MessageStatus=delivered", "delivered"),
        ("twilio", [], b"CallSid=CA1&CallStatus=completed", "completed"),
        ("twilio", [], b"Body=hi", None),
        ("paddle", [], j({"event_type": "transaction.completed"}), "transaction.completed"),
        ("linear", [], j({"type": "Issue", "action": "create"}), "Issue.create"),
        ("mailgun", [], j({"event-data": {"event": "delivered"}}), "delivered"),
        ("discord", [], j({"type": 1}), "ping"),
        ("discord", [], j({"type": "1"}), None),
        ("zoom", [], j({"event": "meeting.started"}), "meeting.started"),
        ("sentry", [("Sentry-Hook-Resource", "issue")], j({"action": "created"}), "issue.created"),
        ("bitbucket", [("X-Event-Key", "repo:push")], b"{}", "repo:push"),
        ("meta", [], j({"object": "page"}), "page"),
        ("trello", [], j({"action": {"type": "updateCard"}}), "updateCard"),
        ("dropbox", [], j({"list_folder": {}}), None),
        ("stripe", [], b"not json", None),
        ("stripe", [], j([1, 2]), None),
        (None, [], j({"type": "x"}), None),
        ("nope", [], j({"type": "x"}), None),
    ],
)
def test_event_type(
    provider: str | None, headers: list[tuple[str, str]], body: bytes, expected: str | None
) -> None:
    assert registry.event_type(provider, headers, body) == expected


def test_verify_with_detection_and_unknown_provider() -> None:
    body = b"{}"
    headers = registry.get("github").sign(body, "s", 0)
    assert registry.verify(None, headers, body, "s", 0).ok
    v = registry.verify(None, [("Content-Type", "application/json")], body, "s", 0)
    assert (v.ok, v.reason) == (False, "unknown_provider")
    v = registry.verify("paypal", headers, body, "s", 0)
    assert v.reason == "unknown_provider" and "paypal" in v.message


@pytest.mark.parametrize("provider", ["square", "trello"])
def test_a_url_signing_profile_points_at_the_url_when_nothing_matches(provider: str) -> None:
    body = b'{"type": "x"}'
    headers = registry.get(provider).sign(body, "s", 0, url="https://a.example/hooks")
    assert registry.verify(provider, headers, body, "s", 0, url="https://a.example/hooks").ok
    v = registry.verify(provider, headers, body, "s", 0, url="http://a.example/hooks")
    assert (v.ok, v.reason) == (False, "no_match")
    assert "the URL and the body" in v.message and "--url" in (v.hint or "")
    v = registry.get("github").verify(registry.get("github").sign(body, "s", 0), b"{}", "s", 0)
    assert v.hint == "wrong secret, or the body changed after signing"  # no URL signed


def test_describe_lists_every_provider_with_events() -> None:
    from hookcli.events.providers import describe

    rows = {r.name: r for r in describe()}
    assert list(rows) == list(registry.NAMES)
    assert "payment_intent.succeeded" in rows["stripe"].events
    assert "orders/create" in rows["shopify"].events
    assert rows["stripe"].headers == ("Stripe-Signature",)
    assert all(r.title and r.events for r in rows.values())
    assert all(r.source == "built-in" for r in rows.values())
    assert rows["github"].docs.startswith("https://docs.github.com/")


@pytest.mark.parametrize("provider", sorted(registry.NEVER_DETECTED - {"hmac"}))
def test_providers_with_only_a_generic_header_are_never_detected(provider: str) -> None:
    from hookcli.events.builder import build

    req = build(provider, secret="s", url="http://127.0.0.1:9000/hooks")
    assert req.provider == provider  # a fabricated one says whose it is
    assert registry.detect(req.headers, req.body) in (None, "standard")
