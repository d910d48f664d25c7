"""Mailchimp Transactional (Mandrill): ``X-Mandrill-Signature: base64(HMAC-SHA1(webhook
key, URL + sorted POST fields))``.

The string to sign is the webhook URL exactly as configured (query included), then each
POST field's name and value, sorted by name, with no separators: Twilio's construction
(:func:`hookcli.signing.twilio.string_to_sign`), but with the exact URL only (no default-port
variants). Mandrill posts one form field, ``mandrill_events``, a JSON array of events.
No timestamp is signed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing import twilio
from hookcli.signing.base import Scheme, Verdict, same, url_judged, url_to_sign
from hookcli.signing.twilio import form_params

HEADER = "X-Mandrill-Signature"
EVENTS_FIELD = "mandrill_events"


def signature(key: str, url: str, body: bytes) -> str:
    return twilio.signature(key, url, form_params(body))


class MandrillScheme(Scheme):
    name = "mandrill"
    title = "Mandrill (base64 HMAC-SHA1 over webhook URL + sorted POST fields)"
    docs = (
        "https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/"
        "#authenticating-webhook-requests"
    )
    headers = (HEADER,)
    detect_headers = ("x-mandrill-signature",)
    needs_url = True

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        url = url_to_sign(url, "mandrill signatures cover the webhook URL")
        return [(HEADER, signature(secret, url, body))]

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
        return url_judged(
            given,
            HEADER,
            url,
            lambda u: same(signature(secret, u, body), given),
            signs="mandrill signs the webhook URL",
            url_hint="pass the webhook URL exactly as configured in Mandrill with --url",
            mismatch=f"{HEADER} does not match {url} and the POST fields",
            mismatch_hint="wrong webhook key, a changed field, or not the webhook URL exactly "
            "as configured (a trailing slash, http vs https and the query all count)",
        )

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        """The event of the first item of ``mandrill_events``."""
        raw = dict(form_params(body)).get(EVENTS_FIELD)
        try:
            events = json.loads(raw) if raw else None
        except ValueError:
            return None
        first = events[0] if isinstance(events, list) and events else None
        kind = first.get("event") if isinstance(first, dict) else None
        return kind if isinstance(kind, str) and kind else None
