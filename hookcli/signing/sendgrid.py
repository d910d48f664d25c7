"""SendGrid's Event Webhook: ECDSA P-256 with SHA-256 over ``{timestamp}{body}``.

``X-Twilio-Email-Event-Webhook-Signature: <base64 DER ECDSA signature>`` and
``X-Twilio-Email-Event-Webhook-Timestamp: <Unix seconds>``; the signed bytes are the
timestamp followed by the raw body, with nothing between. The receiver holds the
verification key SendGrid shows (Settings > Mail Settings > Event Webhook > Signature
Verification: base64 DER SubjectPublicKeyInfo), so ``verify --secret`` takes that; to sign,
``fabricate --secret`` takes a P-256 private key of the user's (``@key.pem`` or the PEM
text) and prints its public key in SendGrid's format. As in the official library
(sendgrid-python ``helpers/eventwebhook``), no freshness check by default. ECDSA signatures
are randomized: two signatures of the same bytes differ, and both verify.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from hookcli.model.headers import HeaderList
from hookcli.signing import pubkey
from hookcli.signing.base import (
    Scheme,
    Verdict,
    judged,
    signature_and_timestamp,
)

SIG_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TS_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
_VERIFY_HINT = (
    "verify takes the Verification Key from SendGrid (Mail Settings > Event Webhook > "
    "Signature Verification)"
)
_SIGN_HINT = (
    "fabricate takes a P-256 private key, e.g. @key.pem from "
    "`openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt`"
)


def _json_events(body: bytes) -> list[object]:
    import json

    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    return doc if isinstance(doc, list) else []


class SendgridScheme(Scheme):
    name = "sendgrid"
    title = "SendGrid (ECDSA P-256 over ts+body, base64; verify: public key)"
    public_key = True
    docs = (
        "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/"
        "getting-started-event-webhook-security-features"
    )
    headers = (SIG_HEADER, TS_HEADER)
    detect_headers = ("x-twilio-email-event-webhook-signature",)
    default_tolerance = None

    def secret_problem(self, secret: str) -> Verdict | None:
        pubkey.p256_public(secret, self.name, _VERIFY_HINT)  # a usage error, not a verdict
        return None

    def signing_note(self, secret: str) -> str | None:
        key = pubkey.p256_private(secret, self.name, _SIGN_HINT)
        return f"sendgrid verification key for this key: {pubkey.spki_b64(key)}"

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        key = pubkey.p256_private(secret, self.name, _SIGN_HINT)
        ts = str(now)
        sig = key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
        return [(SIG_HEADER, base64.b64encode(sig).decode("ascii")), (TS_HEADER, ts)]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        pair = signature_and_timestamp(headers, SIG_HEADER, TS_HEADER)
        if isinstance(pair, Verdict):
            return pair
        sig_text, ts_text = pair
        try:
            sig = base64.b64decode(sig_text, validate=True)
        except (binascii.Error, ValueError):
            return Verdict.fail("malformed_header", f"malformed {SIG_HEADER} header: not base64")
        public = pubkey.p256_public(secret, self.name, _VERIFY_HINT)

        def matches(payload: bytes) -> bool:
            try:
                public.verify(sig, ts_text.encode() + payload, ec.ECDSA(hashes.SHA256()))
            except (InvalidSignature, ValueError):
                return False
            return True

        return judged(
            matches,
            body,
            ts_text,
            TS_HEADER,
            now,
            self.tolerance_for(tolerance),
            f"{SIG_HEADER} is not a valid signature of timestamp + body",
            "wrong verification key, or the body or timestamp changed after signing",
        )

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        """The event of the first item of the batch (a JSON array of events)."""
        events = _json_events(body)
        first = events[0] if events else None
        kind = first.get("event") if isinstance(first, dict) else None
        return kind if isinstance(kind, str) and kind else None
