"""Shopify: ``X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, body))``, no timestamp.

Newer deliveries also carry the same value under the lower-case, un-prefixed
``shopify-hmac-sha256`` name; either is accepted. The base64 strings are compared, so a
hex digest of the right MAC still fails, as in Shopify's libraries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import Scheme, Verdict, missing, no_match, same

HEADER = "X-Shopify-Hmac-Sha256"
NEW_HEADER = "shopify-hmac-sha256"


def _signature(secret: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


class ShopifyScheme(Scheme):
    name = "shopify"
    title = "Shopify (base64 HMAC-SHA256 of the body)"
    headers = (HEADER, NEW_HEADER)
    detect_headers = ("x-shopify-hmac-sha256", "shopify-hmac-sha256", "x-shopify-topic")
    delivery_id_headers = ("x-shopify-webhook-id", "shopify-webhook-id")

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return [(HEADER, _signature(secret, body))]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        for name in (HEADER, NEW_HEADER):
            value = hdr.get(headers, name)
            if value is not None and value.strip():
                break
        else:
            return missing(HEADER)
        given = value.strip()

        def matches(payload: bytes) -> bool:
            return same(_signature(secret, payload), given)

        if matches(body):
            return Verdict.valid()
        return no_match(f"{name} does not match the body", body, matches)
