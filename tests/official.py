"""The providers' own verifiers from PyPI, behind one call: does the provider's library
accept this request? None where the provider publishes no Python verifier.

Test-only dependencies (pyproject's ``test`` extra): stripe, standardwebhooks, slack_sdk,
twilio, squareup, paddle-python-sdk, razorpay, discord-interactions (PyNaCl, so Discord is
checked by another Ed25519 implementation than the ``cryptography`` package we sign with),
workos, elevenlabs, openai, replicate, lithic, orb-billing, modern-treasury, box-sdk-gen,
hubspot-api-client (tests/official_more.py), and gidgethub (GitHub publishes no Python
SDK; gidgethub's ``Event.from_http`` is what a Python receiver uses: it checks
``X-Hub-Signature-256`` and reads the event from the headers), telnyx (its PyNaCl
Ed25519 verifier, which also refuses a timestamp 300 s off), sendgrid,
plivo, gocardless-pro and pusher (which also refuses a body whose time_ms is 300 s off).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from tests.official_more import MORE_LIBRARIES, accepts_more

#: providers whose official library is exercised here
LIBRARIES = {
    "stripe": "stripe",
    "standard": "standardwebhooks",
    "slack": "slack_sdk",
    "twilio": "twilio",
    "square": "squareup",
    "paddle": "paddle-python-sdk",
    "razorpay": "razorpay",
    "discord": "discord-interactions",
    **MORE_LIBRARIES,
    "github": "gidgethub",
    "telnyx": "telnyx",
    "sendgrid": "sendgrid",
    "plivo": "plivo",
    "gocardless": "gocardless-pro",
    "pusher": "pusher",
}


def accepts(
    provider: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    secret: str,
    url: str | None = None,
) -> bool | None:
    """SECRET is what the receiver holds (Discord: the application's public key, hex)."""
    h = {k.lower(): v for k, v in headers}
    if provider == "stripe":
        import stripe

        try:
            stripe.WebhookSignature.verify_header(
                body.decode(), h.get("stripe-signature", ""), secret, 300
            )
        except stripe.SignatureVerificationError:
            return False
        return True
    if provider == "standard":
        import standardwebhooks

        low = {k.replace("svix-", "webhook-"): v for k, v in h.items()}
        try:
            standardwebhooks.Webhook(secret).verify(body, low)
        except standardwebhooks.WebhookVerificationError:
            return False
        return True
    if provider == "slack":
        from slack_sdk.signature import SignatureVerifier

        return SignatureVerifier(secret).is_valid(
            body, h.get("x-slack-request-timestamp"), h.get("x-slack-signature")
        )
    if provider == "twilio":
        from twilio.request_validator import RequestValidator

        if "bodySHA256=" in (url or ""):
            params: object = body.decode()
        else:
            params = _Form(parse_qsl(body.decode(), keep_blank_values=True))
        return bool(RequestValidator(secret).validate(url, params, h.get("x-twilio-signature", "")))
    if provider == "square":
        from square.utils.webhooks_helper import verify_signature

        return verify_signature(
            request_body=body.decode(),
            signature_header=h.get("x-square-hmacsha256-signature", ""),
            signature_key=secret,
            notification_url=url or "",
        )
    if provider == "paddle":
        return _paddle(h, body, secret)
    if provider == "razorpay":
        import razorpay
        from razorpay.errors import SignatureVerificationError

        try:
            razorpay.Utility().verify_webhook_signature(
                body.decode(), h.get("x-razorpay-signature", ""), secret
            )
        except SignatureVerificationError:
            return False
        return True
    if provider in MORE_LIBRARIES:
        return accepts_more(provider, h, body, secret, url)
    if provider == "discord":
        import contextlib
        import io

        from discord_interactions import verify_key

        with contextlib.redirect_stdout(io.StringIO()):  # it prints the exception it swallows
            return bool(
                verify_key(
                    body,
                    h.get("x-signature-ed25519", ""),
                    h.get("x-signature-timestamp", ""),
                    secret,
                )
            )
    if provider == "github":
        from gidgethub import ValidationFailure
        from gidgethub.sansio import Event

        try:
            event = Event.from_http(h, body, secret=secret)
        except ValidationFailure:
            return False
        return event.event == h.get("x-github-event") and isinstance(event.data, dict)
    if provider == "telnyx":
        from telnyx.lib.webhook_verification import (
            WebhookVerificationError,
            verify_webhook_signature,
        )

        try:
            verify_webhook_signature(body, h, secret)
        except WebhookVerificationError:
            return False
        return True
    if provider == "sendgrid":
        from sendgrid.helpers.eventwebhook import EventWebhook

        return bool(
            EventWebhook(secret).verify_signature(
                body.decode(),
                h.get("x-twilio-email-event-webhook-signature", ""),
                h.get("x-twilio-email-event-webhook-timestamp", ""),
            )
        )
    if provider == "plivo":
        return _plivo(h, body, secret, url or "")
    if provider == "gocardless":
        from gocardless_pro import webhooks
        from gocardless_pro.errors import InvalidSignatureError

        try:
            webhooks.parse(body, secret, h.get("webhook-signature", ""))
        except InvalidSignatureError:
            return False
        except KeyError:  # the signature held; the body is not a batch of events
            return True
        return True
    if provider == "pusher":
        import pusher

        key = h.get("x-pusher-key") or "app-key"  # the app key the receiver was set up with
        client = pusher.Pusher(app_id="1", key=key, secret=secret)
        return client.validate_webhook(key, h.get("x-pusher-signature", ""), body) is not None
    return None


def _plivo(h: dict[str, str], body: bytes, secret: str, url: str) -> bool:
    import plivo

    if "x-plivo-signature-v3" not in h:
        return bool(
            plivo.utils.validate_signature(
                url, h.get("x-plivo-signature-v2-nonce", ""), h["x-plivo-signature-v2"], secret
            )
        )
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    return bool(
        plivo.utils.validate_v3_signature(
            "POST",
            url,
            h.get("x-plivo-signature-v3-nonce", ""),
            secret,
            h["x-plivo-signature-v3"],
            params,
        )
    )


class _Form(dict[str, str]):
    """Form fields with every value of a repeated name (RequestValidator asks getlist(),
    as it does of Django's QueryDict)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]


def _paddle(h: dict[str, str], body: bytes, secret: str) -> bool:
    from paddle_billing.Notifications import Secret, Verifier

    class Request:
        def __init__(self) -> None:
            self.body = body
            self.headers = {"Paddle-Signature": h.get("paddle-signature")}

    try:
        # the SDK's default window (5 s) would measure how busy this machine is between
        # signing and checking; a minute still refuses a stale delivery
        verifier = Verifier(maximum_variance=60)
        return bool(verifier.verify(Request(), Secret(secret)))  # type: ignore[arg-type]
    except (ConnectionRefusedError, ValueError):
        return False
