"""Telnyx: Ed25519 over ``{timestamp}|{body}``.

``Telnyx-Signature-Ed25519: <base64 of the 64-byte signature>`` and ``Telnyx-Timestamp:
<Unix seconds>``; the signed bytes are the timestamp, a ``|`` and the raw body. The receiver
holds Telnyx's PUBLIC key (Mission Control > Keys & Credentials > Public Key: base64 of the
raw 32 bytes), so ``verify --secret`` takes that; to sign, ``fabricate --secret`` takes a
private key of the user's (a 32-byte seed in hex, or ``@key.pem``) and prints its public key.
As in the official SDKs (telnyx-python ``lib/webhook_verification.py``), a timestamp more
than 300 s away from now, either way, is refused.
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
    field,
    json_object,
    judged,
    parse_timestamp,
    signature_and_timestamp,
)

SIG_HEADER = "Telnyx-Signature-Ed25519"
TS_HEADER = "Telnyx-Timestamp"
_VERIFY_HINT = "verify takes the base64 Public Key from Telnyx Mission Control (Keys & Credentials)"
_SIGN_HINT = (
    "fabricate takes a private key: @key.pem, or a seed, e.g. "
    "`python -c 'import os; print(os.urandom(32).hex())'`"
)


class TelnyxScheme(Scheme):
    name = "telnyx"
    title = "Telnyx (Ed25519 over ts|body, base64; verify: public key base64)"
    public_key = True
    docs = "https://developers.telnyx.com/docs/development/sdk/python/webhooks"
    headers = (SIG_HEADER, TS_HEADER)
    detect_headers = ("telnyx-signature-ed25519",)
    default_tolerance = 300
    event_field = "data.event_type"

    def secret_problem(self, secret: str) -> Verdict | None:
        pubkey.ed25519_public(secret, self.name, _VERIFY_HINT)  # a usage error, not a verdict
        return None

    def signing_note(self, secret: str) -> str | None:
        key = pubkey.ed25519_private(secret, self.name, _SIGN_HINT)
        return f"telnyx public key for this key: {pubkey.ed25519_public_b64(key)}"

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        key = pubkey.ed25519_private(secret, self.name, _SIGN_HINT)
        ts = str(now)
        sig = key.sign(ts.encode() + b"|" + body)
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

        pair = signature_and_timestamp(headers, SIG_HEADER, TS_HEADER)
        if isinstance(pair, Verdict):
            return pair
        sig_text, ts_text = pair
        try:
            sig = base64.b64decode(sig_text, validate=True)
        except (binascii.Error, ValueError):
            sig = b""
        if len(sig) != 64:
            return Verdict.fail(
                "malformed_header",
                f"malformed {SIG_HEADER} header: not base64 of 64 bytes (an Ed25519 signature)",
            )
        ts = parse_timestamp(ts_text, TS_HEADER)
        if isinstance(ts, Verdict):
            return ts
        public = pubkey.ed25519_public(secret, self.name, _VERIFY_HINT)

        def matches(payload: bytes) -> bool:
            try:
                public.verify(sig, ts_text.encode() + b"|" + payload)
            except InvalidSignature:
                return False
            return True

        return judged(
            matches,
            body,
            ts_text,
            TS_HEADER,
            now,
            self.tolerance_for(tolerance),
            f"{SIG_HEADER} is not a valid signature of timestamp|body",
            "wrong public key, or the body or timestamp changed after signing",
        )

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        kind = field(json_object(body), "data.event_type")
        return kind if isinstance(kind, str) and kind else None
