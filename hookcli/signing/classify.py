"""Fill a capture's provider, event type and (given secrets) signature state.

Used by `listen` for every request, by `fabricate` for what it sends, and by `ls` when a
secret is configured. The secrets are only read here: only "valid"/"invalid" is stored."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hookcli.model import headers as hdr
from hookcli.model.capture import Capture
from hookcli.signing import registry


def request_url(capture: Capture, scheme: str = "http") -> str:
    """The URL the sender used, as well as the capture can tell (Twilio signs it)."""
    proto = hdr.get(capture.headers, "X-Forwarded-Proto") or scheme
    host = hdr.get(capture.headers, "X-Forwarded-Host") or hdr.get(capture.headers, "Host")
    return f"{proto.split(',')[0].strip()}://{host or 'localhost'}{capture.target}"


def signed_url(capture: Capture) -> str:
    """The URL the capture's signature was made for. A fabricated capture was signed by
    hookcli for the URL it was first sent to, which the headers cannot tell (https behind a
    tunnel, say); any other capture was signed by its sender for the URL it called, rebuilt
    from Host and X-Forwarded-*. Later replays send the stored bytes elsewhere without
    changing what the stored signature covers, so they do not count."""
    if capture.source == "fabricated" and capture.replays:
        return min(capture.replays, key=lambda a: a.at).target
    return request_url(capture)


def classify(capture: Capture, secrets: Mapping[str, str] | None = None) -> None:
    provider = registry.detect(capture.headers, capture.body)
    capture.provider = provider
    capture.event_type = registry.event_type(provider, capture.headers, capture.body)
    secret = (secrets or {}).get(provider) if provider else None
    if provider and secret:
        verdict = registry.verify(
            provider,
            capture.headers,
            capture.body,
            secret,
            int(time.time()),
            url=signed_url(capture),
            method=capture.method,
        )
        capture.signature = "valid" if verdict.ok else "invalid"


def fill_signatures(
    rows: Sequence[dict[str, Any]],
    get: Callable[[int], Capture],
    secrets: Mapping[str, str],
    cancelled: Callable[[], bool] = lambda: False,
) -> list[dict[str, Any]]:
    """Summary ROWS recorded without a signature state get one, checked now, when SECRETS
    has their provider's secret (what `ls` and the TUI's list both show); GET reads a
    capture. Returns the rows that changed."""
    changed = []
    for row in rows:
        if cancelled():
            break
        provider = row.get("provider")
        if isinstance(provider, str) and provider in secrets and not row.get("signature"):
            # as the provider it was recorded as (`fabricate hmac`), headers or not
            cap = get(int(row["id"]))
            _verify_as(cap, provider, secrets[provider])
            row["signature"] = cap.signature
            changed.append(row)
    return changed


def _verify_as(capture: Capture, provider: str, secret: str) -> None:
    verdict = registry.verify(
        provider, capture.headers, capture.body, secret, int(time.time()), url=signed_url(capture)
    )
    capture.signature = "valid" if verdict.ok else "invalid"
