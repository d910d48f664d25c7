"""Mailgun: the signature travels in the JSON body, not in a header::

    {"signature": {"timestamp": "1700000000", "token": "<50 random characters>",
                   "signature": "<hex HMAC-SHA256(signing key, timestamp + token)>"},
     "event-data": {"event": "delivered", ...}}

Only the timestamp and the token are signed, so the rest of the body is not protected by
it (Mailgun's own advice is to also refuse a token seen before). No freshness check by
default, as in Mailgun's documentation; ``--tolerance`` adds one in both directions.
Re-signing writes a fresh timestamp, token and signature into the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from typing import Any

from hookcli.errors import UsageError
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    check_age,
    json_object,
    parse_timestamp,
    same,
    text_field,
    with_age,
)

FIELDS = ("timestamp", "token", "signature")


def signature(secret: str, timestamp: str, token: str) -> str:
    content = (timestamp + token).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest()


def _malformed(message: str) -> Verdict:
    return Verdict.fail(
        "malformed_header",
        message,
        "Mailgun signs inside the JSON body: signature.timestamp, .token and .signature",
    )


class MailgunScheme(Scheme):
    name = "mailgun"
    title = "Mailgun (in the body: signature.signature = hex HMAC-SHA256 of timestamp+token)"
    docs = "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks"
    headers = ()
    default_tolerance = None

    def detect_body(self, body: bytes) -> bool:
        """Mailgun sends no header of its own: a JSON body with a signature object and
        event-data is its. A cheap byte test first, as this runs for undetected requests."""
        if b'"event-data"' not in body or b'"signature"' not in body:
            return False
        doc = json_object(body)
        return doc is not None and isinstance(doc.get("signature"), dict)

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return []

    def prepare_body(self, body: bytes, secret: str, now: int) -> bytes:
        """BODY with a fresh signature object for NOW (a new 50-character token)."""
        doc = json_object(body)
        if doc is None:
            raise UsageError(
                "mailgun signs fields inside a JSON object body, and this body is not one",
                'give a JSON body such as {"event-data": {"event": "delivered"}}',
            )
        ts, token = str(now), secrets.token_hex(25)
        sig: Any = doc.get("signature")
        sig = dict(sig) if isinstance(sig, dict) else {}
        sig.update(timestamp=ts, token=token, signature=signature(secret, ts, token))
        doc["signature"] = sig
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        doc = json_object(body)
        if doc is None:
            return _malformed("the body is not a JSON object, so it has no signature object")
        sig = doc.get("signature")
        if not isinstance(sig, dict):
            return _malformed("the body has no signature object")
        values = {k: sig.get(k) for k in FIELDS}
        absent = [f"signature.{k}" for k, v in values.items() if not isinstance(v, str | int)]
        if absent:
            return _malformed(f"the body's signature object has no {', '.join(absent)}")
        ts_text, token, given = (str(values[k]).strip() for k in FIELDS)
        ts = parse_timestamp(ts_text, "signature.timestamp")
        if isinstance(ts, Verdict):
            return ts
        ok = same(signature(secret, ts_text, token), given)
        age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=True)
        if age:
            return with_age(age, ts, ok)
        if ok:
            return Verdict.valid()
        return Verdict.fail(
            "no_match",
            "signature.signature does not match signature.timestamp + signature.token",
            "wrong webhook signing key (Mailgun: Sending > Webhooks > HTTP webhook signing key)",
        )

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        return text_field(json_object(body), "event-data.event")
