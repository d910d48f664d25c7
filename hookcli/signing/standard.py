"""Standard Webhooks (and Svix, which uses ``svix-*`` header names).

``webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." + ts + "." + body)>``, where the
key is the base64-DECODED part of the secret after an optional ``whsec_`` prefix (unlike
Stripe, which uses the whole string). Several space-separated signatures may be sent (key
rotation): any ``v1`` match is enough, other versions are skipped. Timestamps more than
300 s away from now in either direction are refused, checked first as in the official
library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
from collections.abc import Sequence

from hookcli.errors import UsageError
from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    check_age,
    missing,
    no_match,
    parse_timestamp,
    with_age,
)

PREFIXES = ("webhook-", "svix-")
_ALPHABET = string.ascii_letters + string.digits
SECRET_HINT = (
    "Standard Webhooks secrets are 'whsec_' followed by base64, e.g. whsec_MfKQ9r8GKYqrTwjU"
)


def new_msg_id() -> str:
    """A fresh message id in the shape Svix uses: ``msg_`` + 27 base62 characters."""
    return "msg_" + "".join(secrets.choice(_ALPHABET) for _ in range(27))


def decode_secret(secret: str) -> bytes | None:
    """The HMAC key of a ``whsec_<base64>`` secret (prefix optional), or None if invalid."""
    text = secret.strip().removeprefix("whsec_")
    text += "=" * (-len(text) % 4)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def _bad_secret_message(secret: str) -> str:
    if not secret.strip():
        return "the secret is empty"
    return "the secret is not 'whsec_' followed by valid base64"


def _signature(key: bytes, msg_id: str, ts: str, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()


class StandardScheme(Scheme):
    name = "standard"
    title = "Standard Webhooks / Svix (v1,<base64 HMAC-SHA256>, key = base64 after whsec_)"
    docs = (
        "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md"
    )
    headers = ("webhook-id", "webhook-timestamp", "webhook-signature")
    detect_headers = ("webhook-signature", "svix-signature")
    default_tolerance = 300

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return self._sign(body, secret, now, msg_id or new_msg_id(), "webhook-")

    @staticmethod
    def _sign(body: bytes, secret: str, now: int, msg_id: str, prefix: str) -> HeaderList:
        key = decode_secret(secret)
        if key is None:
            raise UsageError(
                f"bad Standard Webhooks secret: {_bad_secret_message(secret)}", SECRET_HINT
            )
        sig = base64.b64encode(_signature(key, msg_id, str(now), body)).decode("ascii")
        return [
            (f"{prefix}id", msg_id),
            (f"{prefix}timestamp", str(now)),
            (f"{prefix}signature", f"v1,{sig}"),
        ]

    def signature_header_names(self) -> list[str]:
        return [p + n for p in PREFIXES for n in ("id", "timestamp", "signature")]

    def resign(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        method: str = "POST",
    ) -> HeaderList:
        """Keeps Svix header names on a capture that used them."""
        prefix = _prefix(headers)
        new = self._sign(body, secret, now, new_msg_id(), prefix)
        stale = {n for n in self.signature_header_names() if not n.startswith(prefix)}
        kept = [(k, v) for k, v in headers if k.lower() not in stale]
        return hdr.replace(kept, new)

    def secret_problem(self, secret: str) -> Verdict | None:
        if decode_secret(secret) is None:
            return Verdict.fail("bad_secret", _bad_secret_message(secret), SECRET_HINT)
        return None

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        key = decode_secret(secret)
        assert key is not None  # secret_problem() said so
        prefix = _prefix(headers)
        names = [prefix + n for n in ("id", "timestamp", "signature")]
        msg_id, ts_text, sig_value = ((hdr.get(headers, n) or "").strip() for n in names)
        absent = [n for n, v in zip(names, (msg_id, ts_text, sig_value), strict=True) if not v]
        if absent:
            return missing(*absent)
        ts = parse_timestamp(ts_text, names[1])
        if isinstance(ts, Verdict):
            return ts
        given: list[bytes] = []
        versions: list[str] = []
        for entry in sig_value.split():
            version, sep, b64 = entry.partition(",")
            versions.append(version)
            if sep and version == "v1":
                try:
                    given.append(base64.b64decode(b64, validate=True))
                except (binascii.Error, ValueError):
                    continue
        if not given:
            found = ", ".join(versions) or "nothing"
            return Verdict.fail(
                "malformed_header",
                f"malformed {names[2]} header: no valid v1,<base64> entry (found {found})",
            )

        def matches(payload: bytes) -> bool:
            expected = _signature(key, msg_id, str(ts), payload)
            return any([hmac.compare_digest(expected, g) for g in given])

        age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=True)
        if age:
            return with_age(age, ts, matches(body))
        if matches(body):
            return Verdict.valid()
        return no_match(f"no v1 signature in {names[2]} matches the body", body, matches)


def _prefix(headers: Sequence[tuple[str, str]]) -> str:
    present = hdr.names(headers)
    if any(n.startswith("webhook-") for n in present):
        return "webhook-"
    if any(n.startswith("svix-") for n in present):
        return "svix-"
    return "webhook-"
