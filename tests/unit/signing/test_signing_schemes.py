"""Each verify reason, header tolerance (case, spaces, duplicates, several signatures),
secrets, and the hint for bodies re-serialized after signing."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from hookcli.errors import UsageError
from hookcli.signing import registry
from hookcli.signing.base import REASONS, RESERIALIZED_HINT, Verdict
from hookcli.signing.discord import public_key_hex
from tests import keys

NOW = 1_700_000_000
BODY = b'{"type": "invoice.paid", "data": {"amount": 2000}}'
STRIPE = "whsec_hookcliStripeTestSecret012345678"
STD = "whsec_" + base64.b64encode(b"hookcli-test-key-0123456789abcdef").decode()
SEED = hashlib.sha256(b"hookcli-discord-unit-seed").hexdigest()
SECRETS = {name: f"{name}-test-secret" for name in registry.NAMES}
SECRETS.update(stripe=STRIPE, standard=STD, discord=SEED)
#: keys that are base64 after whsec_ (Standard Webhooks senders), or base64 (Teams)
SECRETS.update({n: STD for n in ("openai", "replicate", "lithic", "resend", "clerk")})
SECRETS["microsoft-teams"] = base64.b64encode(b"hookcli-teams-security-token-0123").decode()
SECRETS["onfleet"] = "5f" * 32  # hex: its key is the decoded bytes
SECRETS["postmark"] = SECRETS["pipedrive"] = "hooks:pa55word"  # HTTP Basic user:password
SECRETS.update({n: keys.signing(n, s) for n, s in SECRETS.items() if n != "discord"})
#: providers whose receiver holds a public key (a wrong or empty one is a usage error)
ASYMMETRIC = set(keys.ASYMMETRIC)
URL = "https://example.com/hooks?x=1"
ALL = registry.NAMES
#: providers that send the secret itself (a token), signing nothing
TOKENS = ("gitlab", "buildkite-token", "telegram", "postmark", "pipedrive", "okta")
#: schemes that sign the body (Mailgun signs only a timestamp and token inside it)
BODY_SIGNED = tuple(n for n in ALL if n != "mailgun" and n not in TOKENS)


def verify_secret(provider: str) -> str:
    """What the receiver holds: the secret, or for a public-key scheme the public key."""
    if provider == "discord":
        return public_key_hex(SEED)
    return keys.receiving(provider, SECRETS[provider])


def request(
    provider: str, body: bytes = BODY, now: int = NOW
) -> tuple[list[tuple[str, str]], bytes]:
    """A signed request as the provider sends it: headers, and the body (Linear and Mailgun
    carry their timestamp or signature inside it)."""
    scheme = registry.get(provider)
    sent = scheme.prepare_body(body, SECRETS[provider], now)
    return scheme.sign(sent, SECRETS[provider], now, url=URL), sent


def signed(provider: str, body: bytes = BODY, now: int = NOW) -> list[tuple[str, str]]:
    return request(provider, body, now)[0]


def verify(
    provider: str, headers: list[tuple[str, str]], body: bytes = BODY, **kw: object
) -> Verdict:
    now = kw.pop("now", NOW)
    secret = kw.pop("secret", verify_secret(provider))
    return registry.get(provider).verify(headers, body, secret, now, url=URL, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", ALL)
def test_sign_then_verify_round_trips(provider: str) -> None:
    assert verify(provider, *request(provider)).ok


@pytest.mark.parametrize("provider", ALL)
def test_header_names_are_case_insensitive(provider: str) -> None:
    headers, body = request(provider)
    for change in (str.lower, str.upper):
        assert verify(provider, [(change(k), v) for k, v in headers], body).ok, change


@pytest.mark.parametrize("provider", ALL)
def test_extra_spaces_around_values_are_tolerated(provider: str) -> None:
    headers, body = request(provider)
    assert verify(provider, [(k, f"  {v} ") for k, v in headers], body).ok


@pytest.mark.parametrize("provider", BODY_SIGNED)
def test_missing_signature_header(provider: str) -> None:
    v = verify(provider, [("Content-Type", "application/json")], request(provider)[1])
    assert (v.ok, v.reason) == (False, "missing_header")
    assert "missing" in v.message


@pytest.mark.parametrize("provider", BODY_SIGNED)
def test_changed_body_is_no_match(provider: str) -> None:
    headers, body = request(provider)
    v = verify(provider, headers, body=body.replace(b"2000", b"2001"))
    assert (v.ok, v.reason) == (False, "no_match")


@pytest.mark.parametrize("provider", [n for n in ALL if n not in ASYMMETRIC])
def test_wrong_secret_is_no_match(provider: str) -> None:
    wrong = "whsec_" + base64.b64encode(b"another key").decode()
    if provider == "microsoft-teams":  # its key is plain base64: whsec_ is not base64
        wrong = wrong.removeprefix("whsec_")
    if provider == "onfleet":  # its key is hex
        wrong = "0a" * 32
    assert verify(provider, *request(provider), secret=wrong).reason == "no_match"


@pytest.mark.parametrize("provider", [n for n in ALL if n not in ASYMMETRIC])
def test_empty_secret_is_bad_secret(provider: str) -> None:
    v = verify(provider, *request(provider), secret="")
    assert (v.ok, v.reason) == (False, "bad_secret")


#: schemes that sign form fields, not the raw bytes: re-serialized JSON means nothing there
FORM_SIGNED = ("twilio", "mandrill", "plivo")


@pytest.mark.parametrize("provider", [n for n in BODY_SIGNED if n not in FORM_SIGNED])
def test_reserialized_json_body_gets_a_hint(provider: str) -> None:
    headers, body = request(
        provider, body=json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    )
    v = verify(provider, headers, body=json.dumps(json.loads(body), indent=2).encode())
    assert v.reason == "no_match" and v.hint == RESERIALIZED_HINT


def test_plain_mismatch_has_no_reserialization_hint() -> None:
    v = verify("github", signed("github"), body=b'{"other": 1}')
    assert v.hint != RESERIALIZED_HINT


def test_every_reason_is_documented_in_reasons() -> None:
    assert set(REASONS) >= {
        "missing_header",
        "malformed_header",
        "no_match",
        "timestamp_too_old",
        "timestamp_too_new",
        "unknown_provider",
        "bad_secret",
    }


# --- timestamps -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["stripe", "slack", "standard"])
def test_old_timestamp_says_by_how_much(provider: str) -> None:
    v = verify(provider, signed(provider, now=NOW - 700))
    assert (v.ok, v.reason) == (False, "timestamp_too_old")
    assert v.message == "timestamp is 700 s older than now; tolerance is 300 s"
    assert v.hint and f"--now {NOW - 700}" in v.hint


@pytest.mark.parametrize("provider", ["slack", "standard"])
def test_future_timestamp_is_refused_both_directions(provider: str) -> None:
    v = verify(provider, signed(provider, now=NOW + 400))
    assert (v.ok, v.reason) == (False, "timestamp_too_new")
    assert v.message == "timestamp is 400 s in the future; tolerance is 300 s"


def test_stripe_accepts_future_timestamps_like_stripe_python() -> None:
    assert verify("stripe", signed("stripe", now=NOW + 3600)).ok


def test_tolerance_can_be_widened() -> None:
    assert verify("stripe", signed("stripe", now=NOW - 700), tolerance=1000).ok
    assert verify("standard", signed("standard", now=NOW - 700), tolerance=1000).ok


def test_stale_and_wrong_signature_hint_says_signature_fails_too() -> None:
    v = verify("standard", signed("standard", now=NOW - 700), body=b"{}")
    assert v.reason == "timestamp_too_old"
    assert v.hint and "does not match either" in v.hint


@pytest.mark.parametrize(
    ("provider", "header"),
    [
        ("slack", "X-Slack-Request-Timestamp"),
        ("standard", "webhook-timestamp"),
    ],
)
def test_non_numeric_timestamp_is_malformed(provider: str, header: str) -> None:
    headers = [(k, "soon" if k == header else v) for k, v in signed(provider)]
    v = verify(provider, headers)
    assert v.reason == "malformed_header" and header in v.message


# --- Stripe -----------------------------------------------------------------------------


def test_stripe_header_without_t_is_malformed() -> None:
    (_, value), *_ = signed("stripe")
    v = verify("stripe", [("Stripe-Signature", value.split(",", 1)[1])])
    assert v.reason == "malformed_header"
    assert v.message == "malformed Stripe-Signature header: no t= part"


def test_stripe_header_with_only_v0_is_malformed() -> None:
    (_, value), *_ = signed("stripe")
    v = verify("stripe", [("Stripe-Signature", value.replace("v1=", "v0="))])
    assert v.reason == "malformed_header" and "v1" in v.message


def test_stripe_any_of_several_v1_entries_may_match_with_spaces() -> None:
    (_, value), *_ = signed("stripe")
    t, v1 = value.split(",")
    header = f"{t}, v1={'0' * 64} , {v1}, v0=abc"
    assert verify("stripe", [("stripe-signature", header)]).ok


def test_stripe_duplicate_headers_are_combined() -> None:
    (_, value), *_ = signed("stripe")
    t, v1 = value.split(",")
    assert verify("stripe", [("Stripe-Signature", t), ("Stripe-Signature", v1)]).ok


def test_stripe_secret_without_whsec_prefix_hint() -> None:
    v = verify("stripe", signed("stripe"), secret="sk_test_123")
    assert v.reason == "no_match" and v.hint and "whsec_" in v.hint


def test_stripe_key_is_whole_whsec_string_not_base64_decoded() -> None:
    headers = registry.get("standard").sign(BODY, STD, NOW)
    sig = dict(headers)["webhook-signature"]
    assert sig not in dict(registry.get("stripe").sign(BODY, STD, NOW))["Stripe-Signature"]


# --- GitHub / Shopify -------------------------------------------------------------------


def test_github_signs_both_headers_and_accepts_legacy_sha1_alone() -> None:
    headers = signed("github")
    assert {k for k, _ in headers} == {"X-Hub-Signature-256", "X-Hub-Signature"}
    sha1_only = [(k, v) for k, v in headers if k == "X-Hub-Signature"]
    v = verify("github", sha1_only)
    assert v.ok and "legacy" in v.message


def test_github_sha256_decides_when_present() -> None:
    headers = [
        (k, v if k == "X-Hub-Signature" else "sha256=" + "0" * 64) for k, v in signed("github")
    ]
    assert verify("github", headers).reason == "no_match"


def test_github_missing_prefix_is_malformed() -> None:
    headers = [("X-Hub-Signature-256", dict(signed("github"))["X-Hub-Signature-256"][7:])]
    v = verify("github", headers)
    assert v.reason == "malformed_header" and "sha256=" in v.message


def test_shopify_lower_case_new_header_is_accepted() -> None:
    value = dict(signed("shopify"))["X-Shopify-Hmac-Sha256"]
    assert verify("shopify", [("shopify-hmac-sha256", value)]).ok


def test_shopify_signature_header_names_cover_both_spellings() -> None:
    names = {n.lower() for n in registry.get("shopify").signature_header_names()}
    assert names == {"x-shopify-hmac-sha256", "shopify-hmac-sha256"}


def test_shopify_resign_drops_stale_new_style_header() -> None:
    old = [("X-Shopify-Topic", "orders/create"), ("shopify-hmac-sha256", "stale")]
    fresh = registry.get("shopify").resign(old, BODY, "shpss_secret", NOW)
    assert [k for k, _ in fresh] == ["X-Shopify-Topic", "X-Shopify-Hmac-Sha256"]
    assert verify("shopify", fresh, secret="shpss_secret").ok


# --- Slack ------------------------------------------------------------------------------


def test_slack_missing_timestamp_header() -> None:
    headers = [(k, v) for k, v in signed("slack") if k == "X-Slack-Signature"]
    v = verify("slack", headers)
    assert v.reason == "missing_header" and "X-Slack-Request-Timestamp" in v.message


def test_slack_signature_without_v0_is_malformed() -> None:
    headers = [(k, v.replace("v0=", "v1=")) for k, v in signed("slack")]
    assert verify("slack", headers).reason == "malformed_header"


# --- Standard Webhooks ------------------------------------------------------------------


def test_standard_msg_ids_are_fresh() -> None:
    a, b = dict(signed("standard")), dict(signed("standard"))
    assert a["webhook-id"].startswith("msg_") and a["webhook-id"] != b["webhook-id"]


def test_standard_uses_given_msg_id() -> None:
    headers = registry.get("standard").sign(BODY, STD, NOW, msg_id="msg_fixed")
    assert dict(headers)["webhook-id"] == "msg_fixed"


def test_standard_several_signatures_any_match() -> None:
    headers = signed("standard")
    sig = dict(headers)["webhook-signature"]
    multi = [
        (k, f"v1,{'A' * 44}  v1a,xyz {sig}" if k == "webhook-signature" else v) for k, v in headers
    ]
    assert verify("standard", multi).ok


def test_standard_no_v1_entry_is_malformed() -> None:
    headers = [(k, "v2,abc" if k == "webhook-signature" else v) for k, v in signed("standard")]
    v = verify("standard", headers)
    assert v.reason == "malformed_header" and "v2" in v.message


def test_standard_svix_header_names_verify() -> None:
    headers = [(k.replace("webhook-", "Svix-"), v) for k, v in signed("standard")]
    assert registry.detect(headers) == "standard"
    assert verify("standard", headers).ok


def test_standard_missing_headers_are_all_named() -> None:
    v = verify("standard", [("webhook-signature", "v1,abc")])
    assert v.reason == "missing_header"
    assert "webhook-id" in v.message and "webhook-timestamp" in v.message


@pytest.mark.parametrize("secret", ["whsec_not*base64!", "whsec_", "   "])
def test_standard_bad_secret_verdict(secret: str) -> None:
    v = verify("standard", signed("standard"), secret=secret)
    assert (v.ok, v.reason) == (False, "bad_secret")
    assert v.hint and "whsec_" in v.hint


def test_standard_stripe_style_secret_is_a_clear_error_when_signing() -> None:
    with pytest.raises(UsageError, match="whsec_"):
        registry.get("standard").sign(BODY, "whsec_acceptance_stripe_0123456789", NOW)


def test_standard_secret_without_prefix_and_padding_is_accepted() -> None:
    bare = STD.removeprefix("whsec_").rstrip("=")
    assert verify("standard", signed("standard"), secret=bare).ok


# --- Twilio -----------------------------------------------------------------------------


FORM = b"MessageSid=SM1&MessageStatus=delivered&Digits=2&Digits=1"


def test_twilio_form_params_are_signed_and_checked() -> None:
    headers = registry.get("twilio").sign(FORM, "tok", NOW, url=URL)
    form = [*headers, ("Content-Type", "application/x-www-form-urlencoded")]
    assert registry.get("twilio").verify(form, FORM, "tok", NOW, url=URL).ok
    changed = FORM.replace(b"delivered", b"failed")
    assert registry.get("twilio").verify(form, changed, "tok", NOW, url=URL).reason == "no_match"


def test_twilio_other_url_is_no_match_with_url_hint() -> None:
    headers = registry.get("twilio").sign(FORM, "tok", NOW, url=URL)
    v = registry.get("twilio").verify(headers, FORM, "tok", NOW, url=URL.replace("https", "http"))
    assert v.reason == "no_match" and v.hint and "URL" in v.hint


def test_twilio_without_url_is_missing_url() -> None:
    headers = registry.get("twilio").sign(FORM, "tok", NOW, url=URL)
    v = registry.get("twilio").verify(headers, FORM, "tok", NOW)
    assert v.reason == "missing_url"


def test_twilio_sign_requires_url() -> None:
    with pytest.raises(UsageError, match="URL"):
        registry.get("twilio").sign(FORM, "tok", NOW)


def test_twilio_sha256_settings_header() -> None:
    import base64 as b64
    import hashlib
    import hmac

    sig = b64.b64encode(hmac.new(b"tok", URL.encode(), hashlib.sha256).digest()).decode()
    headers = [
        ("X-Twilio-Signature", sig),
        ("X-Twilio-Webhooks-Signature-Settings", "key=ks_1,algorithm=HMAC_SHA256"),
    ]
    assert registry.get("twilio").verify(headers, b"", "tok", NOW, url=URL).ok


def test_a_timestamp_from_the_future_points_at_the_clocks_not_staleness() -> None:
    v = verify("slack", signed("slack", now=NOW + 700))
    assert v.reason == "timestamp_too_new"
    assert v.hint and "clock" in v.hint and "stale" not in v.hint
    old = verify("slack", signed("slack", now=NOW - 700))
    assert old.reason == "timestamp_too_old" and old.hint and "stale" in old.hint
