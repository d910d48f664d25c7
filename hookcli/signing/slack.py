"""Slack: ``X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + ts + ":" + body)>``.

The timestamp travels in ``X-Slack-Request-Timestamp``; like slack_sdk, a timestamp more
than 300 s away from now in either direction is refused, and it is checked first.
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

HEADER = "X-Slack-Signature"
TS_HEADER = "X-Slack-Request-Timestamp"


def _signature(secret: str, ts: str, body: bytes) -> str:
    base = f"v0:{ts}:".encode() + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


class SlackScheme(Scheme):
    name = "slack"
    title = "Slack (v0=<hex HMAC-SHA256> over v0:ts:body)"
    headers = (HEADER, TS_HEADER)
    detect_headers = ("x-slack-signature", "x-slack-request-timestamp")
    default_tolerance = 300

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return [(TS_HEADER, str(now)), (HEADER, _signature(secret, str(now), body))]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        sig = (hdr.get(headers, HEADER) or "").strip()
        ts_text = (hdr.get(headers, TS_HEADER) or "").strip()
        if not sig:
            return missing(HEADER)
        if not ts_text:
            return missing(TS_HEADER)
        ts = parse_timestamp(ts_text, TS_HEADER)
        if isinstance(ts, Verdict):
            return ts
        if not sig.startswith("v0="):
            return Verdict.fail("malformed_header", f"malformed {HEADER} header: no v0= prefix")

        def matches(payload: bytes) -> bool:
            return same(_signature(secret, ts_text, payload), sig)

        age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=True)
        if age:
            return with_age(age, ts, matches(body))
        if matches(body):
            return Verdict.valid()
        return no_match(f"{HEADER} does not match the body", body, matches)
