"""Paddle Billing: ``Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256(secret, ts + ":" + body)>``.

As in paddle-python-sdk's ``Notifications.Verifier``: the key is the endpoint's secret
(``pdl_ntfset_...``) as UTF-8, any ``h1`` may match (several during a secret rotation), and
the timestamp is checked first, in both directions, with a default tolerance of 5 seconds.
"""

from __future__ import annotations

from hookcli.signing.keyed import KeyedListScheme

HEADER = "Paddle-Signature"


class PaddleScheme(KeyedListScheme):
    name = "paddle"
    title = "Paddle Billing (ts=;h1= HMAC-SHA256 hex over ts:body, 5 s tolerance)"
    docs = "https://developer.paddle.com/webhooks/signature-verification"
    headers = (HEADER,)
    detect_headers = ("paddle-signature",)
    default_tolerance = 5
    header = HEADER
    item_separator = ";"
    ts_key = "ts"
    sig_key = "h1"
    joiner = ":"
    both_directions = True
    signature_first = False
    event_field = "event_type"
