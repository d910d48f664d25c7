"""A home-made HMAC scheme whose header, algorithm, encoding and prefix are configurable.

Defaults: ``X-Signature: <hex HMAC-SHA256(secret, body)>``. With ``timestamp_header`` set,
the timestamp is sent in that header and the signed content becomes
``timestamp + separator + body`` (separator ``.`` by default), checked against a tolerance
(300 s by default) in both directions.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from hookcli.errors import UsageError
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

ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
OPTIONS = (
    "header",
    "algorithm",
    "encoding",
    "prefix",
    "timestamp_header",
    "separator",
    "tolerance",
)


class HmacScheme(Scheme):
    name = "hmac"
    title = "Generic HMAC (configurable header, algorithm, encoding, prefix)"
    headers: tuple[str, ...] = ("X-Signature",)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = dict(options or {})
        unknown = sorted(set(opts) - set(OPTIONS))
        if unknown:
            raise UsageError(
                f"unknown hmac option(s): {', '.join(unknown)}", f"known: {', '.join(OPTIONS)}"
            )
        self.header = _text(opts, "header", "X-Signature")
        self.algorithm = _choice(opts, "algorithm", "sha256", ALGORITHMS)
        self.encoding = _choice(opts, "encoding", "hex", ENCODINGS)
        self.prefix = _text(opts, "prefix", "", allow_empty=True)
        ts_header = _text(opts, "timestamp_header", "", allow_empty=True)
        self.timestamp_header = ts_header or None
        self.separator = _text(opts, "separator", ".", allow_empty=True)
        tol = opts.get("tolerance", 300)
        if isinstance(tol, bool) or not isinstance(tol, int) or tol < 0:
            raise UsageError(
                f"hmac option tolerance must be a whole number of seconds, not {tol!r}"
            )
        self.default_tolerance = tol if self.timestamp_header else None
        self.headers = (self.header,) + ((self.timestamp_header,) if self.timestamp_header else ())
        self.detect_headers = (self.header.lower(),)

    def _signature(self, secret: str, ts: str | None, body: bytes) -> str:
        content = body if ts is None else f"{ts}{self.separator}".encode() + body
        mac = hmac.new(secret.encode("utf-8"), content, self.algorithm).digest()
        text = mac.hex() if self.encoding == "hex" else base64.b64encode(mac).decode("ascii")
        return self.prefix + text

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        if self.timestamp_header is None:
            return [(self.header, self._signature(secret, None, body))]
        ts = str(now)
        return [(self.timestamp_header, ts), (self.header, self._signature(secret, ts, body))]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        given = (hdr.get(headers, self.header) or "").strip()
        if not given:
            return missing(self.header)
        if not given.startswith(self.prefix):
            return Verdict.fail(
                "malformed_header",
                f"malformed {self.header} header: value does not start with {self.prefix!r}",
            )
        ts_text: str | None = None
        ts = 0
        if self.timestamp_header is not None:
            ts_text = (hdr.get(headers, self.timestamp_header) or "").strip()
            if not ts_text:
                return missing(self.timestamp_header)
            parsed = parse_timestamp(ts_text, self.timestamp_header)
            if isinstance(parsed, Verdict):
                return parsed
            ts = parsed

        def matches(payload: bytes) -> bool:
            expected = self._signature(secret, ts_text, payload)
            if self.encoding == "hex":
                return same(expected.lower(), given.lower())
            return same(expected, given)

        if ts_text is not None:
            age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=True)
            if age:
                return with_age(age, ts, matches(body))
        if matches(body):
            return Verdict.valid()
        return no_match(f"{self.header} does not match the body", body, matches)


def _text(opts: Mapping[str, Any], key: str, default: str, *, allow_empty: bool = False) -> str:
    value = opts.get(key, default)
    if not isinstance(value, str) or (not value and not allow_empty):
        raise UsageError(f"hmac option {key} must be a non-empty string, not {value!r}")
    return value


def _choice(opts: Mapping[str, Any], key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _text(opts, key, default).lower()
    if value not in allowed:
        raise UsageError(f"hmac option {key} must be one of {', '.join(allowed)}, not {value!r}")
    return value
