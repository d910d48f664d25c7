"""Where a provider's official SDK can sign, hookcli's verify accepts what it signed (the
verifiers' side, hookcli signing and the SDK accepting, is in test_signing_official.py
and the round trip through a real receiver)."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks
from box_sdk_gen.internal.utils import compute_webhook_signature
from hubspot.utils.signature import Signature
from modern_treasury import ModernTreasury

from hookcli.signing import registry

BODY = '{"id":"evt_1","type":"invoice.paid","data":{"object":{"n":"Zoë"}}}'
URL = "https://example.ngrok.app/hooks/x?y=1"
WHSEC = "whsec_" + base64.b64encode(b"hookcli-sdk-signed-key-0123456789").decode()


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_hubspot_sdk_signature_verifies(version: str) -> None:
    now = int(time.time())
    ms = str(now * 1000)
    sig = Signature.get_signature("client-secret", BODY, version, URL, "POST", ms)
    provider = {"v1": "hubspot-v1", "v2": "hubspot-v2", "v3": "hubspot"}[version]
    header = "X-HubSpot-Signature-v3" if version == "v3" else "X-HubSpot-Signature"
    headers = [(header, sig), ("X-HubSpot-Request-Timestamp", ms)]
    scheme = registry.get(provider)
    assert scheme.verify(headers, BODY.encode(), "client-secret", now, url=URL).ok
    assert not scheme.verify(headers, BODY.encode(), "another-secret", now, url=URL).ok


def test_modern_treasury_sdk_signature_verifies() -> None:
    client = ModernTreasury(api_key="k", organization_id="o", webhook_key="mt-key")
    headers = [("X-Signature", client.webhooks.get_signature(BODY))]
    assert registry.get("modern-treasury").verify(headers, BODY.encode(), "mt-key", 0).ok


def test_box_sdk_signature_verifies() -> None:
    now = int(time.time())
    stamp = datetime.fromtimestamp(now, UTC).isoformat()
    sent = {
        "box-signature-version": "1",
        "box-signature-algorithm": "HmacSHA256",
        "box-delivery-timestamp": stamp,
    }
    sig = compute_webhook_signature(BODY, sent, "primary-key")
    assert sig
    headers = [*sent.items(), ("box-signature-primary", sig)]
    assert registry.get("box").verify(headers, BODY.encode(), "primary-key", now).ok


@pytest.mark.parametrize(
    ("provider", "prefix"),
    [
        ("openai", "webhook-"),
        ("replicate", "webhook-"),
        ("lithic", "webhook-"),
        ("resend", "svix-"),
        ("clerk", "svix-"),
        ("polar", "webhook-"),
    ],
)
def test_standard_webhooks_library_signature_verifies(provider: str, prefix: str) -> None:
    """The standardwebhooks library is what Lithic's SDK verifies with and what Svix
    signs as; Polar's SDK hands it the base64 of the raw polar_whs_ secret."""
    now = int(time.time())
    secret = "polar_whs_hookcliPolarSecret" if provider == "polar" else WHSEC
    lib_secret = base64.b64encode(secret.encode()).decode() if provider == "polar" else secret
    sig = standardwebhooks.Webhook(lib_secret).sign(
        "msg_sdk", datetime.fromtimestamp(now, UTC), BODY
    )
    headers = [
        (prefix + "id", "msg_sdk"),
        (prefix + "timestamp", str(now)),
        (prefix + "signature", sig),
    ]
    assert registry.get(provider).verify(headers, BODY.encode(), secret, now).ok
