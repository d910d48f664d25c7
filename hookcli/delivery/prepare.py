"""Pure request preparation: the URL rule and which headers are recomputed, not copied."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from hookcli.errors import UsageError
from hookcli.model import headers as hdr
from hookcli.model.capture import Capture

# Hop-by-hop and transport headers: they describe one connection, so the sender recomputes
# them for each request it makes instead of copying them from a capture.
HOP_BY_HOP = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        # a copied Expect would make the client wait for a 100 the target may never send
        "expect",
    }
)


@dataclass
class Outgoing:
    """One request ready to send: what replay and forward hand to the client."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    base: str  # the --to/--forward-to value the URL was joined from
    headers_encoding: str = hdr.UTF8  # latin-1: header text maps 1:1 to non-UTF-8 bytes


def for_capture(
    capture: Capture,
    base: str,
    extra_headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
) -> Outgoing:
    """CAPTURE as it would be sent to BASE: the URL rule, end-to-end headers in their order
    with EXTRA_HEADERS added or replacing, and the byte-exact body (or BODY instead)."""
    headers = end_to_end(capture.headers)
    if extra_headers:
        headers = hdr.replace(headers, extra_headers)
    return Outgoing(
        method=capture.method,
        url=join_url(base, capture.path, capture.query),
        headers=headers,
        body=capture.body if body is None else body,
        base=base,
        headers_encoding=capture.headers_encoding,
    )


def end_to_end(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """HEADERS without hop-by-hop and transport headers (any Proxy-* included)."""
    return [
        (k, v)
        for k, v in headers
        if k.lower() not in HOP_BY_HOP and not k.lower().startswith("proxy-")
    ]


def check_url(url: str, flag: str = "--to") -> str:
    """URL, when it is an http(s) URL that can go on a request line as given: a line break
    or control character would be dropped or change the URL, so it is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{flag}: {public_url(url)!r} is not an http(s) URL", "e.g. http://localhost:3000"
        )
    bad = next((c for c in url if ord(c) < 0x21 or ord(c) == 0x7F), None)
    if bad is not None:
        what = "a space (write it as %20)" if bad == " " else f"the control character {bad!r}"
        raise UsageError(f"{flag}: {public_url(url)!r} contains {what}")
    return url


@functools.lru_cache(maxsize=1024)
def join_url(base: str, path: str, query: str = "") -> str:
    """The one URL rule (replay, forward, export, pytest plugin): the base's path joined with
    the captured path and query. A captured path of "/" adds nothing. Cached: a forwarder
    joins the same few paths to the same bases thousands of times a second."""
    parts = _split_base(base)
    base_path = parts.path.rstrip("/")
    if path in ("", "/"):
        full_path = parts.path or "/"
    else:
        full_path = base_path + (path if path.startswith("/") else "/" + path)
    queries = [q for q in (parts.query, query) if q]
    url = f"{parts.scheme}://{parts.netloc}{full_path}"
    return url + ("?" + "&".join(queries) if queries else "")


@functools.lru_cache(maxsize=64)
def _split_base(base: str) -> SplitResult:
    """A base URL checked and split once: a forwarder joins thousands of paths a second to
    the same few bases."""
    return urlsplit(check_url(base))


def origin(url: str) -> str:
    """scheme://host[:port] of URL, without any credentials it carries."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def host_header(url: str) -> str:
    """The Host header for URL: its host and port, never its credentials."""
    return urlsplit(url).netloc.rpartition("@")[2]


#: what stands for a URL's password (or a lone user token) wherever a URL is shown or stored
HIDDEN = "***"


def public_url(url: str) -> str:
    """URL as it may be shown and stored: `http://alice:SECRET@host/` becomes
    `http://alice:***@host/`, a lone token `http://TOKEN@host/` becomes `http://***@host/`.
    The credentials are used to send (as Authorization), never printed or written."""
    if "@" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name, colon, _ = user.partition(":")
    shown = f"{name}:{HIDDEN}" if colon else HIDDEN
    return parts._replace(netloc=f"{shown}@{host}").geturl()


def hides_credentials(url: str) -> bool:
    """URL is one public_url made of a URL with credentials."""
    netloc = urlsplit(url).netloc
    user = netloc.rpartition("@")[0]
    return bool(user) and (user == HIDDEN or user.endswith(":" + HIDDEN))
