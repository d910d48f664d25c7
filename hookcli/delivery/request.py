"""The bytes of a request as the lean HTTP/1.1 client (http1.py) writes it: the URL split
into where to connect and the request target, then the request line and the headers as
given (bytes, order, case, duplicates), with Host, Content-Length and, for a URL with
user:password@, Authorization computed here."""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from urllib.parse import quote, unquote, urlsplit

from hookcli.delivery.prepare import public_url
from hookcli.delivery.response import Key

_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BadRequest(ValueError):
    """The request cannot be written as HTTP/1.1 (a line break in a header, say)."""


#: what may stand in a request target as it is; anything else is percent-encoded
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


@functools.lru_cache(maxsize=1024)
def split(url: str) -> tuple[Key, str, str, str | None]:
    """(key, Host header, request target, Authorization header) for URL. Cached: a
    forwarder sends to the same few paths thousands of times a second."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"not an http(s) URL: {public_url(url)!r}")
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:
        raise BadRequest(f"bad port in {public_url(url)!r}") from None
    hostname = parts.hostname
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port != default:
        host += f":{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii() or not target.isprintable() or " " in target:
        target = quote(target, safe=_TARGET_SAFE)
    auth = None
    if parts.username is not None:
        user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(user.encode()).decode("ascii")
    return (parts.scheme, hostname, port), host, target, auth


def request_head(
    method: str,
    target: str,
    host: str,
    auth: str | None,
    headers: Sequence[tuple[bytes, bytes]],
    body: bytes,
) -> bytes:
    """Request line and headers: Host first, then HEADERS as given, then Content-Length
    when there is a body or the method carries one."""
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n".encode()]
    named_auth = False
    for name, value in headers:
        lines.append(name + b": " + value + b"\r\n")
        if auth is not None and name.lower() == b"authorization":
            named_auth = True
    if auth is not None and not named_auth:
        lines.append(f"Authorization: {auth}\r\n".encode())
    if body or method.upper() in _METHODS_WITH_BODY:
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    data = b"".join(lines)
    breaks = len(lines) + 1  # one CRLF per line, the request line's and the last one
    if data.count(b"\n") != breaks or data.count(b"\r") != breaks:
        for name, value in headers:
            if b"\r" in name + value or b"\n" in name + value:
                shown = name.decode("latin-1")
                raise BadRequest(f"header {shown!r} has a line break in it")
        raise BadRequest(f"line break in the method or URL: {method} {target}")
    if not method.isalpha() or not method.isascii():
        raise BadRequest(f"not an HTTP method: {method!r}")
    return data
