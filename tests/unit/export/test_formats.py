"""The formats' pure parts: fixture names and bytes, HAR entries both ways, and the
command forms of curl and HTTPie (their bytes on the wire are tested against a real
receiver in tests/integration/test_export_import.py)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from hookcli.errors import HookcliError
from hookcli.export import FORMATS, fixtures, har
from hookcli.export.curl import to_curl
from hookcli.export.httpie import to_httpie
from hookcli.model.capture import Capture


def make(**kw: object) -> Capture:
    base: dict[str, object] = {
        "method": "POST",
        "path": "/hooks/x",
        "query": "",
        "headers": [("Host", "h:9000")],
        "body": b"{}",
        "id": 7,
    }
    base.update(kw)
    return Capture(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"provider": "stripe", "event_type": "invoice.paid"}, "stripe-invoice.paid-7.json"),
        ({"provider": "shopify", "event_type": "orders/create"}, "shopify-orders_create-7.json"),
        ({"provider": "stripe"}, "post-hooks_x-7.json"),
        ({"path": "/"}, "post-root-7.json"),
        ({"path": "/a b/..//%2e/ü"}, "post-a_b_.._2e-7.json"),
        ({"path": "/" + "x" * 300}, "post-" + "x" * 80 + "-7.json"),
    ],
)
def test_fixture_file_names(kw: dict[str, object], name: str) -> None:
    assert fixtures.file_name(make(**kw)) == name


def test_fixture_is_the_record_without_attempts() -> None:
    c = make(headers=[("A", "1"), ("a", "2")], body=b"\xff")
    data = fixtures.render(c)
    doc = json.loads(data)
    assert list(doc) == list(c.to_record())
    assert doc["headers"] == [["A", "1"], ["a", "2"]]
    assert doc["body_encoding"] == "base64" and base64.b64decode(doc["body"]) == b"\xff"
    assert b'\n    ["A", "1"],\n    ["a", "2"]\n' in data
    assert Capture.from_record(doc).body == b"\xff"


def test_har_entry_and_back() -> None:
    c = make(
        path="/p%20q",
        query="a=1&a=2&b",
        headers=[("Host", "h"), ("X-Forwarded-Proto", "https"), ("Content-Type", "x/y")],
        body=b"\xff\x01",
        response={"status": 202},
        http_version="1.0",
    )
    e = har.entry(c)
    req = e["request"]
    assert req["url"] == "https://h/p%20q?a=1&a=2&b"
    assert req["queryString"] == [
        {"name": "a", "value": "1"},
        {"name": "a", "value": "2"},
        {"name": "b", "value": ""},
    ]
    assert req["postData"] == {"mimeType": "x/y", "text": "/wE=", "encoding": "base64"}
    assert e["response"]["status"] == 202
    back = har.capture_of(json.loads(json.dumps(e)))
    assert (back.method, back.path, back.query, back.headers, back.body) == (
        c.method,
        c.path,
        c.query,
        c.headers,
        c.body,
    )
    assert (back.source, back.http_version, back.response) == ("imported", "1.0", {"status": 202})


def test_har_document_streams_valid_json() -> None:
    pieces = list(FORMATS["har"]([make(id=1), make(id=2, body=b"")], None))
    assert len(pieces) == 4 and all(name is None for name, _ in pieces)
    doc = json.loads(b"".join(data for _, data in pieces))
    assert [e["_hookcli"]["id"] for e in doc["log"]["entries"]] == [1, 2]
    assert "postData" not in doc["log"]["entries"][1]["request"]
    empty = json.loads(b"".join(d for _, d in FORMATS["har"]([], None)))
    assert empty["log"]["entries"] == []


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ([], "entry is not an object"),
        ({}, "entry.request is missing"),
        ({"request": {"url": "/", "headers": []}}, "request.method is missing"),
        ({"request": {"method": "GE T", "url": "/", "headers": []}}, "not an HTTP method"),
        ({"request": {"method": "GET", "url": 5, "headers": []}}, "request.url should be a string"),
        ({"request": {"method": "GET", "url": "/", "headers": [1]}}, "request.headers[0]"),
        (
            {
                "request": {
                    "method": "GET",
                    "url": "/",
                    "headers": [],
                    "postData": {"text": "x", "encoding": "gzip"},
                }
            },
            "encoding 'gzip' is not known",
        ),
    ],
)
def test_bad_har_entries_say_which_field(entry: object, problem: str) -> None:
    with pytest.raises(har.BadEntry, match=re.escape(problem)):
        har.capture_of(entry)


def test_har_form_params_without_text_become_the_body() -> None:
    e = {
        "request": {
            "method": "POST",
            "url": "http://h/",
            "headers": [["A", "b"]],
            "postData": {"params": [{"name": "x", "value": "1 2"}, {"name": "y"}]},
        }
    }
    c = har.capture_of(e)
    assert c.body == b"x=1+2&y=" and c.headers == [("A", "b")]


def test_curl_forms() -> None:
    head = to_curl(make(method="HEAD", body=b""), "http://t")
    assert head.startswith("curl --head http://t/hooks/x")
    dots = to_curl(make(method="GET", path="/a/../b", body=b""), "http://t")
    assert dots.startswith("curl --path-as-is http://t/a/../b")
    big = to_curl(make(body=b"y" * 2000), "http://t")
    assert "-H Expect:" in big and "--data-raw" in big
    evil = to_curl(make(headers=[("X-E", "\x1b]0;pwned\x07")]), "http://t")
    assert "\x1b" not in evil and "$'X-E: \\x1b]0;pwned\\x07'" in evil


def test_httpie_items() -> None:
    c = make(headers=[("X-Eq", "=a"), ("X-At", "@f"), ("X-Empty", ""), ("X-C", "a:b;c")])
    cmd = to_httpie(c, "http://t")
    for item in ("'X-Eq:\\=a'", "'X-At:\\@f'", "'X-Empty;'", "'X-C:a:b;c'"):
        assert item in cmd
    with pytest.raises(HookcliError, match="--format curl"):
        to_httpie(make(headers=[("X-B", "a\\=b")]), "http://t")
