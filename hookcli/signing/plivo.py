"""Plivo: ``X-Plivo-Signature-V3`` (and the older ``-V2``), base64 HMAC-SHA256 with the auth
token, each with a nonce header of its own.

V3 signs the URL Plivo called, its query sorted (``?a=1&b=2``), then for a POST with form
fields a ``.`` (only after a query) and each field's name and value sorted by name, with
no separators; then ``.`` and the nonce. V2 signs the URL without its query, then the
nonce. As in the official helpers (plivo-python ``utils/signature_v3.py`` and
``utils/__init__.py``), V3 may carry several signatures separated by commas, any of which
may match; V2 is checked only when V3 is absent. No timestamp is signed.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import Scheme, Verdict, missing, same, url_judged, url_to_sign
from hookcli.signing.twilio import form_params

V3 = "X-Plivo-Signature-V3"
V3_NONCE = "X-Plivo-Signature-V3-Nonce"
V2 = "X-Plivo-Signature-V2"
V2_NONCE = "X-Plivo-Signature-V2-Nonce"


def _grouped(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def v3_base(url: str, body: bytes) -> str:
    """What V3 signs before ``.nonce``: the URL without query, the sorted query, the
    sorted form fields."""
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = _grouped(parse_qsl(parts.query, keep_blank_values=True))
    fields = _grouped(form_params(body))
    qs = "&".join(f"{k}={v}" for k in sorted(query) for v in sorted(query[k]))
    if qs or fields:
        base += "?" + qs
    if qs and fields:
        base += "."
    return base + "".join(f"{k}{v}" for k in sorted(fields) for v in sorted(fields[k]))


def _mac(token: str, data: str) -> str:
    digest = hmac.new(token.encode("utf-8"), data.encode("utf-8"), "sha256").digest()
    return base64.b64encode(digest).decode("ascii")


def v3_signature(token: str, url: str, body: bytes, nonce: str) -> str:
    return _mac(token, f"{v3_base(url, body)}.{nonce}")


def v2_signature(token: str, url: str, nonce: str) -> str:
    parts = urlsplit(url)
    return _mac(token, urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + nonce)


def _nonce() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(20))


class PlivoScheme(Scheme):
    name = "plivo"
    title = "Plivo (V3: base64 HMAC-SHA256 over URL + sorted params + nonce)"
    docs = "https://www.plivo.com/docs/voice/concepts/signature-validation"
    headers = (V3, V3_NONCE)
    detect_headers = ("x-plivo-signature-v3", "x-plivo-signature-v2")
    needs_url = True

    def signature_header_names(self) -> list[str]:
        return [V3, V3_NONCE, V2, V2_NONCE]

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        """A status callback's ``Status``, else an incoming message's ``Type``."""
        form = dict(form_params(body))
        return next((form[k] for k in ("Status", "CallStatus", "Type") if form.get(k)), None)

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        url = url_to_sign(url, "plivo signatures cover the URL called")
        n3 = n2 = msg_id or _nonce()
        return [
            (V2, v2_signature(secret, url, n2)),
            (V2_NONCE, n2),
            (V3, v3_signature(secret, url, body, n3)),
            (V3_NONCE, n3),
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
        given = (hdr.get(headers, V3) or "").strip()
        header, nonce_header = (V3, V3_NONCE) if given else (V2, V2_NONCE)
        given = given or (hdr.get(headers, V2) or "").strip()
        if not given:
            return missing(V3)
        nonce = (hdr.get(headers, nonce_header) or "").strip()
        if not nonce:
            return missing(nonce_header)
        v3 = header == V3

        def matches(url: str) -> bool:
            if v3:
                expected = v3_signature(secret, url, body, nonce)
                return any([same(expected, s.strip()) for s in given.split(",")])
            return same(v2_signature(secret, url, nonce), given)

        what = "the URL, the form fields and the nonce" if v3 else "the URL and nonce"
        return url_judged(
            given,
            header,
            url,
            matches,
            signs="plivo signs the URL it called",
            url_hint="pass the URL Plivo called (scheme, host, path and query) with --url",
            mismatch=f"{header} does not match {what}",
            mismatch_hint="wrong auth token, a changed field, or not the exact URL Plivo called "
            "(https vs http, host, path and query must match, e.g. behind ngrok)",
            valid="signature valid" if v3 else "signature valid (V2)",
        )
