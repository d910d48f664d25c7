"""The official verifiers of the providers the grown profile language describes, each read
from the SDK's source (the module is named next to each call): does the provider's own
library accept this request? H holds the request's headers with lower-case names."""

from __future__ import annotations

MORE_LIBRARIES = {
    "workos": "workos",
    "elevenlabs": "elevenlabs",
    "openai": "openai",
    "replicate": "replicate",
    "lithic": "lithic",
    "orb": "orb-billing",
    "modern-treasury": "modern-treasury",
    "box": "box-sdk-gen",
    "hubspot": "hubspot-api-client",
    "hubspot-v1": "hubspot-api-client",
    "hubspot-v2": "hubspot-api-client",
}


def accepts_more(
    provider: str, h: dict[str, str], body: bytes, secret: str, url: str | None
) -> bool:
    if provider == "workos":
        # workos/webhooks/_verification.py: verify_header raises ValueError
        from workos.webhooks._verification import verify_header

        try:
            verify_header(
                event_body=body, event_signature=h.get("workos-signature", ""), secret=secret
            )
        except ValueError:
            return False
        return True
    if provider == "elevenlabs":
        # elevenlabs/webhooks_custom.py: WebhooksClient.construct_event raises BadRequestError
        from elevenlabs.errors import BadRequestError
        from elevenlabs.webhooks_custom import WebhooksClient

        client = WebhooksClient.__new__(WebhooksClient)  # construct_event uses no client state
        try:
            client.construct_event(body.decode(), h.get("elevenlabs-signature", ""), secret)
        except BadRequestError:
            return False
        return True
    if provider in ("openai", "lithic", "orb"):
        return _stainless(provider, h, body, secret)
    if provider == "replicate":
        # replicate/webhook.py: Webhooks.validate raises on any failure
        from replicate.webhook import Webhooks, WebhookSigningSecret

        try:
            Webhooks.validate(
                headers=h, body=body.decode(), secret=WebhookSigningSecret(key=secret)
            )
        except Exception:  # its errors share no base class but Exception
            return False
        return True
    if provider == "modern-treasury":
        # modern_treasury/resources/webhooks.py: Webhooks.validate_signature
        from modern_treasury import ModernTreasury

        client = ModernTreasury(api_key="k", organization_id="o", webhook_key=secret)
        return bool(client.webhooks.validate_signature(body.decode(), h))
    if provider == "box":
        # box_sdk_gen/managers/webhooks.py: WebhooksManager.validate_message (10 min max age)
        from box_sdk_gen.managers.webhooks import WebhooksManager

        return bool(WebhooksManager.validate_message(body.decode(), h, secret))
    if provider.startswith("hubspot"):
        return _hubspot(provider, h, body, secret, url or "")
    raise AssertionError(provider)


def _stainless(provider: str, h: dict[str, str], body: bytes, secret: str) -> bool:
    """openai, lithic and orb-billing: client.webhooks.verify_signature raises when the
    request is not theirs (openai/lib/_webhooks.py, lithic/resources/webhooks.py,
    orb/resources/webhooks/webhooks.py)."""
    if provider == "openai":
        from openai import OpenAI

        client: object = OpenAI(api_key="k", webhook_secret=secret)
    elif provider == "lithic":
        from lithic import Lithic

        client = Lithic(api_key="k", webhook_secret=secret)
    else:
        from orb import Orb

        client = Orb(api_key="k", webhook_secret=secret)
    try:
        client.webhooks.verify_signature(body, h, secret=secret)  # type: ignore[attr-defined]
    except Exception:  # each SDK raises its own error (or ValueError)
        return False
    return True


def _hubspot(provider: str, h: dict[str, str], body: bytes, secret: str, url: str) -> bool:
    # hubspot/utils/signature.py: Signature.is_valid (v3 raises on a stale timestamp)
    from hubspot.exceptions import InvalidSignatureTimestampError
    from hubspot.utils.signature import Signature

    version = {"hubspot": "v3", "hubspot-v1": "v1", "hubspot-v2": "v2"}[provider]
    header = "x-hubspot-signature-v3" if version == "v3" else "x-hubspot-signature"
    try:
        return Signature.is_valid(
            signature=h.get(header, ""),
            client_secret=secret,
            request_body=body.decode(),
            http_uri=url,
            http_method="POST",
            signature_version=version,
            timestamp=h.get("x-hubspot-request-timestamp"),
        )
    except InvalidSignatureTimestampError:
        return False
