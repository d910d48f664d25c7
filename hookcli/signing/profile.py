"""Providers as data: a profile says which header carries the signature, how it is made
and what is signed; :class:`~hookcli.signing.profile_scheme.ProfileScheme` signs and
verifies from it.

Most providers differ only in those facts, so they are described in ``profiles.toml``
(shipped in the package) and users add their own under ``[providers.NAME]`` in the config
file, with the same keys (SPEC "Providers as data"; docs/providers/profiles.md)::

    signature_header   the header with the signature; a list of names (any present may
                       match, hookcli signs the first); {n} in a name numbers it (-1..-N)
    mode               hmac | hash (no key: {secret} is in `signed`) | token | basic
    algorithm          md5 | sha1 | sha256 | sha384 | sha512        (default sha256)
    encoding           hex | base64 | base64url                     (default hex)
    key                utf8 | base64 | hex | whsec: how the secret becomes the HMAC key
    prefix             text before the digest, e.g. "sha256="
    pair_separator     the header holds k=v pairs split by this (", " or ";")
    signature_key      key(s) of the signatures among the pairs (v1); any may match
    timestamp_key      key of the timestamp among the pairs (t)
    signature_separator  several signatures in one value, split by this (" ")
    timestamp_header   header carrying the signed timestamp
    timestamp_format   unix | unix_ms | iso8601                      (default unix)
    tolerance          seconds, when there is a timestamp            (default 300)
    tolerance_rejects  both | old: which side of now the tolerance refuses (default both)
    id_header          header(s) carrying a message id; fresh on every re-signed delivery
    signed             the signed bytes: {body} {timestamp} {id} {url} {method} {path}
                       {header:NAME} {secret} and literal text
    event_header       header(s) holding the event type, or
    event_field        body path(s) holding it; with both, "<header>.<field>"
    detect             headers whose presence detects it (default: the signature headers)

Three more keys describe a profile rather than its scheme: ``title`` and ``docs`` (shown by
``hookcli providers``), and ``legacy``, a table with ``signature_header``, ``algorithm``,
``encoding`` and ``prefix`` for an older signature the sender still adds (GitHub's
``X-Hub-Signature: sha1=``): it is signed too, and checked only when the main one is absent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hookcli.errors import HookcliError

MODES = ("hmac", "hash", "token", "basic")
ALGORITHMS = ("md5", "sha1", "sha256", "sha384", "sha512")
ENCODINGS = ("hex", "base64", "base64url")
KEY_DECODINGS = ("utf8", "base64", "hex", "whsec")
TIMESTAMP_FORMATS = ("unix", "unix_ms", "iso8601")
REJECTS = ("both", "old")
PLACEHOLDERS = ("body", "timestamp", "id", "url", "method", "path", "secret", "header:NAME")
KEYS = (
    "signature_header",
    "mode",
    "algorithm",
    "encoding",
    "key",
    "prefix",
    "pair_separator",
    "signature_key",
    "timestamp_key",
    "signature_separator",
    "timestamp_header",
    "timestamp_format",
    "id_header",
    "signed",
    "tolerance",
    "tolerance_rejects",
    "event_header",
    "event_field",
    "detect",
    "title",
    "docs",
    "legacy",
)
#: keys that mean nothing to a token or basic profile (it compares, it computes nothing)
_DIGEST_KEYS = (
    "algorithm",
    "encoding",
    "key",
    "pair_separator",
    "signature_key",
    "timestamp_key",
    "signature_separator",
    "timestamp_header",
    "timestamp_format",
    "signed",
    "tolerance",
    "tolerance_rejects",
    "legacy",
)
LEGACY_KEYS = ("signature_header", "algorithm", "encoding", "prefix")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
NUMBERED = "{n}"


@dataclass(frozen=True)
class Digest:
    """How one signature value is made from the signed bytes."""

    headers: tuple[str, ...]
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""

    def raw(self, key: bytes | None, content: bytes) -> bytes:
        """HMAC of CONTENT with KEY, or a plain hash when KEY is None (mode = "hash")."""
        if key is None:
            return hashlib.new(self.algorithm, content).digest()
        return hmac.new(key, content, self.algorithm).digest()

    def text(self, mac: bytes) -> str:
        if self.encoding == "hex":
            return mac.hex()
        if self.encoding == "base64url":
            return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")
        return base64.b64encode(mac).decode("ascii")

    def make(self, key: bytes | None, content: bytes) -> str:
        return self.prefix + self.text(self.raw(key, content))


def decode_key(secret: str, how: str) -> bytes | None:
    """The HMAC key a secret stands for, or None when it cannot be decoded as HOW says."""
    if how == "utf8":
        return secret.encode("utf-8")
    text = secret.strip()
    try:
        if how == "hex":
            return bytes.fromhex(text) or None
        if how == "whsec":
            text = text.removeprefix("whsec_")
        text += "=" * (-len(text) % 4)
        return base64.b64decode(text, validate=True) or None
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True)
class Profile:
    name: str
    digest: Digest
    title: str = ""
    docs: str = ""
    mode: str = "hmac"
    key: str = "utf8"
    pair_separator: str = ""
    signature_keys: tuple[str, ...] = ()
    timestamp_key: str = ""
    signature_separator: str = ""
    timestamp_header: str = ""
    timestamp_format: str = "unix"
    id_headers: tuple[str, ...] = ()
    signed: tuple[str, ...] = ("{body}",)
    tolerance: int = 300
    tolerance_rejects: str = "both"
    event_headers: tuple[str, ...] = ()
    event_fields: tuple[str, ...] = ()
    #: None: the signature headers detect it; () : nothing does (a generic header name)
    detect: tuple[str, ...] | None = None
    legacy: Digest | None = None
    #: where it was defined ("built-in" or the config file), for messages
    source: str = "built-in"
    #: compare hex digests ignoring case (the generic hmac scheme's rule; providers' own
    #: libraries compare strings, so upper-case hex fails there and here)
    hex_any_case: bool = False

    @property
    def uses(self) -> frozenset[str]:
        return frozenset(p[1:-1] for p in self.signed if PLACEHOLDER.fullmatch(p))

    @property
    def signed_headers(self) -> tuple[str, ...]:
        """The headers named by {header:NAME} in ``signed``."""
        return tuple(u[7:] for u in self.uses if u.startswith("header:"))

    @property
    def has_timestamp(self) -> bool:
        return bool(self.timestamp_header or self.timestamp_key)


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

    def separator(self, key: str) -> str:
        value = self.text(key)
        if key in self.table and not value.strip() and value != " ":
            raise self.fail(key, f"must be a separator such as ',' or ' ', not {value!r}")
        return value

    def names(self, key: str, *, required: bool = False, numbered: bool = False) -> tuple[str, ...]:
        value = self.table.get(key, [])
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise self.fail(key, f"must be a header name or a list of them, not {value!r}")
        items = [v.strip() for v in items if v.strip()]
        plain = [v.replace(NUMBERED, "x", 1) if numbered else v for v in items]
        bad = [v for v, p in zip(items, plain, strict=True) if not _HEADER_NAME.fullmatch(p)]
        if bad:
            hint = "{n} in a name stands for 1, 2, ... (numbered headers)" if numbered else None
            raise self.fail(key, f"{bad[0]!r} is not a header name", hint)
        if required and not items:
            raise self.fail(key, "is required", 'e.g. signature_header = "X-Acme-Signature"')
        return tuple(items)

    def words(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        items = [value] if isinstance(value, str) else value
        ok = isinstance(items, list) and all(isinstance(v, str) and v.strip() for v in items)
        if not ok or any("=" in v for v in items):
            raise self.fail(key, f"must be a key such as 'v1', or a list of them, not {value!r}")
        return tuple(v.strip() for v in items)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key, default).strip().lower()
        if value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def digest(self, *, numbered: bool = True, default_header: str = "") -> Digest:
        headers = self.names("signature_header", required=not default_header, numbered=numbered)
        return Digest(
            headers or (default_header,),
            self.choice("algorithm", "sha256", ALGORITHMS),
            self.choice("encoding", "hex", ENCODINGS),
            self.text("prefix"),
        )


def parse_signed(template: str, fail: Callable[[str], ProfileError]) -> tuple[str, ...]:
    """The ``signed`` template as parts: placeholders like ``{body}`` and literal text."""
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    parts: list[str] = []
    pos = 0
    for m in PLACEHOLDER.finditer(template):
        inner = m.group(1)
        if inner.startswith("header:"):
            if not _HEADER_NAME.fullmatch(inner[7:]):
                raise fail(f"{m.group(0)} does not name a header (e.g. {{header:X-Acme-Id}})")
        elif inner not in PLACEHOLDERS:
            raise fail(f"unknown placeholder {m.group(0)} (known: {known})")
        parts += [template[pos : m.start()], m.group(0)]
        pos = m.end()
    parts.append(template[pos:])
    if any("{" in p or "}" in p for p in parts if not PLACEHOLDER.fullmatch(p)):
        raise fail(f"unbalanced {{ or }} (placeholders are {known})")
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
    mode = r.choice("mode", "hmac", MODES)
    if mode in ("token", "basic"):
        return _parse_comparing(r, mode)
    legacy = _legacy(r)
    ts_header = r.names("timestamp_header")
    pair_sep = r.separator("pair_separator")
    sig_keys, ts_key = r.words("signature_key"), r.text("timestamp_key").strip()
    if pair_sep and not sig_keys:
        raise r.fail("pair_separator", "needs signature_key, the key of the signatures (v1)")
    if not pair_sep:
        for key in ("signature_key", "timestamp_key"):
            if key in table:
                raise r.fail(key, 'needs pair_separator (the header is k=v pairs, e.g. ", ")')
    if ts_key and ts_header:
        raise r.fail("timestamp_key", "give the timestamp in a header or in the pairs, not both")
    signed = parse_signed(r.text("signed", "{body}"), lambda p: r.fail("signed", p))
    tolerance = table.get("tolerance", 300)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise r.fail("tolerance", f"must be a whole number of seconds, not {tolerance!r}")
    profile = Profile(
        name=name,
        digest=r.digest(),
        title=r.text("title"),
        docs=r.text("docs"),
        mode=mode,
        key=r.choice("key", "utf8", KEY_DECODINGS),
        pair_separator=pair_sep,
        signature_keys=sig_keys,
        timestamp_key=ts_key,
        signature_separator=r.separator("signature_separator"),
        timestamp_header=ts_header[0] if ts_header else "",
        timestamp_format=r.choice("timestamp_format", "unix", TIMESTAMP_FORMATS),
        id_headers=r.names("id_header"),
        signed=signed,
        tolerance=tolerance,
        tolerance_rejects=r.choice("tolerance_rejects", "both", REJECTS),
        event_headers=r.names("event_header"),
        event_fields=_paths(r),
        detect=_detect(r),
        legacy=legacy,
        source=source,
    )
    _check_consistent(r, profile)
    return profile


def _check_consistent(r: _Reader, p: Profile) -> None:
    uses = p.uses
    if "timestamp" in uses and not p.has_timestamp:
        raise r.fail("signed", "uses {timestamp} but no timestamp_header or timestamp_key is set")
    if "id" in uses and not p.id_headers:
        raise r.fail("signed", "uses {id} but no id_header is set")
    if p.mode == "hash" and "secret" not in uses:
        raise r.fail(
            "signed",
            'mode = "hash" has no key: put {secret} in signed, or the hash proves nothing',
            'e.g. signed = "{secret}{body}"',
        )
    if p.mode == "hmac" and "secret" in uses:
        raise r.fail("signed", '{secret} is for mode = "hash"; an HMAC is keyed by the secret')
    if p.mode == "hash" and "key" in r.table:
        raise r.fail("key", 'mode = "hash" has no key to decode')
    for key in ("timestamp_format", "tolerance_rejects"):
        if key in r.table and not p.has_timestamp:
            raise r.fail(key, "has no meaning without timestamp_header or timestamp_key")
    numbered = [h for h in p.digest.headers if NUMBERED in h]
    if numbered and len(p.digest.headers) > 1:
        raise r.fail("signature_header", "a numbered header ({n}) must be the only name")


def _legacy(r: _Reader) -> Digest | None:
    if "legacy" not in r.table:
        return None
    sub = r.table["legacy"]
    if not isinstance(sub, dict):
        raise r.fail("legacy", "must be a table of signature_header, algorithm, encoding, prefix")
    extra = sorted(set(sub) - set(LEGACY_KEYS))
    if extra:
        raise r.fail(f"legacy.{extra[0]}", "unknown key", f"known: {', '.join(LEGACY_KEYS)}")
    return _Reader(r.source, r.name, sub, "legacy.").digest(numbered=False)


def _parse_comparing(r: _Reader, mode: str) -> Profile:
    """A token or basic profile: the header carries the secret itself (GitLab's
    X-Gitlab-Token) or HTTP Basic credentials ``user:password``."""
    for key in _DIGEST_KEYS:
        if key in r.table:
            raise r.fail(key, f'has no meaning with mode = "{mode}" (the secret is compared)')
    default = "Authorization" if mode == "basic" else ""
    return Profile(
        name=r.name,
        digest=r.digest(numbered=False, default_header=default),
        title=r.text("title"),
        docs=r.text("docs"),
        mode=mode,
        signed=(),
        event_headers=r.names("event_header"),
        event_fields=_paths(r),
        detect=_detect(r) if "detect" in r.table or mode == "token" else (),
        source=r.source,
    )


def _detect(r: _Reader) -> tuple[str, ...] | None:
    return r.names("detect") if "detect" in r.table else None


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
