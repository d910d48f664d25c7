"""The one way to reach a signature scheme: by name, or by detection from header names.

Used by verify, fabricate, replay --resign, the catch server's live check and ls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from hookcli.errors import UsageError
from hookcli.model import headers as hdr
from hookcli.signing.base import Scheme, Verdict
from hookcli.signing.github import GitHubScheme
from hookcli.signing.hmac_generic import HmacScheme
from hookcli.signing.shopify import ShopifyScheme
from hookcli.signing.slack import SlackScheme
from hookcli.signing.standard import StandardScheme
from hookcli.signing.stripe import StripeScheme
from hookcli.signing.twilio import TwilioScheme

NAMES: tuple[str, ...] = ("stripe", "github", "shopify", "slack", "twilio", "standard", "hmac")
ALIASES: dict[str, str] = {"svix": "standard"}

_SCHEMES: dict[str, type[Scheme]] = {
    "stripe": StripeScheme,
    "github": GitHubScheme,
    "shopify": ShopifyScheme,
    "slack": SlackScheme,
    "twilio": TwilioScheme,
    "standard": StandardScheme,
}
# Detection order: the most specific header sets first; hmac is never detected. Schemes
# hold no state, so detection (once per captured request) reuses one instance of each.
_DETECT_ORDER = ("stripe", "github", "shopify", "slack", "twilio", "standard")
_BY_HEADER: dict[str, tuple[int, str]] = {}
for _rank, _key in enumerate(_DETECT_ORDER):
    for _name in _SCHEMES[_key].detect_headers:
        _BY_HEADER.setdefault(_name, (_rank, _key))


def _unknown(name: str) -> UsageError:
    known = ", ".join((*NAMES, *ALIASES))
    return UsageError(f"unknown provider {name!r}", f"known providers: {known}")


def canonical(name: str) -> str:
    """The CLI name for NAME (case-insensitive, aliases resolved); UsageError if unknown."""
    low = name.strip().lower()
    low = ALIASES.get(low, low)
    if low not in NAMES:
        raise _unknown(name)
    return low


def get(name: str, options: Mapping[str, Any] | None = None) -> Scheme:
    """The scheme for provider NAME; OPTIONS configure the ``hmac`` scheme only."""
    key = canonical(name)
    if key == "hmac":
        return HmacScheme(options)
    return _SCHEMES[key]()


def detect(headers: Sequence[tuple[str, str]]) -> str | None:
    """The provider whose signature headers are present (by name, any case), else None."""
    # one dictionary look-up per header: this runs for every captured request
    found = [_BY_HEADER[k.lower()] for k, _ in headers if k.lower() in _BY_HEADER]
    return min(found)[1] if found else None


def verify(
    provider: str | None,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    secret: str,
    now: int,
    tolerance: int | None = None,
    url: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Verdict:
    """Verify with PROVIDER's scheme (detected from HEADERS when None); an unknown or
    undetectable provider is an ``unknown_provider`` verdict rather than an exception."""
    name = provider or detect(headers)
    if name is None:
        known = ", ".join(NAMES)
        return Verdict.fail(
            "unknown_provider",
            "no known provider's signature headers are present",
            f"name the provider with --provider ({known})",
        )
    try:
        scheme = get(name, options)
    except UsageError as exc:
        return Verdict.fail("unknown_provider", exc.message, exc.hint)
    return scheme.verify(headers, body, secret, now, tolerance, url)


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def event_type(provider: str | None, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
    """The provider's event name for a request, or None when it has none."""
    if provider is None:
        return None
    try:
        key = canonical(provider)
    except UsageError:
        return None
    doc = _json(body)
    if key == "github":
        event = (hdr.get(headers, "X-GitHub-Event") or "").strip()
        if not event:
            return None
        action = _str(doc.get("action")) if doc else None
        return f"{event}.{action}" if action else event
    if key == "shopify":
        topic = hdr.get(headers, "X-Shopify-Topic") or hdr.get(headers, "shopify-topic")
        return (topic.strip() or None) if topic else None
    if key == "slack":
        if doc is None:
            return None
        if doc.get("type") == "event_callback" and isinstance(doc.get("event"), dict):
            return _str(doc["event"].get("type"))
        return _str(doc.get("type"))
    if key == "twilio":
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return None
        return (
            _str(form.get("MessageStatus"))
            or _str(form.get("CallStatus"))
            or _str(form.get("SmsStatus"))
        )
    if key in ("stripe", "standard", "hmac"):
        return _str(doc.get("type")) if doc else None
    return None


@dataclass(frozen=True)
class ProviderInfo:
    """One row of ``hookcli providers``."""

    name: str
    title: str
    headers: tuple[str, ...]
    events: tuple[str, ...]


def describe() -> list[ProviderInfo]:
    """Every provider with its scheme, signature headers and built-in events."""
    from hookcli.events import catalog  # events builds on signing; imported lazily

    rows = []
    for name in NAMES:
        scheme = get(name)
        events = tuple(catalog.list_events(name))
        rows.append(ProviderInfo(name, scheme.title, scheme.headers, events))
    return rows
