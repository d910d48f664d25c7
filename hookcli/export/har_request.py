"""What a HAR request says beyond its headers and text body, read the way the tools that
write HAR files mean it: the origin of its URL (scheme, host, port), query parameters
listed in `queryString` but missing from `url`, and a body given as `postData.params`,
built as its mimeType says.

Browsers write `params` for form posts: Chrome with the values as they were on the wire
(percent-encoded), Firefox decoded; httpsnippet and har-to-k6 users write them by hand,
sometimes with values that are not strings. A value that is already percent-encoded is
kept as it is; any other is encoded as a browser encodes a form; a value that is not a
string is written as JSON."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
#: what may stand unencoded in a form value (application/x-www-form-urlencoded, as
#: browsers write it) and in a query: an already encoded value holds nothing else
_FORM_SAFE = re.compile(r"[A-Za-z0-9*\-._+%]*")
_QUERY_SAFE = re.compile(r"[A-Za-z0-9\-._~!$'()*,;:@/?+=%]*")
_BOUNDARY = re.compile(r"""boundary=(?:"([^"]+)"|([^;\s]+))""", re.IGNORECASE)


class BadParams(ValueError):
    """postData.params that are not a list of {name, value} objects."""


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL; None for any other."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return None
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not authority or "@" in authority:
        authority = authority.rpartition("@")[2]
    return f"{scheme.lower()}://{authority}" if authority else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _form(value: str) -> str:
    encoded = _FORM_SAFE.fullmatch(value) and (_ENCODED.search(value) or "+" in value)
    return value if encoded else quote_plus(value, safe="*")


def _query(value: str) -> str:
    encoded = _QUERY_SAFE.fullmatch(value) and _ENCODED.search(value)
    return value if encoded else quote(value, safe="-._~!$'()*,;:@/?")


def merge_query(query: str, entries: Any) -> str:
    """QUERY with every `queryString` entry it lacks appended, in order: an entry counts
    as present when its name and value appear in QUERY, raw or decoded."""
    if not isinstance(entries, list) or not entries:
        return query
    raw = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query.split("&") if p]
    present = set(raw) | set(parse_qsl(query, keep_blank_values=True))
    extra = []
    for e in entries:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            continue
        name, value = e["name"], _text(e.get("value", ""))
        if (name, value) in present:
            continue
        present.add((name, value))
        extra.append(f"{_query(name)}={_query(value)}")
    return "&".join([query, *extra] if query else extra)


def _params(post: dict[str, Any]) -> list[dict[str, Any]]:
    params = post.get("params")
    if not isinstance(params, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in params
    ):
        raise BadParams("request.postData.params should be [{'name', 'value'}]")
    return params


def body_from_params(post: dict[str, Any], content_type: str | None) -> tuple[bytes, str | None]:
    """The body POST's params stand for, and the Content-Type to send with it when the
    request's own (CONTENT_TYPE) does not fit: a multipart body needs the boundary it was
    built with."""
    params = _params(post)
    mime = post.get("mimeType") if isinstance(post.get("mimeType"), str) else ""
    kind = (mime or content_type or "").split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return _multipart(params, mime or "", content_type)
    pairs = [f"{_form(p['name'])}={_form(_text(p.get('value', '')))}" for p in params]
    return "&".join(pairs).encode("utf-8"), None


def _multipart(
    params: list[dict[str, Any]], mime: str, content_type: str | None
) -> tuple[bytes, str | None]:
    found = _BOUNDARY.search(content_type or "") or _BOUNDARY.search(mime)
    boundary = (found.group(1) or found.group(2)) if found else None
    new_type = None
    if boundary is None:
        boundary = "----hookcli" + secrets.token_hex(12)
        new_type = f"multipart/form-data; boundary={boundary}"
    out = bytearray()
    for p in params:
        disposition = f'form-data; name="{_quoted(p["name"])}"'
        file_name = p.get("fileName")
        if isinstance(file_name, str):
            disposition += f'; filename="{_quoted(file_name)}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        part_type = p.get("contentType")
        if isinstance(part_type, str) and part_type:
            out += f"Content-Type: {part_type}\r\n".encode()
        elif isinstance(file_name, str):
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + _text(p.get("value", "")).encode("utf-8") + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), new_type


def _quoted(name: str) -> str:
    """A name in a quoted multipart parameter, as browsers write it (HTML's rule)."""
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
