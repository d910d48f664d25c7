"""The answer each handshake's provider documents (see names.py for where), after its
signature is checked when the secret is known: a bad signature gets the provider's
refusal instead, and an answer that needs a secret nobody gave is not made at all (the
request then gets `listen`'s usual answer, and the outcome says which `--secret`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import NamedTuple

from hookcli.handshakes import checks, names
from hookcli.handshakes.recognise import Found
from hookcli.model.capture import Capture

TEXT = ("Content-Type", "text/plain")
NOSNIFF = ("X-Content-Type-Options", "nosniff")
JSON = ("Content-Type", "application/json")
#: a refusal's headers: no body, but a type all the same, so that both of the catch
#: server's paths (fastpath.py and aiohttp's) write the same bytes
EMPTY = ("Content-Type", "text/plain; charset=utf-8")


class Reply(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Handled(NamedTuple):
    outcome: str  # "answered", "refused" or "not answered"
    reply: Reply | None  # None: not answered, the usual answer goes out
    note: str = ""  # why refused, or what is missing


def answer(
    found: Found, c: Capture, secrets: Mapping[str, str], verify_token: str | None = None
) -> Handled:
    return _ANSWERS[found.kind.provider](found, c, secrets, verify_token)


def _text(value: str) -> Handled:
    """VALUE echoed: what the sender put in its request, so `nosniff` (which Dropbox asks
    for) on every one, lest a browser render it as a page from the tunnel's address."""
    return Handled("answered", Reply(200, [TEXT, NOSNIFF], value.encode("utf-8")))


def _json(doc: object) -> Handled:
    return Handled("answered", Reply(200, [JSON], json.dumps(doc).encode("utf-8")))


def _refused(status: int, why: str) -> Handled:
    return Handled("refused", Reply(status, [EMPTY], b""), why)


def _missing(kind: names.Kind) -> Handled:
    return Handled("not answered", None, f"needs --secret {kind.provider}={kind.secret}")


def _hmac(secret: str, text: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()


Answerer = Callable[[Found, Capture, Mapping[str, str], "str | None"], Handled]


def _slack(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    if checks.signature_ok(f.kind, c, secrets) is False:
        return _refused(401, "bad signature")
    return _text(f.value)


def _zoom(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    secret = secrets.get("zoom")
    if not secret:
        return _missing(f.kind)
    if checks.signature_ok(f.kind, c, secrets) is False:
        return _refused(401, "bad signature")
    return _json({"plainToken": f.value, "encryptedToken": _hmac(secret, f.value).hex()})


def _meta(f: Found, c: Capture, secrets: Mapping[str, str], token: str | None) -> Handled:
    if token is not None and not hmac.compare_digest(
        (f.extra or "").encode("utf-8"), token.encode("utf-8")
    ):
        return _refused(403, "hub.verify_token is not --verify-token")
    return _text(f.value)


def _twitter(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    secret = secrets.get("twitter")
    if not secret:
        return _missing(f.kind)
    token = "sha256=" + base64.b64encode(_hmac(secret, f.value)).decode("ascii")
    return _json({"response_token": token})


def _dropbox(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    return _text(f.value)


def _twitch(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    if checks.signature_ok(f.kind, c, secrets) is False:
        return _refused(403, "bad signature")
    return _text(f.value)


def _msgraph(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    return _text(f.value)


def _asana(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    return Handled("answered", Reply(200, [EMPTY, ("X-Hook-Secret", f.value)], b""))


def _okta(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    return _json({"verification": f.value})


def _discord(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    ok = checks.signature_ok(f.kind, c, secrets)
    if ok is False:
        return _refused(401, "bad signature")
    done = _json({"type": 1})
    if ok is None:  # Discord also sends bad signatures and saves the URL only on a 401
        return done._replace(note=f"signature not checked: needs --secret discord={f.kind.secret}")
    return done


def _xero(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    ok = checks.signature_ok(f.kind, c, secrets)
    if ok is None:  # Xero sends good and bad signatures and wants 200 and 401
        return _missing(f.kind)
    if not ok:
        return _refused(401, "bad signature")
    return Handled("answered", Reply(200, [EMPTY], b""))


def _worldline(f: Found, c: Capture, secrets: Mapping[str, str], _: str | None) -> Handled:
    return _text(f.value)


_ANSWERS: dict[str, Answerer] = {
    "slack": _slack,
    "zoom": _zoom,
    "meta": _meta,
    "twitter": _twitter,
    "dropbox": _dropbox,
    "twitch": _twitch,
    "msgraph": _msgraph,
    "asana": _asana,
    "okta": _okta,
    "discord": _discord,
    "xero": _xero,
    "worldline": _worldline,
}
