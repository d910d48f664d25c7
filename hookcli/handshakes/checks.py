"""Whether a handshake's signature holds, given the provider's secret.

The signing registry is the one way to a provider's scheme: when `listen`'s classifier
already verified the request with it, its verdict is used, and a provider the registry
knows is verified through it. Twitch and Xero have no scheme there yet, so their two
small checks live here, each as its provider documents it:
- Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of
  message id + timestamp + body>` (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message)
- Xero: `x-xero-signature: <base64 HMAC-SHA256 of the body>` with the webhook key
  (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from hookcli.handshakes.names import Kind
from hookcli.model import headers as hdr
from hookcli.model.capture import Capture


def _twitch(c: Capture, secret: str) -> bool:
    msg_id = hdr.get(c.headers, "Twitch-Eventsub-Message-Id") or ""
    stamp = hdr.get(c.headers, "Twitch-Eventsub-Message-Timestamp") or ""
    given = hdr.get(c.headers, "Twitch-Eventsub-Message-Signature") or ""
    mac = hmac.new(secret.encode(), (msg_id + stamp).encode() + c.body, hashlib.sha256)
    return hmac.compare_digest(given.encode(), b"sha256=" + mac.hexdigest().encode())


def _xero(c: Capture, secret: str) -> bool:
    given = hdr.get(c.headers, "x-xero-signature") or ""
    mac = hmac.new(secret.encode(), c.body, hashlib.sha256).digest()
    return hmac.compare_digest(given.encode(), base64.b64encode(mac))


_LOCAL: dict[str, Callable[[Capture, str], bool]] = {"twitch": _twitch, "xero": _xero}


def signature_ok(kind: Kind, c: Capture, secrets: Mapping[str, str]) -> bool | None:
    """True or False when KIND's secret is known, None when it is not."""
    secret = secrets.get(kind.provider)
    if not secret:
        return None
    if c.provider == kind.provider and c.signature is not None:
        return c.signature == "valid"
    local = _LOCAL.get(kind.provider)
    if local is not None:
        return local(c, secret)
    from hookcli.signing import registry
    from hookcli.signing.classify import signed_url

    if kind.provider not in registry.names():
        return None
    now = int(time.time())
    verdict = registry.verify(kind.provider, c.headers, c.body, secret, now, url=signed_url(c))
    return verdict.ok
