"""The `har` format (HTTP Archive 1.2), both ways: captures to HAR entries for browser dev
tools, Charles, Proxyman and Insomnia, and HAR entries back to captures for `import`.

A body that is not UTF-8 is written base64 with `"encoding": "base64"` on its `postData`
(HAR 1.2 defines that field for response content only; tools that know it for requests,
hookcli among them, read the bytes back exactly). The entry's `url` is the one the sender
used: an imported capture keeps its original URL's scheme, host and port (`origin`), any
other is rebuilt from its headers; the path and query come back as they were captured.
Export streams: one entry at a time, whatever the number of captures."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import orjson

from hookcli import __version__
from hookcli.export.har_request import BadParams, body_from_params, merge_query, origin
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
        "url": c.origin + c.target if c.origin else request_url(c),
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
            # latin-1: the header text maps 1:1 to bytes that were not UTF-8
            "headers_encoding": c.headers_encoding,
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
    try:  # the usual {"name", "value"} objects, at once
        pairs = [(h["name"], h["value"]) for h in raw]
    except (TypeError, KeyError):
        pairs = None
    if pairs is None or not all(type(k) is str and type(v) is str for k, v in pairs):
        pairs = _headers_checked(raw)
    # HTTP/2 pseudo-headers (:authority, ...) are not headers
    return [(k, v) for k, v in pairs if k[:1] != ":"]


def _headers_checked(raw: list[Any]) -> list[tuple[str, str]]:
    """Headers one by one, in either form, naming the first that is neither."""
    out = []
    for i, h in enumerate(raw):
        where = f"request.headers[{i}]"
        if isinstance(h, dict):
            out.append((_get(h, "name", str, where), _get(h, "value", str, where)))
        elif isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h):
            out.append((h[0], h[1]))  # the [name, value] form some tools write
        else:
            raise BadEntry(f"{where} should be {{'name': ..., 'value': ...}}")
    return out


def _body(request: dict[str, Any]) -> bytes:
    post = request.get("postData")
    if post is None:
        return b""
    if type(post) is dict and type(post.get("text")) is str and post.get("encoding") is None:
        try:  # the usual text body, at once
            return str(post["text"]).encode("utf-8")
        except UnicodeEncodeError:
            raise BadEntry("request.postData.text holds text that is not valid Unicode") from None
    return _body_checked(request)


def _body_checked(request: dict[str, Any]) -> bytes:
    """The body of any postData form: base64, form params, or an error naming the field."""
    post = _get(request, "postData", dict, "request", required=False)
    if post is None:
        return b""
    text: str | None = _get(post, "text", str, "request.postData", required=False)
    if text is None:
        return _params_body(request)
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


def _params_body(request: dict[str, Any]) -> bytes:
    """A body given as postData.params (or not at all), built as its mimeType says; a
    multipart body built with a boundary of its own sets the request's Content-Type."""
    post = request["postData"]
    if post.get("params") is None:
        return b""
    headers = request.get("headers")
    pairs = _headers(headers) if isinstance(headers, list) else []
    try:
        body, content_type = body_from_params(post, hdr.get(pairs, "Content-Type"))
    except BadParams as e:
        raise BadEntry(str(e)) from None
    if content_type is not None:
        request["_content_type"] = content_type
    return body


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _path_and_query(url: str) -> tuple[str, str]:
    """Raw path and query of an absolute (or origin-form) URL, percent-encoding kept: what
    urlsplit gives, at a fraction of its cost for 100,000 entries."""
    start = url.find("://")
    if start >= 0:
        slash = url.find("/", start + 3)
        target = url[slash:] if slash >= 0 else "/"
    else:
        target = url
    target = target.partition("#")[0]
    path, _, query = target.partition("?")
    return path or "/", query


def _request_fields(e: Any) -> tuple[dict[str, Any], str, str, list[Any]]:
    """(request, method, url, headers) of an entry; BadEntry naming the first field that
    is missing or of the wrong kind."""
    try:
        request = e["request"]
        method, url, headers = request["method"], request["url"], request["headers"]
        if type(method) is str and type(url) is str and type(headers) is list:
            return request, method, url, headers
    except (KeyError, TypeError):
        pass
    request = _get(e, "request", dict, "entry")
    return (
        request,
        _get(request, "method", str, "request"),
        _get(request, "url", str, "request"),
        _get(request, "headers", list, "request"),
    )


def capture_of(e: Any) -> Capture:
    """The capture a HAR entry describes (new: no id or time yet, source "imported").
    BadEntry when it does not describe a request."""
    request, method, url, headers = _request_fields(e)
    if not _TOKEN.fullmatch(method):
        raise BadEntry(f"request.method {method!r} is not an HTTP method")
    path, query = _path_and_query(url)
    query = merge_query(query, request.get("queryString"))
    version = request.get("httpVersion")
    version = version if type(version) is str else ""
    response = e.get("response")
    status = response.get("status") if type(response) is dict else None
    meta = e.get("_hookcli")
    meta = meta if type(meta) is dict else {}
    remote = meta.get("remote_addr")
    body = _body(request)
    pairs = _headers(headers)
    if "_content_type" in request:  # a multipart body built here: its boundary
        pairs = hdr.replace(pairs, [("Content-Type", request.pop("_content_type"))])
    return Capture(
        method=method,
        path=path,
        query=query,
        headers=pairs,
        body=body,
        origin=origin(url),
        received_at="",
        source="imported",
        http_version=version[5:] if version[:5].upper() == "HTTP/" else "1.1",
        remote_addr=remote if type(remote) is str else None,
        headers_encoding=hdr.known_encoding(meta.get("headers_encoding")),
        response={"status": status} if type(status) is int and status > 0 else {},
    )
