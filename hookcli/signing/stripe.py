"""Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>``.

The HMAC-SHA256 key is the whole ``whsec_...`` string as UTF-8 (not base64-decoded), the
signed payload is ``f"{t}.{body}"``, any ``v1`` entry may match (one per active secret
during a roll), ``v0`` entries are ignored, and the tolerance rejects only old timestamps —
exactly what stripe-python's ``WebhookSignature.verify_header`` does.
"""

from __future__ import annotations

from hookcli.signing.base import Verdict
from hookcli.signing.keyed import KeyedListScheme

HEADER = "Stripe-Signature"


class StripeScheme(KeyedListScheme):
    name = "stripe"
    title = "Stripe (t=,v1= HMAC-SHA256 hex, key = whole whsec_ string)"
    docs = "https://docs.stripe.com/webhooks#verify-manually"
    headers = (HEADER,)
    detect_headers = ("stripe-signature",)
    default_tolerance = 300
    header = HEADER
    item_separator = ","
    ts_key = "t"
    sig_key = "v1"
    joiner = "."
    both_directions = False
    signature_first = True

    def mismatch(self, verdict: Verdict, secret: str) -> Verdict:
        if secret.startswith("whsec_"):
            return verdict
        hint = (verdict.hint or "") + "; Stripe signing secrets start with whsec_"
        return Verdict.fail("no_match", verdict.message, hint)
