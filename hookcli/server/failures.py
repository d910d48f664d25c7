"""Scripted failures (`listen --fail-first N`, `--fail-rate P --seed S`): which requests
get `--fail-status` instead of the usual answer, to watch a provider retry.

`--fail-first N` fails the first N attempts of each delivery. A delivery is known by the
id its provider gives it, which stays the same on every retry (the headers and body
fields below), else by its method, path and body. `--fail-rate P` fails each request
with probability P, drawn from a generator seeded with `--seed`, so a run with the same
seed and the same arrivals fails the same requests."""

from __future__ import annotations

import hashlib
import json
import random

from hookcli.model.capture import Capture

#: headers that carry a delivery's id, the same on each retry (lower-case), in the order
#: they are looked for: GitHub, Standard Webhooks (and Svix), Shopify (both spellings),
#: WooCommerce, Razorpay, Twitch EventSub
ID_HEADERS = (
    "x-github-delivery",
    "webhook-id",
    "svix-id",
    "x-shopify-webhook-id",
    "shopify-webhook-id",
    "x-wc-webhook-delivery-id",
    "x-razorpay-event-id",
    "twitch-eventsub-message-id",
)
#: senders whose id is in the body: (header that names the sender, body field)
ID_FIELDS = (("stripe-signature", "id"), ("x-slack-signature", "event_id"))
#: at most this many deliveries are remembered (the oldest are forgotten first)
MAX_DELIVERIES = 100_000


def delivery_key(c: Capture) -> str:
    """What identifies C's delivery across retries."""
    present = {k.lower(): v for k, v in c.headers}
    for name in ID_HEADERS:
        value = present.get(name)
        if value:
            return f"{name}: {value}"
    for header, field in ID_FIELDS:
        if header in present:
            value = _body_field(c.body, field)
            if value:
                return f"{field}: {value}"
    digest = hashlib.sha256(c.body).hexdigest()
    return f"{c.method} {c.path} {digest}"


def _body_field(body: bytes, field: str) -> str | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = doc.get(field) if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


class Failures:
    """Decides, request by request in arrival order, which ones fail."""

    def __init__(
        self, first: int = 0, status: int = 500, rate: float = 0.0, seed: int | None = None
    ):
        self.first = first
        self.status = status
        self.rate = rate
        self._random = random.Random(seed)
        self._attempts: dict[str, int] = {}

    def __bool__(self) -> bool:
        return self.first > 0 or self.rate > 0

    def decide(self, c: Capture) -> str | None:
        """Why C fails (`fail-first 1/2`, `fail-rate 0.3`), or None when it does not."""
        if self.first:
            key = delivery_key(c)
            attempts = self._attempts
            n = attempts.pop(key, 0) + 1  # re-inserted: the newest are forgotten last
            attempts[key] = n
            if len(attempts) > MAX_DELIVERIES:
                del attempts[next(iter(attempts))]
            if n <= self.first:
                return f"fail-first {n}/{self.first}"
        if self.rate and self._random.random() < self.rate:
            return f"fail-rate {self.rate:g}"
        return None
