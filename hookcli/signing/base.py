"""What every signature scheme provides, and the checks they share.

A scheme is a small object: ``sign`` returns the headers a provider would add, ``verify``
returns a :class:`Verdict` that says precisely why a signature does not hold. Schemes never
raise for bad input from a request; they raise only for bad input from the user (a secret
that cannot be a key for this scheme, a URL that is required and missing when signing).
"""

from __future__ import annotations

import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList

Reason = Literal[
    "missing_header",
    "malformed_header",
    "no_match",
    "timestamp_too_old",
    "timestamp_too_new",
    "unknown_provider",
    "bad_secret",
    "missing_url",
]

REASONS: tuple[Reason, ...] = get_args(Reason)

RESERIALIZED_HINT = (
    "the body was re-serialized after signing (JSON whitespace/key order changed); "
    "verify the raw bytes"
)


@dataclass(frozen=True)
class Verdict:
    """ok, or a machine-readable reason plus a sentence a human can act on."""

    ok: bool
    reason: Reason | None = None
    message: str = "signature valid"
    hint: str | None = None

    @classmethod
    def valid(cls, message: str = "signature valid") -> Verdict:
        return cls(True, None, message)

    @classmethod
    def fail(cls, reason: Reason, message: str, hint: str | None = None) -> Verdict:
        return cls(False, reason, message, hint)


def missing(*names: str) -> Verdict:
    if len(names) == 1:
        return Verdict.fail("missing_header", f"missing {names[0]} header")
    return Verdict.fail("missing_header", f"missing {', '.join(names)} headers")


def missing_url(signs: str, hint: str) -> Verdict:
    """The verdict of a scheme that signs the URL it was sent to when none is known: SIGNS
    says what ("twilio signs the full URL it called"), HINT where the user finds it."""
    return Verdict.fail("missing_url", f"{signs}, and no URL is known for this request", hint)


def url_to_sign(url: str | None, covers: str) -> str:
    """URL, which a scheme that signs the URL it is sent to needs to sign: a UsageError
    when there is none (COVERS: "twilio signatures cover the full URL")."""
    if not url:
        from hookcli.errors import UsageError

        raise UsageError(f"{covers}; a target URL is required")
    return url


def url_judged(
    given: str,
    header: str,
    url: str | None,
    matches: Callable[[str], bool | Verdict],
    *,
    signs: str,
    url_hint: str,
    mismatch: str,
    mismatch_hint: str,
    valid: str = "signature valid",
) -> Verdict:
    """A signature over the URL it was sent to and the request's fields (Twilio, Mandrill,
    Plivo) judged, in this order: GIVEN, HEADER's value, empty is `missing`; no URL is
    `missing_url` (SIGNS, URL_HINT); then MATCHES(url) decides: a verdict of its own (a
    header the scheme cannot read), True (valid, with the message VALID) or False
    (no_match, with MISMATCH and MISMATCH_HINT)."""
    if not given:
        return missing(header)
    if not url:
        return missing_url(signs, url_hint)
    ok = matches(url)
    if isinstance(ok, Verdict):
        return ok
    if ok:
        return Verdict.valid(valid)
    return Verdict.fail("no_match", mismatch, mismatch_hint)


def check_secret(secret: str) -> Verdict | None:
    if not secret.strip():
        return Verdict.fail("bad_secret", "the secret is empty", "pass --secret with a value")
    return None


def parse_timestamp(value: str, header: str) -> int | Verdict:
    """A Unix-seconds header value, or a malformed_header verdict naming the header."""
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return Verdict.fail(
            "malformed_header", f"malformed {header} header: {text!r} is not a Unix timestamp"
        )


def check_age(ts: int, now: int, tolerance: int | None, *, both_directions: bool) -> Verdict | None:
    """None when TS is acceptable as of NOW, else a timestamp verdict saying by how much."""
    if tolerance is None:
        return None
    age = now - ts
    if age > tolerance:
        return Verdict.fail(
            "timestamp_too_old",
            f"timestamp is {age} s older than now; tolerance is {tolerance} s",
        )
    if both_directions and -age > tolerance:
        return Verdict.fail(
            "timestamp_too_new",
            f"timestamp is {-age} s in the future; tolerance is {tolerance} s",
        )
    return None


def age_hint(ts: int, signature_ok: bool, future: bool = False) -> str:
    """What a timestamp outside the tolerance means: an old request is stale; one from the
    future points at a clock (the sender's or this machine's) that is off."""
    if not signature_ok:
        return "the signature does not match either (wrong secret or body changed)"
    if future:
        return (
            f"the signature itself matches: the sender's clock is ahead of this machine's, "
            f"or this one's is behind (verify as of its time with --now {ts})"
        )
    return (
        f"the signature itself matches: the request is stale, not forged "
        f"(verify as of its time with --now {ts})"
    )


def with_age(age: Verdict, ts: int, signature_ok: bool) -> Verdict:
    reason = age.reason or "timestamp_too_old"
    future = reason == "timestamp_too_new"
    return Verdict.fail(reason, age.message, age_hint(ts, signature_ok, future))


def same(a: str, b: str) -> bool:
    """Constant-time string equality (non-ASCII input compared as UTF-8 bytes)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def reserialized_candidates(body: bytes) -> list[bytes]:
    """The usual re-serializations of a JSON body, for diagnosing a mismatch."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    seen = {body}
    out: list[bytes] = []
    for ascii_only in (True, False):
        for seps in ((", ", ": "), (",", ":")):
            cand = json.dumps(doc, separators=seps, ensure_ascii=ascii_only).encode("utf-8")
            if cand not in seen:
                seen.add(cand)
                out.append(cand)
    return out


def no_match(
    message: str,
    body: bytes,
    matches: Callable[[bytes], bool],
    hint: str = "wrong secret, or the body changed after signing",
) -> Verdict:
    """A no_match verdict with HINT, or a hint that a re-serialized body would have
    verified."""
    if any(matches(c) for c in reserialized_candidates(body)):
        hint = RESERIALIZED_HINT
    return Verdict.fail("no_match", message, hint)


def signature_and_timestamp(
    headers: Sequence[tuple[str, str]], sig_header: str, ts_header: str
) -> tuple[str, str] | Verdict:
    """The signature and timestamp headers of a scheme that sends one of each (Discord,
    Telnyx, SendGrid), stripped; a `missing` verdict naming the first one absent."""
    sig = (hdr.get(headers, sig_header) or "").strip()
    ts = (hdr.get(headers, ts_header) or "").strip()
    if not sig:
        return missing(sig_header)
    if not ts:
        return missing(ts_header)
    return sig, ts


def judged(
    matches: Callable[[bytes], bool],
    body: bytes,
    ts_text: str,
    ts_header: str,
    now: int,
    tolerance: int | None,
    message: str,
    hint: str,
) -> Verdict:
    """A signature over timestamp and body judged: an age outside TOLERANCE (both ways,
    when there is one) first, then whether MATCHES the body, else `no_match`."""
    if tolerance is not None:
        ts = parse_timestamp(ts_text, ts_header)
        if isinstance(ts, Verdict):
            return ts
        age = check_age(ts, now, tolerance, both_directions=True)
        if age:
            return with_age(age, ts, matches(body))
    if matches(body):
        return Verdict.valid()
    return no_match(message, body, matches, hint)


def json_object(body: bytes) -> dict[str, Any] | None:
    """BODY parsed as a JSON object, else None (events and in-body signatures live there)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def field(doc: Any, path: str) -> Any:
    """The value at a dotted PATH of DOC (``data.event``), or None."""
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def text_field(doc: Any, path: str) -> str | None:
    """A non-empty string (or a number, as text) at PATH, else None."""
    value = field(doc, path)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) and value else None


class Scheme(ABC):
    """One provider's signature scheme."""

    name: str
    title: str
    #: the provider's own documentation of its signature scheme
    docs: str = ""
    #: signature header names, as shown in the providers table
    headers: tuple[str, ...]
    #: header names whose presence identifies the provider (lower-case)
    detect_headers: tuple[str, ...] = ()
    default_tolerance: int | None = None
    needs_url: bool = False
    #: the body path of the event type, for schemes that do not override event_type()
    event_field: str = "type"
    #: lower-case names of unsigned headers that identify one delivery (GitHub's
    #: X-GitHub-Delivery): a re-signed delivery is a new delivery, so they get a fresh UUID
    delivery_id_headers: tuple[str, ...] = ()
    #: what verifies is the sender's public key, not the secret that signs (Ed25519, ECDSA)
    public_key: bool = False

    @abstractmethod
    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        """The headers the provider would add to a delivery of BODY at time NOW."""

    def verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> Verdict:
        """Whether HEADERS carry a valid signature of BODY as of NOW: the secret is checked
        here, once for every scheme, then the scheme's own _verify runs (METHOD, the
        request's, matters only to a profile that signs {method})."""
        return self.secret_problem(secret) or self._verify_request(
            headers, body, secret, now, tolerance, url, method
        )

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
        """_verify with the request's method, for the schemes that sign it."""
        return self._verify(headers, body, secret, now, tolerance, url)

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
        """sign() given the whole request (a profile may sign its method or a header's
        value); the other schemes need only what sign() takes."""
        return self.sign(body, secret, now, url=url)

    def secret_problem(self, secret: str) -> Verdict | None:
        """A bad_secret verdict when SECRET cannot be a key for this scheme."""
        return check_secret(secret)

    @abstractmethod
    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        """verify() for a secret that passed secret_problem()."""

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        """The provider's event name for a request (``ls --event``), or None."""
        return text_field(json_object(body), self.event_field)

    def prepare_body(self, body: bytes, secret: str, now: int) -> bytes:
        """BODY as the provider would send it at NOW. Schemes whose timestamp or signature
        travels inside the body (Linear, Mailgun) refresh it there; the others sign headers
        only and return BODY unchanged. Fabricate and re-signing call it before sign()."""
        return body

    def with_event(self, headers: HeaderList, doc: Any, event: str) -> tuple[HeaderList, Any]:
        """HEADERS and body DOC of a generic template, saying EVENT where this provider
        puts its event name (profiles know where; the others' templates already do)."""
        return headers, doc

    def signing_note(self, secret: str) -> str | None:
        """What a user must configure on the receiving side after signing with SECRET, when
        that is not SECRET itself (Discord: the public key of a private seed)."""
        return None

    def detect(self, headers: Sequence[tuple[str, str]]) -> bool:
        """True when the header NAMES say this provider sent the request."""
        return not hdr.names(headers).isdisjoint(self.detect_headers)

    def detect_body(self, body: bytes) -> bool:
        """True when BODY says this provider sent it, for the rare provider that sends no
        header of its own (Mailgun); asked only when no header detected a provider."""
        return False

    def signature_header_names(self) -> list[str]:
        """Every header this scheme sets or reads as a signature (for redaction and resign)."""
        return list(self.headers)

    def tolerance_for(self, tolerance: int | None) -> int | None:
        return self.default_tolerance if tolerance is None else tolerance

    def resign(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        method: str = "POST",
    ) -> HeaderList:
        """HEADERS with every signature header of this scheme dropped and fresh ones added
        (a fresh timestamp and, where the scheme has one, a fresh message id)."""
        import uuid

        new = self.sign_request(body, secret, now, url=url, method=method, headers=headers)
        new_names = {k.lower() for k, _ in new}
        stale = {n.lower() for n in self.signature_header_names()} - new_names
        kept = [
            (k, str(uuid.uuid4()) if k.lower() in self.delivery_id_headers else v)
            for k, v in headers
            if k.lower() not in stale
        ]
        return hdr.replace(kept, new)
