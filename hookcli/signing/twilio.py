"""Twilio: ``X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + sorted params))``.

The string to sign is the full URL Twilio called (scheme, host, path and query) followed by
each POST parameter name and value, sorted by name then value, with no separators. For JSON
bodies Twilio adds ``bodySHA256=<hex sha256 of the body>`` to the URL and signs the URL
alone; the verifier then also checks that hash. As in twilio-python's RequestValidator,
the URL is tried with and without its default port, and an
``X-Twilio-Webhooks-Signature-Settings: algorithm=HMAC_SHA256`` header selects SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import Scheme, Verdict, same, url_judged, url_to_sign

HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
BODY_HASH_PARAM = "bodySHA256"
_DIGESTS = {"HMAC_SHA1": "sha1", "HMAC_SHA256": "sha256"}


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def url_for_body(url: str, body: bytes) -> str:
    """URL with ``bodySHA256`` set for BODY, as Twilio sends JSON bodies."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != BODY_HASH_PARAM
    ]
    query.append((BODY_HASH_PARAM, body_hash(body)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def form_params(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return []


def string_to_sign(url: str, params: Sequence[tuple[str, str]]) -> str:
    """URL, then each parameter's name and value, sorted by name then value (Twilio's and
    Mandrill's string to sign)."""
    by_name: dict[str, set[str]] = {}
    for k, v in params:
        by_name.setdefault(k, set()).add(v)
    return url + "".join(k + v for k in sorted(by_name) for v in sorted(by_name[k]))


def signature(
    secret: str, url: str, params: Sequence[tuple[str, str]], alg: str = "HMAC_SHA1"
) -> str:
    """base64 HMAC (ALG) of the string to sign: Twilio's signature, and Mandrill's."""
    data = string_to_sign(url, params).encode("utf-8")
    mac = hmac.new(secret.encode("utf-8"), data, _DIGESTS[alg]).digest()
    return base64.b64encode(mac).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """The URL without and with its default port, as twilio-python tries both."""
    parts = urlsplit(url)
    if parts.port is not None:
        bare = parts.netloc.rsplit(":", 1)[0]
        return [urlunsplit(parts._replace(netloc=bare)), url]
    port = 443 if parts.scheme == "https" else 80
    return [url, urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))]


def _algorithm(headers: Sequence[tuple[str, str]]) -> str:
    for part in (hdr.get(headers, SETTINGS_HEADER) or "").split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() == "algorithm" and value.strip():
            return value.strip().upper()
    return "HMAC_SHA1"


def _is_form(headers: Sequence[tuple[str, str]]) -> bool:
    ctype = (hdr.get(headers, "Content-Type") or "").split(";")[0].strip().lower()
    return ctype in ("", "application/x-www-form-urlencoded")


class TwilioScheme(Scheme):
    name = "twilio"
    title = "Twilio (base64 HMAC-SHA1 over full URL + sorted form params)"
    docs = "https://www.twilio.com/docs/usage/webhooks/webhooks-security"
    headers = (HEADER,)
    detect_headers = ("x-twilio-signature",)
    delivery_id_headers = ("i-twilio-idempotency-token",)
    needs_url = True

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        """The status of a status callback (form fields), else None."""
        form = dict(form_params(body))
        return next(
            (form[k] for k in ("MessageStatus", "CallStatus", "SmsStatus") if form.get(k)), None
        )

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        """Signs URL + form params of BODY; when URL carries ``bodySHA256`` (see
        :func:`url_for_body`), signs the URL alone, as Twilio does for JSON bodies."""
        url = url_to_sign(url, "twilio signatures cover the full URL")
        params = [] if BODY_HASH_PARAM in parse_qs(urlsplit(url).query) else form_params(body)
        return [(HEADER, signature(secret, url, params, "HMAC_SHA1"))]

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

        def matches(url: str) -> bool | Verdict:
            alg = _algorithm(headers)
            if alg not in _DIGESTS:
                return Verdict.fail(
                    "malformed_header", f"unsupported algorithm {alg!r} in {SETTINGS_HEADER}"
                )
            query = parse_qs(urlsplit(url).query)
            if BODY_HASH_PARAM in query:
                params: list[tuple[str, str]] = []
                if not same(query[BODY_HASH_PARAM][0], body_hash(body)):
                    return Verdict.fail(
                        "no_match",
                        f"{BODY_HASH_PARAM} in the URL does not match the SHA-256 of the body",
                        "the body changed after signing",
                    )
            else:
                params = form_params(body) if _is_form(headers) else []
            candidates = [signature(secret, u, params, alg) for u in _url_variants(url)]
            return any([same(c, given) for c in candidates])

        return url_judged(
            given,
            HEADER,
            url,
            matches,
            signs="twilio signs the full URL it called",
            url_hint="pass the public URL Twilio called (scheme, host, path and query)",
            mismatch=f"{HEADER} does not match {url} and the form parameters",
            mismatch_hint="wrong auth token, a changed parameter, or not the exact URL Twilio "
            "called (https vs http, host, path and query must match, e.g. behind ngrok)",
        )
