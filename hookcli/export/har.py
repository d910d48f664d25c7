"""The `har` format (HTTP Archive 1.2), both ways: captures to HAR entries for browser dev
tools, Charles, Proxyman and Insomnia, and HAR entries back to captures for `import`.

A body that is not UTF-8 is written base64 with `"encoding": "base64"` on its `postData`
(HAR 1.2 defines that field for response content only; tools that know it for requests,
hookcli among them, read the bytes back exactly). The entry's `url` is the one the sender
used (scheme and host from the capture's headers), so the path and query come back as
they were captured. Export streams: one entry at a time, whatever the number of captures."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from hookcli import __version__
from hookcli.model import body as bodycodec
from hookcli.model import headers as hdr
from hookcli.model.capture import Capture

_HEAD = (
    b'{\n  "log": {\n    "version": "1.2",\n    "creator": {"name": "hookcli", "version": '
    + orjson.dumps(__version__)
    + b'},\n    "pages": [],\n    "entries": ['
)
_TAIL = b"\n    ]\n  }\n}\n"
_INDENT = b"\n      "


def entry(c: Capture) -> dict[str, Any]:
    from hookcli.signing.classify import request_url

    request: dict[str, Any] = {
        "method": c.method,
        "url": request_url(c),
        "httpVersion": f"HTTP/{c.http_version}",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in c.headers],
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(c.query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(c.body),
    }
    if c.body:
        text, encoding = bodycodec.encode(c.body)
        post = {"mimeType": hdr.get(c.headers, "Content-Type") or "", "text": text}
        if encoding == "base64":
            post["encoding"] = "base64"
        request["postData"] = post
    status = int(c.response.get("status") or 0)
    return {
        "startedDateTime": c.received_at,
        "time": 0,
        "request": request,
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1" if status else "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
        "_hookcli": {
            "id": c.id,
            "source": c.source,
            "provider": c.provider,
            "event_type": c.event_type,
            "remote_addr": c.remote_addr,
        },
    }


def export(captures: Iterable[Capture], to: str | None = None) -> Iterator[tuple[None, bytes]]:
    """The HAR document in pieces: the head, one entry each, the tail. TO is not used: a
    HAR file records where the request went."""
    yield None, _HEAD
    sep = _INDENT
    for c in captures:
        doc = orjson.dumps(entry(c), option=orjson.OPT_INDENT_2)
        yield None, sep + doc.replace(b"\n", _INDENT)
        sep = b"," + _INDENT
    yield None, _TAIL


class BadEntry(ValueError):
    """What is wrong with one HAR entry, naming the field (the importer adds where)."""


def _get(d: Any, key: str, kind: type | tuple[type, ...], where: str, required: bool = True) -> Any:
    if not isinstance(d, dict):
        raise BadEntry(f"{where} is not an object")
    if key not in d:
        if required:
            raise BadEntry(f"{where}.{key} is missing")
        return None
    value = d[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        names = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
        raise BadEntry(f"{where}.{key} should be {_article(names)}, not {value!r:.40}")
    return value


def _article(names: str) -> str:
    words = {"str": "a string", "list": "a list", "dict": "an object", "int": "a number"}
    return " or ".join(words.get(n, n) for n in names.split(" or "))


def _headers(raw: list[Any]) -> list[tuple[str, str]]:
    out = []
    for i, h in enumerate(raw):
        where = f"request.headers[{i}]"
        if isinstance(h, dict):
            name, value = _get(h, "name", str, where), _get(h, "value", str, where)
        elif isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h):
            name, value = h  # the [name, value] form some tools write
        else:
            raise BadEntry(f"{where} should be {{'name': ..., 'value': ...}}")
        if not name.startswith(":"):  # HTTP/2 pseudo-headers are not headers
            out.append((name, value))
    return out


def _body(request: dict[str, Any]) -> bytes:
    post = _get(request, "postData", dict, "request", required=False)
    if post is None:
        return b""
    text: str | None = _get(post, "text", str, "request.postData", required=False)
    if text is None:
        params = _get(post, "params", list, "request.postData", required=False) or []
        try:
            text = urlencode([(p["name"], p.get("value", "")) for p in params])
        except (TypeError, KeyError):
            raise BadEntry("request.postData.params should be [{'name', 'value'}]") from None
    encoding = _get(post, "encoding", str, "request.postData", required=False)
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadEntry("request.postData.text is not valid base64") from None
    if encoding not in (None, ""):
        raise BadEntry(f"request.postData.encoding {encoding!r} is not known (only base64)")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadEntry("request.postData.text holds text that is not valid Unicode") from None


def capture_of(e: Any) -> Capture:
    """The capture a HAR entry describes (new: no id, source "imported"). BadEntry when
    it does not describe a request."""
    request = _get(e, "request", dict, "entry")
    method = _get(request, "method", str, "request")
    if not method or not method.isascii() or any(ch.isspace() for ch in method):
        raise BadEntry(f"request.method {method!r} is not an HTTP method")
    url = _get(request, "url", str, "request")
    parts = urlsplit(url)
    version = _get(request, "httpVersion", str, "request", required=False) or ""
    response = e.get("response")
    status = response.get("status") if isinstance(response, dict) else None
    meta = e.get("_hookcli") if isinstance(e.get("_hookcli"), dict) else {}
    remote = meta.get("remote_addr")
    return Capture(
        method=method,
        path=parts.path or "/",
        query=parts.query,
        headers=_headers(_get(request, "headers", list, "request")),
        body=_body(request),
        source="imported",
        http_version=version[5:] if version.upper().startswith("HTTP/") else "1.1",
        remote_addr=remote if isinstance(remote, str) else None,
        response={"status": status} if isinstance(status, int) and status > 0 else {},
    )
