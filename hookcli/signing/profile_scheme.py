"""The scheme a profile describes (hookcli/signing/profile.py reads the profile): signs
and verifies HMACs, plain hashes, tokens and HTTP Basic credentials from its facts."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    check_age,
    json_object,
    missing,
    missing_url,
    no_match,
    parse_timestamp,
    same,
    text_field,
    with_age,
)
from hookcli.signing.profile import NUMBERED, PLACEHOLDER, Digest, Profile, decode_key

#: a Unix timestamp above this is in milliseconds (10^11 seconds is the year 5138)
_MS_THRESHOLD = 10**11
_KEY_HINTS = {
    "base64": "this provider's secret is base64 (its key is the decoded bytes)",
    "hex": "this provider's secret is hex (its key is the decoded bytes)",
    "whsec": "this provider's secret is 'whsec_' followed by base64",
}


@dataclass
class _Found:
    """The signatures a request carries for one digest: the header they were in, the
    timestamp given among the pairs, and what was present but not usable."""

    header: str = ""
    sigs: list[str] = field(default_factory=list)
    ts: str | None = None
    present: bool = False
    other: list[str] = field(default_factory=list)


def path_of(url: str) -> str:
    """The path and query of URL, as the request line carries them."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def format_timestamp(now: int, fmt: str) -> str:
    if fmt == "unix_ms":
        return str(now * 1000)
    if fmt == "iso8601":
        return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(now)


def read_timestamp(text: str, fmt: str, where: str) -> int | Verdict:
    """Unix seconds from a timestamp as sent, or a malformed_header verdict naming WHERE."""
    if fmt == "iso8601":
        try:
            moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
        except ValueError:
            return Verdict.fail(
                "malformed_header", f"malformed {where}: {text!r} is not an ISO-8601 time"
            )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    parsed = parse_timestamp(text, where)
    if isinstance(parsed, Verdict):
        return Verdict.fail(
            "malformed_header", f"malformed {where}: {text.strip()!r} is not a Unix timestamp"
        )
    if fmt == "unix_ms" or parsed > _MS_THRESHOLD:
        return parsed // 1000
    return parsed


class ProfileScheme(Scheme):
    """The scheme a profile describes."""

    def __init__(self, profile: Profile) -> None:
        self.profile = p = profile
        self.name = p.name
        self.docs = p.docs
        self.title = p.title or describe(p)
        shown = [_first_name(h) for h in p.digest.headers[:1]]
        legacy = [_first_name(h) for h in p.legacy.headers[:1]] if p.legacy else []
        extra = [p.timestamp_header] if p.timestamp_header else []
        self.headers = (*shown, *legacy, *extra)
        legacy_all = p.legacy.headers if p.legacy else ()
        detect = p.detect if p.detect is not None else (*p.digest.headers, *legacy_all)
        self.detect_headers = tuple(_first_name(h).lower() for h in detect)
        self.default_tolerance = p.tolerance if p.has_timestamp else None
        self.needs_url = bool({"url", "path"} & p.uses)
        self.delivery_id_headers = tuple(h.lower() for h in p.id_headers)

    # --- signing -----------------------------------------------------------------------

    def signature_header_names(self) -> list[str]:
        p = self.profile
        legacy = p.legacy.headers if p.legacy else ()
        ids = p.id_headers if "id" in p.uses else ()
        ts = (p.timestamp_header,) if p.timestamp_header else ()
        main = [_first_name(h) for h in p.digest.headers]
        return [*main, *legacy, *ts, *ids]

    def _content(self, payload: bytes, values: dict[str, bytes]) -> bytes:
        return b"".join(
            payload if part == "{body}" else values.get(part, part.encode("utf-8"))
            for part in self.profile.signed
        )

    def _values(
        self, ts: str, msg_id: str, url: str, method: str, secret: str, heads: dict[str, str]
    ) -> dict[str, bytes]:
        out = {
            "{timestamp}": ts.encode(),
            "{id}": msg_id.encode(),
            "{url}": url.encode("utf-8"),
            "{path}": path_of(url).encode("utf-8") if url else b"",
            "{method}": method.upper().encode(),
            "{secret}": secret.encode("utf-8"),
        }
        out.update({"{header:" + k + "}": v.encode("utf-8") for k, v in heads.items()})
        return out

    def _key(self, secret: str) -> bytes | None:
        if self.profile.mode == "hash":
            return None
        return decode_key(secret, self.profile.key)

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return self._sign(body, secret, now, url, msg_id, "POST", ())

    def sign_request(
        self,
        body: bytes,
        secret: str,
        now: int,
        *,
        url: str | None = None,
        method: str = "POST",
        headers: Sequence[tuple[str, str]] = (),
    ) -> HeaderList:
        return self._sign(body, secret, now, url, None, method, headers)

    def _sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None,
        msg_id: str | None,
        method: str,
        headers: Sequence[tuple[str, str]],
    ) -> HeaderList:
        from hookcli.errors import UsageError

        p = self.profile
        main = _first_name(p.digest.headers[0])
        if p.mode == "token":
            return [(main, p.digest.prefix + secret)]
        if p.mode == "basic":
            if ":" not in secret:
                raise UsageError(f"{p.name} takes HTTP Basic credentials: user:password")
            return [(main, "Basic " + base64.b64encode(secret.encode("utf-8")).decode())]
        if self.needs_url and not url:
            raise UsageError(f"{p.name} signatures cover the URL; a target URL is required")
        key = self._key(secret)
        if p.mode == "hmac" and key is None:
            raise UsageError(f"bad {p.name} secret: {_KEY_HINTS[p.key]}")
        ts, ident = format_timestamp(now, p.timestamp_format), msg_id or str(uuid.uuid4())
        heads = {h: hdr.get(headers, h) or str(uuid.uuid4()) for h in p.signed_headers}
        content = self._content(body, self._values(ts, ident, url or "", method, secret, heads))
        out: HeaderList = [(h, v) for h, v in heads.items() if not hdr.has(headers, h)]
        if "id" in p.uses:
            out.append((p.id_headers[0], ident))
        if p.timestamp_header:
            out.append((p.timestamp_header, ts))
        if p.legacy:
            out.append((p.legacy.headers[0], p.legacy.make(key, content)))
        sig = p.digest.make(key, content)
        if p.pair_separator:
            pairs = [f"{p.timestamp_key}={ts}"] if p.timestamp_key else []
            sig = p.pair_separator.join([*pairs, f"{p.signature_keys[0]}={sig}"])
        out.append((main, sig))
        return out

    def resign(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        method: str = "POST",
    ) -> HeaderList:
        numbered = _numbered(self.profile.digest.headers)
        if numbered:  # every -N of an old delivery goes, -1 comes back
            headers = [(k, v) for k, v in headers if not numbered.fullmatch(k)]
        return super().resign(headers, body, secret, now, url, method)

    # --- verifying ---------------------------------------------------------------------

    def secret_problem(self, secret: str) -> Verdict | None:
        problem = super().secret_problem(secret)
        if problem or self.profile.mode != "hmac" or self._key(secret) is not None:
            return problem
        return Verdict.fail(
            "bad_secret",
            f"the secret is not a {self.profile.key} key",
            _KEY_HINTS[self.profile.key],
        )

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        return self._verify_request(headers, body, secret, now, tolerance, url, "POST")

    def _verify_request(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
        method: str,
    ) -> Verdict:
        p = self.profile
        if p.mode in ("token", "basic"):
            return self._compare(headers, secret)
        digest, found = p.digest, self._signatures(headers, p.digest)
        if not found.present and p.legacy:
            digest, found = p.legacy, self._signatures(headers, p.legacy)
        if not found.present:
            return missing(_first_name(p.digest.headers[0]))
        if not found.sigs:
            return self._malformed(found, digest)
        ts_text, ts = "", 0
        if p.has_timestamp:
            where = f"{found.header} header" if p.timestamp_key else f"{p.timestamp_header} header"
            ts_text = (found.ts if p.timestamp_key else hdr.get(headers, p.timestamp_header)) or ""
            ts_text = ts_text.strip()
            if not ts_text:
                if p.timestamp_key:
                    return Verdict.fail(
                        "malformed_header", f"malformed {where}: no {p.timestamp_key}= part"
                    )
                return missing(p.timestamp_header)
            parsed = read_timestamp(ts_text, p.timestamp_format, where)
            if isinstance(parsed, Verdict):
                return parsed
            ts = parsed
        msg_id = ""
        if "id" in p.uses:
            msg_id = _first(headers, p.id_headers)[1]
            if not msg_id:
                return missing(p.id_headers[0])
        heads = {h: hdr.get(headers, h) for h in p.signed_headers}
        absent = [h for h, v in heads.items() if v is None]
        if absent:
            return missing(*absent)
        if self.needs_url and not url:
            return missing_url(
                f"{p.name} signs the URL it called",
                "pass the URL the provider called with --url (scheme, host, path and query)",
            )
        values = self._values(
            ts_text, msg_id, url or "", method, secret, {k: v or "" for k, v in heads.items()}
        )
        key = self._key(secret)
        fold = p.hex_any_case and digest.encoding == "hex"
        given = [_norm(g, digest.encoding, fold) for g in found.sigs]

        def matches(payload: bytes) -> bool:
            mine = _norm(
                digest.text(digest.raw(key, self._content(payload, values))), digest.encoding, fold
            )
            return any([same(mine, g) for g in given])  # no short-circuit: constant work

        if ts_text:
            both = p.tolerance_rejects == "both"
            age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=both)
            if age:
                return with_age(age, ts, matches(body))
        if matches(body):
            legacy = " (legacy header)" if digest is p.legacy else ""
            return Verdict.valid(f"signature valid{legacy}")
        what = f"{found.header} does not match the body"
        if len(found.sigs) > 1:
            what = f"no signature in {found.header} matches the body"
        if not self.needs_url:
            return no_match(what, body, matches)
        # a URL that differs from the one called (a tunnel, http vs https) is the usual cause
        hint = "wrong secret, a changed body, or not the exact URL called (pass it with --url)"
        return no_match(what.replace("the body", "the URL and the body"), body, matches, hint)

    def _signatures(self, headers: Sequence[tuple[str, str]], digest: Digest) -> _Found:
        p = self.profile
        found = _Found()
        numbered = _numbered(digest.headers) if digest is p.digest else None
        if numbered:
            names = sorted({k for k, _ in headers if numbered.fullmatch(k)}, key=_number)
        else:
            names = list(digest.headers)
        for name in names:
            for value in hdr.get_all(headers, name):
                if not value.strip():
                    continue
                found.present = True
                found.header = found.header or name
                if p.pair_separator and digest is p.digest:  # groups of pairs, each signed
                    items = [s for g in self._items(value) for s in self._pairs(g, found)]
                else:
                    items = self._items(value)
                for item in items:
                    if item.startswith(digest.prefix):
                        found.sigs.append(item[len(digest.prefix) :])
                    else:
                        found.other.append(item)
        return found

    def _pairs(self, value: str, found: _Found) -> list[str]:
        p = self.profile
        sep = p.pair_separator.strip()
        sigs = []
        for item in value.split(sep) if sep else value.split():
            key, eq, val = item.partition("=")
            key, val = key.strip(), val.strip()
            if not eq or not key:
                continue
            if key == p.timestamp_key:
                found.ts = found.ts if found.ts is not None else val
            elif key in p.signature_keys:
                sigs.append(val)
            else:
                found.other.append(key + "=")
        return sigs

    def _items(self, value: str) -> list[str]:
        sep = self.profile.signature_separator
        if not sep:
            return [value.strip()]
        parts = value.split(sep.strip()) if sep.strip() else value.split()
        return [s.strip() for s in parts if s.strip()]

    def _malformed(self, found: _Found, digest: Digest) -> Verdict:
        p = self.profile
        if p.pair_separator and digest is p.digest:
            keys = ", ".join(k + "=" for k in p.signature_keys)
            seen = ", ".join(found.other) or "nothing"
            return Verdict.fail(
                "malformed_header",
                f"malformed {found.header} header: no {keys} signature (found {seen})",
            )
        return Verdict.fail(
            "malformed_header",
            f"malformed {found.header} header: value does not start with {digest.prefix!r}",
        )

    def _compare(self, headers: Sequence[tuple[str, str]], secret: str) -> Verdict:
        p = self.profile
        header, given = _first(headers, p.digest.headers)
        if not given:
            return missing(header)
        if p.mode == "basic":
            scheme, _, b64 = given.partition(" ")
            try:
                creds = base64.b64decode(b64.strip(), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                creds = ""
            if scheme.lower() != "basic" or not creds:
                return Verdict.fail(
                    "malformed_header", f"malformed {header} header: not Basic credentials"
                )
            if same(creds, secret):
                return Verdict.valid("credentials valid")
            return Verdict.fail(
                "no_match",
                f"the {header} credentials are not the secret",
                "the secret is user:password",
            )
        if not given.startswith(p.digest.prefix):
            return Verdict.fail(
                "malformed_header",
                f"malformed {header} header: value does not start with {p.digest.prefix!r}",
            )
        if same(given[len(p.digest.prefix) :], secret):
            return Verdict.valid("token valid")
        return Verdict.fail("no_match", f"{header} is not the secret", "wrong secret (token)")

    # --- events ------------------------------------------------------------------------

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        p = self.profile
        head = _first(headers, p.event_headers)[1] or None
        doc = json_object(body) if p.event_fields else None
        found = next((v for v in (text_field(doc, f) for f in p.event_fields) if v), None)
        if p.event_headers and p.event_fields:
            return f"{head}.{found}" if head and found else head
        return head or found

    def with_event(self, headers: HeaderList, doc: Any, event: str) -> tuple[HeaderList, Any]:
        """HEADERS and DOC saying EVENT where this profile reads it (a generic template
        for a user profile knows nothing of where its events travel)."""
        p = self.profile
        if p.event_headers and not _first(headers, p.event_headers)[1]:
            headers = [*headers, (p.event_headers[0], event)]
        if p.event_fields and isinstance(doc, dict) and not p.event_headers:
            from hookcli.model import jsonedit

            jsonedit.set_path(doc, jsonedit.parse_path(p.event_fields[0]), event)
        return headers, doc


def _norm(sig: str, encoding: str, fold: bool) -> str:
    if encoding == "base64url":
        return sig.rstrip("=")
    return sig.lower() if fold else sig


def _first_name(name: str) -> str:
    return name.replace(NUMBERED, "1")


def _numbered(names: Sequence[str]) -> re.Pattern[str] | None:
    if not names or NUMBERED not in names[0]:
        return None
    head, _, tail = names[0].partition(NUMBERED)
    return re.compile(re.escape(head) + r"[0-9]+" + re.escape(tail), re.IGNORECASE)


def _number(name: str) -> int:
    digits = re.findall(r"[0-9]+", name)
    return int(digits[-1]) if digits else 0


def _first(headers: Sequence[tuple[str, str]], names: Sequence[str]) -> tuple[str, str]:
    """The first of NAMES present with a non-blank value: (name, stripped value)."""
    for name in names:
        value = (hdr.get(headers, name) or "").strip()
        if value:
            return name, value
    return (names[0] if names else ""), ""


_SHORT = {"{body}": "body", "{timestamp}": "ts", "{id}": "id", "{url}": "url"}


def describe(p: Profile) -> str:
    if p.mode == "token":
        return f"{p.name} (the secret itself in {p.digest.headers[0]})"
    if p.mode == "basic":
        return f"{p.name} (HTTP Basic credentials = the secret)"
    what = "".join(_SHORT.get(x, x[1:-1] if PLACEHOLDER.fullmatch(x) else x) for x in p.signed)
    kind = "HMAC" if p.mode == "hmac" else "hash"
    prefix = p.digest.prefix or ""
    return f"{p.name} ({prefix}<{p.digest.encoding} {kind}-{p.digest.algorithm.upper()}> of {what})"


def with_hex_any_case(profile: Profile) -> Profile:
    return replace(profile, hex_any_case=True)
