"""Providers as data: a profile says which header carries the signature, how it is made
and what is signed; :class:`ProfileScheme` signs and verifies from it.

Most providers differ only in those facts, so they are described in ``profiles.toml``
(shipped in the package) and users add their own under ``[providers.NAME]`` in the config
file, with the same keys (SPEC "Providers as data")::

    signature_header   required; a name, or a list of names the same value travels under
    algorithm          sha1 | sha256 | sha512                       (default sha256)
    encoding           hex | base64                                 (default hex)
    prefix             text before the digest, e.g. "sha256="
    timestamp_header   header carrying the signed timestamp (Unix seconds, or milliseconds)
    id_header          header(s) carrying a message id; fresh on every re-signed delivery
    signed             the signed bytes: {body} {timestamp} {id} {url} and literal text
    tolerance          seconds either way, when there is a timestamp  (default 300)
    event_header       header(s) holding the event type, or
    event_field        body path(s) holding it; with both, "<header>.<field>" (GitHub's
                       pull_request.opened); a list means the first one present
    detect             headers whose presence detects it (default: the signature headers)

Three more keys describe a profile rather than its scheme: ``title`` and ``docs`` (shown by
``hookcli providers``), and ``legacy``, a table with ``signature_header``, ``algorithm``,
``encoding`` and ``prefix`` for an older signature the sender still adds (GitHub's
``X-Hub-Signature: sha1=``): it is signed too, and checked only when the main one is absent.
"""

from __future__ import annotations

import base64
import hmac
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hookcli.errors import HookcliError
from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    check_age,
    json_object,
    missing,
    no_match,
    parse_timestamp,
    same,
    text_field,
    with_age,
)

ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
PLACEHOLDERS = ("body", "timestamp", "id", "url")
KEYS = (
    "signature_header",
    "algorithm",
    "encoding",
    "prefix",
    "timestamp_header",
    "id_header",
    "signed",
    "tolerance",
    "event_header",
    "event_field",
    "detect",
    "title",
    "docs",
    "legacy",
)
LEGACY_KEYS = ("signature_header", "algorithm", "encoding", "prefix")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: a timestamp above this is in milliseconds (10^11 seconds is the year 5138)
_MS_THRESHOLD = 10**11


@dataclass(frozen=True)
class Digest:
    """How one signature value is made from the signed bytes."""

    headers: tuple[str, ...]
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""

    def make(self, key: bytes, content: bytes) -> str:
        mac = hmac.new(key, content, self.algorithm).digest()
        text = mac.hex() if self.encoding == "hex" else base64.b64encode(mac).decode("ascii")
        return self.prefix + text


@dataclass(frozen=True)
class Profile:
    name: str
    digest: Digest
    title: str = ""
    docs: str = ""
    timestamp_header: str = ""
    id_headers: tuple[str, ...] = ()
    signed: tuple[str, ...] = ("{body}",)
    tolerance: int = 300
    event_headers: tuple[str, ...] = ()
    event_fields: tuple[str, ...] = ()
    detect: tuple[str, ...] = ()
    legacy: Digest | None = None
    #: where it was defined ("built-in" or the config file), for messages
    source: str = "built-in"
    #: compare hex digests ignoring case (the generic hmac scheme's rule; providers' own
    #: libraries compare strings, so upper-case hex fails there and here)
    hex_any_case: bool = False

    @property
    def uses(self) -> frozenset[str]:
        return frozenset(p[1:-1] for p in self.signed if _PLACEHOLDER.fullmatch(p))


class ProfileError(HookcliError):
    """A profile that cannot work: names where it is, the provider and the key."""


def _fail(source: str, name: str, key: str, problem: str, hint: str | None = None) -> ProfileError:
    return ProfileError(f"{source}: [providers.{name}] {key}: {problem}", hint)


class _Reader:
    """Typed access to one profile table, every problem naming source, provider and key."""

    def __init__(self, source: str, name: str, table: Mapping[str, Any], prefix: str = ""):
        self.source, self.name, self.table, self.prefix = source, name, table, prefix

    def fail(self, key: str, problem: str, hint: str | None = None) -> ProfileError:
        return _fail(self.source, self.name, self.prefix + key, problem, hint)

    def text(self, key: str, default: str = "") -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {value!r}")
        return value

    def names(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.table.get(key, [])
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise self.fail(key, f"must be a header name or a list of them, not {value!r}")
        items = [v.strip() for v in items if v.strip()]
        bad = [v for v in items if any(c in v for c in " \t\r\n:")]
        if bad:
            raise self.fail(key, f"{bad[0]!r} is not a header name")
        if required and not items:
            raise self.fail(key, "is required", 'e.g. signature_header = "X-Acme-Signature"')
        return tuple(items)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key, default).strip().lower()
        if value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def digest(self) -> Digest:
        return Digest(
            self.names("signature_header", required=True),
            self.choice("algorithm", "sha256", ALGORITHMS),
            self.choice("encoding", "hex", ENCODINGS),
            self.text("prefix"),
        )


def parse_signed(template: str, fail: Callable[[str], ProfileError]) -> tuple[str, ...]:
    """The ``signed`` template as parts: placeholders like ``{body}`` and literal text."""
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        if m.group(1) not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise fail(f"unknown placeholder {m.group(0)} (known: {known})")
        parts += [template[pos : m.start()], m.group(0)]
        pos = m.end()
    parts.append(template[pos:])
    if any("{" in p or "}" in p for p in parts if not _PLACEHOLDER.fullmatch(p)):
        raise fail("unbalanced { or } (placeholders are {body} {timestamp} {id} {url})")
    return tuple(p for p in parts if p)


def parse(name: str, table: Mapping[str, Any], source: str) -> Profile:
    """A validated Profile from a ``[providers.NAME]`` table; ProfileError names SOURCE,
    NAME and the key at fault."""
    if not NAME_PATTERN.fullmatch(name):
        raise _fail(
            source, name, "name", "use lower-case letters, digits, '-' and '_' (e.g. acme-pay)"
        )
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise _fail(source, name, unknown[0], "unknown key", f"known keys: {', '.join(KEYS)}")
    r = _Reader(source, name, table)
    legacy = None
    if "legacy" in table:
        sub = table["legacy"]
        if not isinstance(sub, dict):
            raise r.fail(
                "legacy", "must be a table of signature_header, algorithm, encoding, prefix"
            )
        extra = sorted(set(sub) - set(LEGACY_KEYS))
        if extra:
            raise r.fail(f"legacy.{extra[0]}", "unknown key", f"known: {', '.join(LEGACY_KEYS)}")
        legacy = _Reader(source, name, sub, "legacy.").digest()
    ts_header = r.names("timestamp_header")
    signed = parse_signed(r.text("signed", "{body}"), lambda p: r.fail("signed", p))
    tolerance = table.get("tolerance", 300)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise r.fail("tolerance", f"must be a whole number of seconds, not {tolerance!r}")
    profile = Profile(
        name=name,
        digest=r.digest(),
        title=r.text("title"),
        docs=r.text("docs"),
        timestamp_header=ts_header[0] if ts_header else "",
        id_headers=r.names("id_header"),
        signed=signed,
        tolerance=tolerance,
        event_headers=r.names("event_header"),
        event_fields=_paths(r),
        detect=r.names("detect"),
        legacy=legacy,
        source=source,
    )
    if "timestamp" in profile.uses and not profile.timestamp_header:
        raise r.fail("signed", "uses {timestamp} but no timestamp_header is set")
    if "id" in profile.uses and not profile.id_headers:
        raise r.fail("signed", "uses {id} but no id_header is set")
    return profile


def _paths(r: _Reader) -> tuple[str, ...]:
    value = r.table.get("event_field", [])
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        raise r.fail("event_field", f"must be a body path or a list of them, not {value!r}")
    return tuple(v.strip() for v in items)


def parse_all(tables: Mapping[str, Any], source: str) -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise _fail(source, name, name, "must be a table of profile keys")
        out[name] = parse(name, table, source)
    return out


def _seconds(ts: int) -> int:
    return ts // 1000 if ts > _MS_THRESHOLD else ts


class ProfileScheme(Scheme):
    """The HMAC scheme a profile describes."""

    def __init__(self, profile: Profile) -> None:
        self.profile = p = profile
        self.name = p.name
        self.docs = p.docs
        self.title = p.title or _describe(p)
        extra = (p.timestamp_header,) if p.timestamp_header else ()
        legacy = p.legacy.headers[:1] if p.legacy else ()
        self.headers = (*p.digest.headers[:1], *legacy, *extra)
        self.detect_headers = tuple(
            h.lower() for h in (p.detect or (*p.digest.headers, *(legacy or ())))
        )
        self.default_tolerance = p.tolerance if p.timestamp_header else None
        self.needs_url = "url" in p.uses
        self.delivery_id_headers = tuple(h.lower() for h in p.id_headers)

    def signature_header_names(self) -> list[str]:
        p = self.profile
        legacy = p.legacy.headers if p.legacy else ()
        ids = p.id_headers if "id" in p.uses else ()
        ts = (p.timestamp_header,) if p.timestamp_header else ()
        return [*p.digest.headers, *legacy, *ts, *ids]

    def _content(self, body: bytes, ts: str, msg_id: str, url: str) -> bytes:
        values = {"{body}": body, "{timestamp}": ts.encode(), "{id}": msg_id.encode()}
        values["{url}"] = url.encode("utf-8")
        return b"".join(values.get(part) or part.encode("utf-8") for part in self.profile.signed)

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        from hookcli.errors import UsageError

        p = self.profile
        if self.needs_url and not url:
            raise UsageError(f"{p.name} signatures cover the URL; a target URL is required")
        ts, ident = str(now), msg_id or str(uuid.uuid4())
        content = self._content(body, ts, ident, url or "")
        key = secret.encode("utf-8")
        out: HeaderList = []
        if "id" in p.uses:
            out.append((p.id_headers[0], ident))
        if p.timestamp_header:
            out.append((p.timestamp_header, ts))
        if p.legacy:
            out.append((p.legacy.headers[0], p.legacy.make(key, content)))
        out.append((p.digest.headers[0], p.digest.make(key, content)))
        return out

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        p = self.profile
        digest, header, given = p.digest, *_first(headers, p.digest.headers)
        if not given and p.legacy:
            digest, header, given = p.legacy, *_first(headers, p.legacy.headers)
        if not given:
            return missing(p.digest.headers[0])
        if not given.startswith(digest.prefix):
            return Verdict.fail(
                "malformed_header",
                f"malformed {header} header: value does not start with {digest.prefix!r}",
            )
        ts_text, ts = "", 0
        if p.timestamp_header:
            ts_text = (hdr.get(headers, p.timestamp_header) or "").strip()
            if not ts_text:
                return missing(p.timestamp_header)
            parsed = parse_timestamp(ts_text, p.timestamp_header)
            if isinstance(parsed, Verdict):
                return parsed
            ts = _seconds(parsed)
        msg_id = ""
        if "id" in p.uses:
            _, msg_id = _first(headers, p.id_headers)
            if not msg_id:
                return missing(p.id_headers[0])
        if self.needs_url and not url:
            return Verdict.fail(
                "missing_url",
                f"{p.name} signs the URL it called, and no URL is known for this request",
                "pass the URL the provider called with --url (scheme, host, path and query)",
            )
        key = secret.encode("utf-8")
        fold = p.hex_any_case and digest.encoding == "hex"

        def matches(payload: bytes) -> bool:
            expected = digest.make(key, self._content(payload, ts_text, msg_id, url or ""))
            return same(expected.lower(), given.lower()) if fold else same(expected, given)

        if ts_text:
            age = check_age(ts, now, self.tolerance_for(tolerance), both_directions=True)
            if age:
                return with_age(age, ts, matches(body))
        if matches(body):
            legacy = " (legacy header)" if digest is p.legacy else ""
            return Verdict.valid(f"signature valid{legacy}")
        if not self.needs_url:
            return no_match(f"{header} does not match the body", body, matches)
        # a URL that differs from the one called (a tunnel, http vs https) is the usual cause
        hint = "wrong secret, a changed body, or not the exact URL called (pass it with --url)"
        return no_match(f"{header} does not match the URL and the body", body, matches, hint)

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


def _first(headers: Sequence[tuple[str, str]], names: Sequence[str]) -> tuple[str, str]:
    """The first of NAMES present with a non-blank value: (name, stripped value)."""
    for name in names:
        value = (hdr.get(headers, name) or "").strip()
        if value:
            return name, value
    return (names[0] if names else ""), ""


def _describe(p: Profile) -> str:
    what = "".join(
        {"{body}": "body", "{timestamp}": "ts", "{id}": "id", "{url}": "url"}.get(x, x)
        for x in p.signed
    )
    prefix = p.digest.prefix or ""
    return f"{p.name} ({prefix}<{p.digest.encoding} HMAC-{p.digest.algorithm.upper()}> of {what})"


def with_hex_any_case(profile: Profile) -> Profile:
    return replace(profile, hex_any_case=True)
