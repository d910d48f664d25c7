"""Contentful: a signed canonical request, as @contentful/node-apps-toolkit makes it.

``X-Contentful-Signature`` is the hex HMAC-SHA256 (key: the webhook's signing secret) of::

    METHOD \\n path?query \\n name:value;name:value... \\n body

where the headers are those named in ``X-Contentful-Signed-Headers`` (lower-cased, sorted,
values trimmed), always including ``x-contentful-signed-headers`` itself and
``x-contentful-timestamp`` (Unix milliseconds). The path's query is percent-encoded, then
the whole path encoded again, as the toolkit's ``getNormalizedEncodedURI`` does. A request
older than 30 s is refused (the toolkit's default TTL; ``--tolerance`` changes it). Webhooks
are POSTs: the method signed is POST. hookcli signs only the two headers it sets, as the
toolkit does when given no others; a request that signs more is verified with them.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    check_age,
    missing,
    missing_url,
    no_match,
    parse_timestamp,
    same,
    url_to_sign,
    with_age,
)

SIG = "x-contentful-signature"
SIGNED_HEADERS = "x-contentful-signed-headers"
TIMESTAMP = "x-contentful-timestamp"
TOPIC = "X-Contentful-Topic"
METHOD = "POST"
#: what JavaScript's querystring.escape and encodeURI leave as they are
_ESCAPE_SAFE = "-_.!~*'()"
_ENCODE_URI_SAFE = ";,/?:@&=+$-_.!~*'()#"


def canonical_path(url: str) -> str:
    """The path and query of URL as the toolkit normalizes them (getNormalizedEncodedURI)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    search = quote(parts.query, safe=_ESCAPE_SAFE) if parts.query else ""
    return quote(f"{path}?{search}" if search else path, safe=_ENCODE_URI_SAFE)


def signature(secret: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """hex HMAC-SHA256 of the canonical request; HEADERS are the signed ones, lower-case."""
    lines = ";".join(f"{k}:{headers[k]}" for k in sorted(headers))
    canonical = f"{METHOD}\n{path}\n{lines}\n".encode() + body
    return hmac.new(secret.encode("utf-8"), canonical, "sha256").hexdigest()


class ContentfulScheme(Scheme):
    name = "contentful"
    title = "Contentful (hex HMAC-SHA256 of the canonical request, ts in ms)"
    docs = "https://www.contentful.com/developers/docs/webhooks/request-verification/"
    headers = ("X-Contentful-Signature", "X-Contentful-Signed-Headers", "X-Contentful-Timestamp")
    detect_headers = ("x-contentful-signature", "x-contentful-topic")
    default_tolerance = 30
    needs_url = True

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        return (hdr.get(headers, TOPIC) or "").strip() or None

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        url = url_to_sign(url, "contentful signatures cover the path called")
        ts = str(now * 1000)
        signed = {SIGNED_HEADERS: f"{SIGNED_HEADERS},{TIMESTAMP}", TIMESTAMP: ts}
        sig = signature(secret, canonical_path(url), signed, body)
        return [
            ("X-Contentful-Signature", sig),
            ("X-Contentful-Signed-Headers", signed[SIGNED_HEADERS]),
            ("X-Contentful-Timestamp", ts),
        ]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        given = (hdr.get(headers, SIG) or "").strip()
        if not given:
            return missing("X-Contentful-Signature")
        names = (hdr.get(headers, SIGNED_HEADERS) or "").strip()
        if not names:
            return missing("X-Contentful-Signed-Headers")
        ts_text = (hdr.get(headers, TIMESTAMP) or "").strip()
        if not ts_text:
            return missing("X-Contentful-Timestamp")
        ms = parse_timestamp(ts_text, "X-Contentful-Timestamp")
        if isinstance(ms, Verdict):
            return ms
        if not url:
            return missing_url(
                "contentful signs the path it called",
                "pass the URL Contentful called (its path and query count) with --url",
            )
        # as verifyRequest: the named headers present, then the two the toolkit always signs
        signed = {}
        for name in (n.strip().lower() for n in names.split(",") if n.strip()):
            value = hdr.get(headers, name)
            if value is not None:
                signed[name] = value.strip()
        signed[TIMESTAMP] = ts_text
        signed[SIGNED_HEADERS] = ",".join(sorted({*signed, SIGNED_HEADERS}))
        path = canonical_path(url)

        def matches(payload: bytes) -> bool:
            return same(signature(secret, path, signed, payload), given)

        ts = ms // 1000
        age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=False)
        if age:
            return with_age(age, ts, matches(body))
        if matches(body):
            return Verdict.valid()
        return no_match(
            "X-Contentful-Signature does not match the method, path, signed headers and body",
            body,
            matches,
            "wrong signing secret, a changed body or signed header, or not the path called",
        )
