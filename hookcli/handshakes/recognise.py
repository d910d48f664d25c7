"""Which handshake a request is, from its shape alone: method, query, a header, a body
field. Runs for every request `listen` records, so a plain one costs a header-name scan
and two substring searches, never a JSON parse."""

from __future__ import annotations

import json
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from hookcli.handshakes import names
from hookcli.handshakes.names import Kind
from hookcli.model.capture import Capture


class Found(NamedTuple):
    kind: Kind
    value: str  # what the answer echoes or is computed from (challenge, token, secret)
    extra: str | None = None  # Meta's hub.verify_token


#: header names (lower-case) that start a handshake, or mark the sender of one
_HEADERS = frozenset(
    {
        "twitch-eventsub-message-type",
        "x-hook-secret",
        "x-okta-verification-challenge",
        "x-gcs-webhooks-endpoint-verification",
        "x-signature-ed25519",
        "x-xero-signature",
    }
)
#: the shortest of them: shorter names (Host, Content-Type...) are not even lower-cased
_SHORTEST = min(len(h) for h in _HEADERS)


def recognise(c: Capture) -> Found | None:
    """The handshake C is, or None."""
    seen: dict[str, str] | None = None
    for k, v in c.headers:
        if len(k) >= _SHORTEST and (low := k.lower()) in _HEADERS:
            if seen is None:
                seen = {}
            seen.setdefault(low, v)
    if seen is not None:
        found = _by_header(c, seen)
        if found is not None:
            return found
    if c.query:
        found = _by_query(c)
        if found is not None:
            return found
    # Slack's url_verification and Zoom's endpoint.url_validation: one search for what
    # both contain, before any parse
    if c.method == "POST" and b"url_v" in c.body:
        return _by_body(_json(c.body))
    return None


def _by_header(c: Capture, seen: dict[str, str]) -> Found | None:
    if seen.get("twitch-eventsub-message-type") == "webhook_callback_verification":
        challenge = _text(_json(c.body), "challenge")
        return Found(names.TWITCH, challenge) if challenge is not None else None
    if "x-hook-secret" in seen:
        return Found(names.ASANA, seen["x-hook-secret"])
    if c.method == "GET" and "x-okta-verification-challenge" in seen:
        return Found(names.OKTA, seen["x-okta-verification-challenge"])
    if c.method == "GET" and "x-gcs-webhooks-endpoint-verification" in seen:
        return Found(names.WORLDLINE, seen["x-gcs-webhooks-endpoint-verification"])
    if c.method == "POST" and "x-signature-ed25519" in seen:
        doc = _json(c.body)
        if doc is not None and doc.get("type") == 1 and doc.get("type") is not True:
            return Found(names.DISCORD, "")
    if c.method == "POST" and "x-xero-signature" in seen:
        doc = _json(c.body)
        if doc is not None and doc.get("events") == [] and "entropy" in doc:
            return Found(names.XERO, "")
    return None


def _by_query(c: Capture) -> Found | None:
    q = c.query
    if "challenge" not in q and "crc_token" not in q and "validationToken" not in q:
        return None
    params = parse_qs(q, keep_blank_values=True)

    def one(key: str) -> str | None:
        values = params.get(key)
        return values[0] if values else None

    if c.method == "GET":
        challenge = one("hub.challenge")
        if one("hub.mode") == "subscribe" and challenge is not None:
            return Found(names.META, challenge, one("hub.verify_token"))
        token = one("crc_token")
        if token is not None:
            return Found(names.TWITTER, token)
        challenge = one("challenge")
        if challenge is not None:
            return Found(names.DROPBOX, challenge)
    if c.method == "POST":
        token = one("validationToken")
        if token is not None:
            return Found(names.MSGRAPH, token)
    return None


def _by_body(doc: dict[str, Any] | None) -> Found | None:
    if doc is None:
        return None
    if doc.get("type") == "url_verification":
        challenge = _text(doc, "challenge")
        return Found(names.SLACK, challenge) if challenge is not None else None
    if doc.get("event") == "endpoint.url_validation":
        payload = doc.get("payload")
        token = _text(payload, "plainToken") if isinstance(payload, dict) else None
        return Found(names.ZOOM, token) if token is not None else None
    return None


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def _text(doc: dict[str, Any] | None, key: str) -> str | None:
    value = doc.get(key) if doc is not None else None
    return value if isinstance(value, str) else None
