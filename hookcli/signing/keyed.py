"""Schemes whose one header carries a timestamp and signatures as ``key=value`` items:
Stripe (``t=..,v1=..``) and Paddle (``ts=..;h1=..``).

The HMAC-SHA256 key is the whole secret as UTF-8, the signed payload is the timestamp, a
separator and the body, any signature item may match (one per active secret during a
roll), and items with other keys are ignored. The subclasses set the names and separators
and whether future timestamps are refused too.
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


class KeyedListScheme(Scheme):
    header: str
    item_separator: str
    ts_key: str
    sig_key: str
    #: between the timestamp and the body in the signed payload
    joiner: str
    #: refuse timestamps too far in the future as well as too old
    both_directions: bool
    #: check the signature before the age (Stripe's libraries do; Paddle's check age first)
    signature_first: bool

    def _signature(self, secret: str, ts: int, body: bytes) -> str:
        content = f"{ts}{self.joiner}".encode() + body
        return hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest()

    def _parse(self, value: str) -> tuple[str | None, list[str], list[str]]:
        """(timestamp, signatures, other keys seen); tolerant of spaces."""
        ts: str | None = None
        sigs: list[str] = []
        other: list[str] = []
        for item in value.split(self.item_separator):
            key, sep, val = item.partition("=")
            key, val = key.strip(), val.strip()
            if not sep or not key:
                continue
            if key == self.ts_key:
                ts = ts if ts is not None else val
            elif key == self.sig_key:
                sigs.append(val)
            else:
                other.append(key)
        return ts, sigs, other

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        sig = self._signature(secret, now, body)
        return [(self.header, f"{self.ts_key}={now}{self.item_separator}{self.sig_key}={sig}")]

    def mismatch(self, verdict: Verdict, secret: str) -> Verdict:
        """A hook for a provider-specific hint on a no_match verdict."""
        return verdict

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        values = hdr.get_all(headers, self.header)
        if not values or not any(v.strip() for v in values):
            return missing(self.header)
        ts_text, sigs, other = self._parse(self.item_separator.join(values))
        if ts_text is None:
            return Verdict.fail(
                "malformed_header", f"malformed {self.header} header: no {self.ts_key}= part"
            )
        ts = parse_timestamp(ts_text, self.header)
        if isinstance(ts, Verdict):
            return ts
        if not sigs:
            found = ", ".join(f"{k}=" for k in other) or "nothing"
            return Verdict.fail(
                "malformed_header",
                f"malformed {self.header} header: no {self.sig_key}= signature (found {found})",
                f"only {self.sig_key} signatures are verified, as in the provider's libraries",
            )

        def matches(payload: bytes) -> bool:
            expected = self._signature(secret, ts, payload)
            return any([same(expected, s) for s in sigs])  # no short-circuit: constant work

        tol = self.tolerance_for(tolerance)
        if not self.signature_first:
            age = check_age(ts, now, tol, both_directions=self.both_directions)
            if age:
                return with_age(age, ts, matches(body))
        if not matches(body):
            message = f"no {self.sig_key} signature in {self.header} matches the body"
            return self.mismatch(no_match(message, body, matches), secret)
        age = check_age(ts, now, tol, both_directions=self.both_directions)
        if age:
            return with_age(age, ts, signature_ok=True)
        return Verdict.valid()
