"""Linear: ``Linear-Signature: <hex HMAC-SHA256(secret, body)>``, no prefix.

The freshness of a delivery is not in a header but inside the signed body:
``webhookTimestamp`` (Unix milliseconds). As in @linear/sdk's ``LinearWebhooks``, it must
be within 60 s of now in either direction, and the signature is checked first. Re-signing
therefore rewrites that number in the body (and nothing else of it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    check_age,
    json_object,
    missing,
    no_match,
    same,
    text_field,
    with_age,
)

HEADER = "Linear-Signature"
FIELD = "webhookTimestamp"
_STAMP = re.compile(rb'("webhookTimestamp"\s*:\s*)(-?\d+(?:\.\d+)?)')


def _signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class LinearScheme(Scheme):
    name = "linear"
    title = "Linear (hex HMAC-SHA256 of the body; webhookTimestamp in the body, 60 s)"
    docs = "https://linear.app/developers/webhooks"
    headers = (HEADER,)
    detect_headers = ("linear-signature",)
    default_tolerance = 60
    delivery_id_headers = ("linear-delivery",)

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return [(HEADER, _signature(secret, body))]

    def prepare_body(self, body: bytes, secret: str, now: int) -> bytes:
        """BODY with ``webhookTimestamp`` set to NOW in milliseconds: the number is replaced
        in place, so the rest of the bytes stay as they were."""
        stamp = str(now * 1000).encode()
        if _STAMP.search(body):
            return _STAMP.sub(lambda m: m.group(1) + stamp, body, count=1)
        doc = json_object(body)
        if doc is None:
            return body
        doc[FIELD] = now * 1000
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
        given = (hdr.get(headers, HEADER) or "").strip()
        if not given:
            return missing(HEADER)

        def matches(payload: bytes) -> bool:
            return same(_signature(secret, payload), given)

        if not matches(body):
            return no_match(f"{HEADER} does not match the body", body, matches)
        tol = self.tolerance_for(tolerance)
        if tol is None:
            return Verdict.valid()
        doc = json_object(body)
        raw = doc.get(FIELD) if doc else None
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return Verdict.fail(
                "malformed_header",
                f"the body has no numeric {FIELD} (Unix milliseconds) to check freshness",
                "Linear puts it in every delivery body",
            )
        ts = int(raw) // 1000
        age = check_age(ts, now, tol, both_directions=True)
        return with_age(age, ts, signature_ok=True) if age else Verdict.valid()

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        doc = json_object(body)
        kind, action = text_field(doc, "type"), text_field(doc, "action")
        return f"{kind}.{action}" if kind and action else kind
