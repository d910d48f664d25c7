"""Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>``.

The HMAC-SHA256 key is the whole ``whsec_...`` string as UTF-8 (not base64-decoded), the
signed payload is ``f"{t}.{body}"``, any ``v1`` entry may match (one per active secret
during a roll), ``v0`` entries are ignored, and the tolerance rejects only old timestamps —
exactly what stripe-python's ``WebhookSignature.verify_header`` does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    check_age,
    missing,
    no_match,
    parse_timestamp,
    same,
    with_age,
)

HEADER = "Stripe-Signature"


def _signature(secret: str, ts: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


def _parse(value: str) -> tuple[str | None, list[str], list[str]]:
    """(t, v1 signatures, other schemes seen) from a header value; tolerant of spaces."""
    ts: str | None = None
    v1: list[str] = []
    other: list[str] = []
    for item in value.split(","):
        key, sep, val = item.partition("=")
        key, val = key.strip(), val.strip()
        if not sep or not key:
            continue
        if key == "t":
            ts = ts if ts is not None else val
        elif key == "v1":
            v1.append(val)
        else:
            other.append(key)
    return ts, v1, other


class StripeScheme(Scheme):
    name = "stripe"
    title = "Stripe (t=,v1= HMAC-SHA256 hex, key = whole whsec_ string)"
    headers = (HEADER,)
    detect_headers = ("stripe-signature",)
    default_tolerance = 300

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return [(HEADER, f"t={now},v1={_signature(secret, now, body)}")]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        values = hdr.get_all(headers, HEADER)
        if not values or not any(v.strip() for v in values):
            return missing(HEADER)
        ts_text, sigs, other = _parse(",".join(values))
        if ts_text is None:
            return Verdict.fail("malformed_header", f"malformed {HEADER} header: no t= part")
        ts = parse_timestamp(ts_text, HEADER)
        if isinstance(ts, Verdict):
            return ts
        if not sigs:
            found = ", ".join(f"{k}=" for k in other) or "nothing"
            return Verdict.fail(
                "malformed_header",
                f"malformed {HEADER} header: no v1= signature (found {found})",
                "only v1 signatures are verified, as in Stripe's libraries",
            )

        def matches(payload: bytes) -> bool:
            expected = _signature(secret, ts, payload)
            return any([same(expected, s) for s in sigs])  # no short-circuit: constant work

        if not matches(body):
            verdict = no_match(f"no v1 signature in {HEADER} matches the body", body, matches)
            if not secret.startswith("whsec_"):
                return Verdict.fail(
                    "no_match",
                    verdict.message,
                    (verdict.hint or "") + "; Stripe signing secrets start with whsec_",
                )
            return verdict
        age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=False)
        if age:
            return with_age(age, ts, signature_ok=True)
        return Verdict.valid()
