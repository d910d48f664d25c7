"""HAR files as browsers, mitmproxy, httpsnippet and har-to-k6 write them, imported and
exported by the real CLI: the original URL (scheme, host, port; HTTP/2's `:authority`)
comes back on export and is where `replay --to original` sends; bodies given as
`postData.params` are built as their mimeType says (checked with werkzeug's form parser,
as a Flask app would read them); `queryString` entries missing from `url` are kept.
The HAR files are written here, entry by entry, in the shapes those tools write."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.formparser import parse_form_data

from hookcli.model.capture import Capture
from tests.conftest import add, run, run_json
from tests.receiver import Receiver


def har(*entries: dict[str, Any]) -> str:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": entries}})


def request(url: str, headers: list[tuple[str, str]], **more: Any) -> dict[str, Any]:
    req = {
        "method": "POST",
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": [{"name": k, "value": v} for k, v in headers],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": -1,
    }
    req.update(more)
    return {"startedDateTime": "2026-01-02T03:04:05.000Z", "request": req, "response": {}}


BROWSER_HTTPS = request(
    "https://api.shop.example:8443/hooks/stripe?live=1",
    [("Host", "api.shop.example:8443"), ("Content-Type", "application/json")],
    postData={"mimeType": "application/json", "text": '{"id": "evt_1"}'},
    queryString=[{"name": "live", "value": "1"}],
)
HTTP2 = request(  # as Chrome writes an h2 request: the host is only in :authority
    "https://hooks.example.com/h2/path",
    [
        (":method", "POST"),
        (":authority", "hooks.example.com"),
        (":scheme", "https"),
        (":path", "/h2/path"),
        ("content-type", "application/json"),
    ],
    httpVersion="http/2.0",
    postData={"mimeType": "application/json", "text": "{}"},
)
MULTIPART = request(
    "https://upload.example.com/forms/upload",
    [("Host", "upload.example.com"), ("Content-Type", "multipart/form-data; boundary=XyZ")],
    postData={
        "mimeType": "multipart/form-data; boundary=XyZ",
        "params": [
            {"name": "title", "value": "Q3 report"},
            {
                "name": "file",
                "fileName": "report.csv",
                "contentType": "text/csv",
                "value": "a,b\n1,2\n",
            },
            {"name": "meta", "value": {"sid": False}},
        ],
    },
)
URLENCODED = request(
    "http://127.0.0.1:9/forms/login?a=1",
    [("Host", "127.0.0.1:9"), ("Content-Type", "application/x-www-form-urlencoded")],
    postData={
        "mimeType": "application/x-www-form-urlencoded",
        "params": [
            {"name": "q", "value": "caf%C3%A9+au+lait"},  # as Chrome writes it: encoded
            {"name": "who", "value": "Zoë & co"},  # as Firefox writes it: decoded
            {"name": "remember", "value": True},
            {"name": "n", "value": 3},
        ],
    },
    queryString=[{"name": "a", "value": "1"}, {"name": "page", "value": "2 of 3"}],
)


def form(body: bytes, content_type: str) -> tuple[dict[str, list[str]], dict[str, Any]]:
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _, fields, files = parse_form_data(environ)
    return {k: fields.getlist(k) for k in fields}, {k: files[k] for k in files}


def imported(tmp_path: Path, *entries: dict[str, Any]) -> tuple[Path, list[dict[str, Any]]]:
    store = tmp_path / "store"
    path = tmp_path / "in.har"
    path.write_text(har(*entries))
    r = run(store, "import", str(path))
    assert r.returncode == 0, r.stderr
    return store, [run_json(store, "show", str(i + 1)) for i in range(len(entries))]


def exported_urls(store: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "out.har"
    r = run(store, "export", "--all", "--format", "har", "--no-redact", "--out", str(out))
    assert r.returncode == 0, r.stderr
    entries = json.loads(out.read_text())["log"]["entries"]
    return sorted(e["request"]["url"] for e in entries)


def test_https_and_http2_urls_come_back_on_export(tmp_path: Path) -> None:
    store, (https, h2) = imported(tmp_path, BROWSER_HTTPS, HTTP2)
    assert https["origin"] == "https://api.shop.example:8443"
    assert h2["origin"] == "https://hooks.example.com"
    assert h2["http_version"] == "2.0"
    assert exported_urls(store, tmp_path) == [
        "https://api.shop.example:8443/hooks/stripe?live=1",
        "https://hooks.example.com/h2/path",
    ]


def test_multipart_params_become_a_multipart_body(tmp_path: Path) -> None:
    _, (rec,) = imported(tmp_path, MULTIPART)
    headers = dict(rec["headers"])
    assert headers["Content-Type"] == "multipart/form-data; boundary=XyZ"
    fields, files = form(rec["body"].encode(), headers["Content-Type"])
    assert fields == {"title": ["Q3 report"], "meta": ['{"sid": false}']}
    upload = files["file"]
    assert upload.filename == "report.csv" and upload.content_type == "text/csv"
    assert upload.read() == b"a,b\n1,2\n"


def test_multipart_params_without_a_boundary_get_one_in_the_content_type(tmp_path: Path) -> None:
    entry = json.loads(json.dumps(MULTIPART))
    entry["request"]["headers"] = [{"name": "Host", "value": "upload.example.com"}]
    entry["request"]["postData"]["mimeType"] = "multipart/form-data"
    _, (rec,) = imported(tmp_path, entry)
    content_type = dict(rec["headers"])["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    fields, files = form(rec["body"].encode(), content_type)
    assert fields["title"] == ["Q3 report"] and files["file"].read() == b"a,b\n1,2\n"


def test_urlencoded_params_are_encoded_once_and_values_as_json(tmp_path: Path) -> None:
    _, (rec,) = imported(tmp_path, URLENCODED)
    assert parse_qsl(rec["body"], keep_blank_values=True, strict_parsing=True) == [
        ("q", "café au lait"),
        ("who", "Zoë & co"),
        ("remember", "true"),
        ("n", "3"),
    ]


def test_query_string_entries_missing_from_the_url_are_kept(tmp_path: Path) -> None:
    _, (rec,) = imported(tmp_path, URLENCODED)
    assert rec["query"] == "a=1&page=2%20of%203"
    assert parse_qsl(rec["query"]) == [("a", "1"), ("page", "2 of 3")]


def test_replay_to_original_sends_to_the_url_the_har_recorded(tmp_path: Path) -> None:
    receiver = Receiver().start()
    try:
        entry = request(
            f"{receiver.url}/orig/path?x=1",
            [("Host", receiver.url[7:]), ("Content-Type", "application/json")],
            postData={"mimeType": "application/json", "text": '{"ok": 1}'},
        )
        store, _ = imported(tmp_path, entry)
        r = run(store, "replay", "1", "--to", "original")
        assert r.returncode == 0, r.stderr
        (seen,) = receiver.wait(1)
        assert seen.path_qs == "/orig/path?x=1" and seen.body == b'{"ok": 1}'
    finally:
        receiver.stop()


def test_replay_to_original_without_one_is_a_usage_error(tmp_path: Path) -> None:
    store = tmp_path / "store"
    add(store, Capture("POST", "/caught", "", [("Host", "localhost:9000")], b"{}"))
    r = run(store, "replay", "1", "--to", "original")
    assert r.returncode == 2
    assert "capture #1 has no original URL" in r.stderr.decode()
