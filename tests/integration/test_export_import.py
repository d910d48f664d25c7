"""`hookcli export` and `hookcli import` on captures made by the real catch server: round
trips through fixture files and HAR keep the request exact, curl and httpie commands run
against a real receiver send the same bytes, redaction leaves no secret behind, and a
malformed file leaves the store as it was."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from hookcli.signing import registry
from tests.conftest import Listener, run, run_json, send
from tests.receiver import Receiver

STRIPE = "whsec_export_test_0123456789"
BINARY = bytes(range(256)) * 3
# (method, target, headers, body): what the listener catches, each exported and brought back
REQUESTS: list[tuple[str, str, list[tuple[str, str]], bytes]] = [
    (
        "POST",
        "/hooks/json?a=1&b=%20x&a=2",
        [
            ("X-First", "1"),
            ("Content-Type", "application/json"),
            ("x-dup", "a"),
            ("X-Dup", "b"),
            ("X-Empty", ""),
            ("User-Agent", "Sender/1.0"),
            ("X-Last", "z"),
        ],
        '{"type": "ping", "name": "Zo\u00eb"}\n'.encode(),
    ),
    ("PUT", "/bin/%5Bx%5D/[y]", [("Content-Type", "application/octet-stream")], BINARY),
    ("POST", "/text", [("X-Eq", "=starts"), ("X-At", "@file")], b"@not-a-file\n  'q' \\ $x"),
    ("POST", "/ctl", [("Content-Type", "text/plain")], b"a\r\n\x1b[31mred\x00 \xe2\x80\xae"),
    ("POST", "/empty", [("Accept", "*/*")], b""),
    ("GET", "/get?q=1", [("Accept", "application/json")], b""),
    ("DELETE", "/items/7", [], b""),
    ("PATCH", "/big", [("Content-Type", "text/plain")], b"x" * (200 * 1024)),
    # last: a header byte that is not UTF-8 (recorded latin-1), which HTTPie cannot send
    ("POST", "/latin", [("X-Latin", "caf\xe9"), ("X-Plain", "a")], b"{}"),
]
UTF8_REQUESTS = REQUESTS[:-1]


def _wire(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as compared after a resend: what the sender's own client added is gone."""
    return [(k, v) for k, v in headers if k.lower() not in ("host", "content-length")]


@pytest.fixture(scope="module")
def caught(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store holding REQUESTS, as the real listener recorded them (ids 1..n)."""
    store = tmp_path_factory.mktemp("export") / "store"
    lst = Listener(store)
    try:
        for method, target, headers, body in REQUESTS:
            status, answer, _ = send(lst.url, method, target, body, headers)
            assert status == 200, answer
    finally:
        lst.stop()
    yield store


def records(store: Path) -> list[dict[str, object]]:
    rows = run_json(store, "ls", "--limit", "1000")
    return [run_json(store, "show", str(r["id"])) for r in reversed(rows)]


def same_request(a: dict[str, object], b: dict[str, object]) -> None:
    keys = ("method", "path", "query", "headers", "headers_encoding", "body", "body_encoding")
    for key in (*keys, "body_size"):
        assert a[key] == b[key], (key, a[key], b[key])


# -- round trips ---------------------------------------------------------------------------


def test_fixtures_round_trip_keeps_the_requests(caught: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixtures"
    r = run(caught, "export", "--all", "--out", str(out), "--no-redact")
    assert r.returncode == 0, r.stderr
    assert f"Wrote {len(REQUESTS)} fixtures to {out}" in r.stdout.decode()
    names = sorted(p.name for p in out.iterdir())
    assert "put-bin_5Bx_5D_y-2.json" in names and "post-hooks_json-1.json" in names
    again = tmp_path / "again"
    r = run(again, "import", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"imported": list(range(1, len(REQUESTS) + 1))}
    # fixture files are read in name order: match them by path
    by_path = {rec["path"]: rec for rec in records(again)}
    for original in records(caught):
        copy = by_path[original["path"]]
        same_request(original, copy)
        assert copy["source"] == "imported"


def test_fixture_files_are_stable(caught: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(caught, "export", "1", "2", "--out", str(a)).returncode == 0
    assert run(caught, "export", "1-2", "--out", str(b)).returncode == 0
    for f in a.iterdir():
        assert f.read_bytes() == (b / f.name).read_bytes()
    doc = json.loads((a / "post-hooks_json-1.json").read_text())
    keys = list(doc)
    assert keys[:6] == ["id", "received_at", "source", "method", "path", "query"]
    assert doc["forwards"] == [] and doc["replays"] == []


def test_har_round_trip_keeps_the_requests_and_binary_bodies(caught: Path, tmp_path: Path) -> None:
    har = tmp_path / "all.har"
    r = run(caught, "export", "--all", "--format", "har", "--no-redact", "--out", str(har))
    assert r.returncode == 0, r.stderr
    doc = json.loads(har.read_text())
    assert doc["log"]["version"] == "1.2"
    entries = doc["log"]["entries"]
    assert len(entries) == len(REQUESTS)
    post = entries[1]["request"]["postData"]
    assert post["encoding"] == "base64" and post["mimeType"] == "application/octet-stream"
    assert entries[0]["request"]["headers"][1] == {"name": "X-First", "value": "1"}
    again = tmp_path / "again"
    r = run(again, "import", str(har))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith(f"Imported {len(REQUESTS)} captures (#1-#{len(REQUESTS)})")
    for original, copy in zip(records(caught), records(again), strict=True):
        same_request(original, copy)


def test_har_goes_to_stdout_without_out(caught: Path) -> None:
    r = run(caught, "export", "last", "--format", "har")
    assert r.returncode == 0, r.stderr
    (entry,) = json.loads(r.stdout)["log"]["entries"]
    assert entry["request"]["url"].endswith("/latin")
    assert entry["_hookcli"]["headers_encoding"] == "latin-1"


# -- commands run against a real receiver --------------------------------------------------


def _bash(script: str, where: Path, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """Run SCRIPT from a file, as a user runs an exported script (an argument could not
    hold the large bodies)."""
    path = where / "export.sh"
    path.write_text(script)
    return subprocess.run(["bash", str(path)], capture_output=True, timeout=timeout)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary is not installed")
def test_curl_commands_send_the_captured_bytes(
    caught: Path, receiver: Receiver, tmp_path: Path
) -> None:
    r = run(caught, "export", "--all", "--format", "curl", "--to", receiver.url + "/api")
    assert r.returncode == 0, r.stderr
    script = r.stdout.decode()
    assert "\x1b" not in script, "control bytes are quoted, never written raw"
    done = _bash("set -e\n" + script.replace("curl ", "curl -sS -o /dev/null "), tmp_path)
    assert done.returncode == 0, done.stderr
    seen = receiver.wait(len(REQUESTS))
    assert len(seen) == len(REQUESTS)
    for (method, target, headers, body), got in zip(REQUESTS, seen, strict=True):
        assert got.method == method
        assert got.path_qs == "/api" + target
        assert _wire(got.headers) == headers, target  # order, case, duplicates, empty
        assert got.body == body, target


@pytest.mark.long
@pytest.mark.skipif(shutil.which("http") is None, reason="HTTPie is a test dependency")
def test_httpie_commands_send_the_captured_bytes(
    caught: Path, receiver: Receiver, tmp_path: Path
) -> None:
    last = len(REQUESTS)
    r = run(caught, "export", str(last), "--format", "httpie")
    assert r.returncode == 1 and "not UTF-8, which HTTPie cannot send" in r.stderr.decode()
    r = run(caught, "export", f"1-{last - 1}", "--format", "httpie", "--to", receiver.url)
    assert r.returncode == 0, r.stderr
    script = r.stdout.decode().replace("http ", "http --quiet ")
    done = _bash("set -e\n" + script, tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = receiver.wait(len(UTF8_REQUESTS))
    for (method, target, headers, body), got in zip(UTF8_REQUESTS, seen, strict=True):
        assert (got.method, got.body) == (method, body)
        # urllib3, under HTTPie, percent-encodes [ and ] in a path (docs/export.md)
        assert unquote(got.path_qs) == unquote(target)
        sent = _wire(got.headers)
        # HTTPie puts User-Agent, Accept and Content-Type first (docs/export.md); the
        # rest keep their order, and nothing is added or lost
        assert sorted(sent) == sorted(headers), target
        moved = ("user-agent", "accept", "content-type")
        assert [h for h in sent if h[0].lower() not in moved] == [
            h for h in headers if h[0].lower() not in moved
        ]


def test_to_joins_by_the_url_rule_and_default_is_the_original_host(caught: Path) -> None:
    r = run(caught, "export", "1", "--format", "curl", "--to", "http://localhost:3000/base/")
    assert "'http://localhost:3000/base/hooks/json?a=1&b=%20x&a=2'" in r.stdout.decode()
    r = run(caught, "export", "1", "--format", "curl")
    host = run_json(caught, "show", "1")["headers"][0][1]
    assert f"'http://{host}/hooks/json?a=1&b=%20x&a=2'" in r.stdout.decode()


# -- redaction -----------------------------------------------------------------------------

SECRETS = {
    "Authorization": "Bearer sk_live_SECRET_AUTH_1",
    "Cookie": "session=SECRET_COOKIE_2",
    "X-Api-Key": "SECRET_APIKEY_3",
    "X-Gitlab-Token": "SECRET_TOKEN_4",
}


@pytest.fixture(scope="module")
def secret_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("secret") / "store"
    body = json.dumps(
        {"type": "invoice.paid", "data": {"object": {"email": "ada@SECRET5.example"}}},
        separators=(",", ":"),
    ).encode()
    signed = registry.get("stripe").sign(body, STRIPE, int(time.time()))
    lst = Listener(store)
    try:
        headers = [("Content-Type", "application/json"), *SECRETS.items(), *signed]
        status, _, _ = send(lst.url, "POST", "/hooks/stripe?token=SECRET_QUERY_6", body, headers)
        assert status == 200
        form = b"From=%2B15551234567&Body=SECRET_FORM_7&To=x"
        status, _, _ = send(
            lst.url,
            "POST",
            "/hooks/sms",
            form,
            [("Content-Type", "application/x-www-form-urlencoded")],
        )
        assert status == 200
    finally:
        lst.stop()
    return store


def secret_values(store: Path) -> list[str]:
    rec = run_json(store, "show", "1")
    sig = next(v for k, v in rec["headers"] if k == "Stripe-Signature")
    return [*SECRETS.values(), sig.split("v1=")[1], "SECRET5", "SECRET_QUERY_6", "SECRET_FORM_7"]


def test_fixtures_and_har_are_redacted_by_default(secret_store: Path, tmp_path: Path) -> None:
    fields = ["--redact-field", "body.data.object.email", "--redact-field", "body.Body"]
    r = run(secret_store, "export", "--all", "--out", str(tmp_path / "fx"), *fields)
    assert r.returncode == 0, r.stderr
    r = run(secret_store, "export", "--all", "--format", "har", *fields)
    assert r.returncode == 0, r.stderr
    texts = [p.read_text() for p in (tmp_path / "fx").iterdir()] + [r.stdout.decode()]
    for secret in secret_values(secret_store):
        for text in texts:
            assert secret not in text
    stripe_fixture = json.loads((tmp_path / "fx" / "stripe-invoice.paid-1.json").read_text())
    headers = dict(stripe_fixture["headers"])
    assert headers["Stripe-Signature"] == headers["Authorization"] == "REDACTED"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(stripe_fixture["body"])["data"]["object"]["email"] == "REDACTED"
    assert stripe_fixture["provider"] == "stripe"
    sms = json.loads((tmp_path / "fx" / "post-hooks_sms-2.json").read_text())
    assert sms["body"] == "From=%2B15551234567&Body=REDACTED&To=x"


def test_redact_is_off_for_commands_unless_asked(secret_store: Path) -> None:
    plain = run(secret_store, "export", "1", "--format", "curl").stdout.decode()
    assert SECRETS["X-Api-Key"] in plain
    r = run(secret_store, "export", "1", "--format", "curl", "--redact")
    assert r.returncode == 0, r.stderr
    headers_and_query = [*SECRETS.values(), *secret_values(secret_store)[4:5], "SECRET_QUERY_6"]
    assert all(s not in r.stdout.decode() for s in headers_and_query)


def test_no_redact_keeps_everything_and_an_unmatched_field_is_noted(
    secret_store: Path, tmp_path: Path
) -> None:
    r = run(secret_store, "export", "1", "--format", "har", "--no-redact")
    assert SECRETS["Cookie"] in r.stdout.decode()
    r = run(secret_store, "export", "1", "--format", "har", "--redact-field", "body.nope.x")
    assert r.returncode == 0
    assert "note: --redact-field body.nope.x matched no field" in r.stderr.decode()


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([], 2, "name the captures to export"),
        (["1", "--all"], 2, "ids or --all, not both"),
        (["1"], 2, "give --out DIR"),
        (["1", "--format", "xml"], 2, "--format 'xml' is not known"),
        (["1", "--format", "har", "--to", "http://x"], 2, "--to applies to curl and httpie"),
        (["1", "--format", "curl", "--to", "ftp://x"], 2, "not an http(s) URL"),
        (["1", "--format", "har", "--redact-field", "data.x"], 2, "body.PATH"),
        (["1", "--format", "har", "--no-redact", "--redact-field", "body.x"], 2, "choose one"),
        (["99", "--format", "curl"], 1, "no capture 99"),
        (["--all", "--method", "TRACE", "--format", "curl"], 1, "no capture matches"),
        (["1", "--format", "har", "--since", "soon"], 2, "--since"),
    ],
)
def test_export_failures_are_one_line(
    caught: Path, args: list[str], code: int, message: str
) -> None:
    r = run(caught, "export", *args)
    err = r.stderr.decode()
    assert r.returncode == code, err
    assert message in err and err.startswith("error: ") and err.count("\n") == 1
    assert r.stdout == b""


def test_export_to_a_place_that_cannot_be_written(caught: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run(caught, "export", "1", "--out", str(blocker / "sub"))
    assert r.returncode == 1 and f"cannot create {blocker / 'sub'}" in r.stderr.decode()
    r = run(caught, "export", "1", "--format", "har", "--out", str(tmp_path))
    assert r.returncode == 2 and "is a directory" in r.stderr.decode()
    r = run(caught, "export", "1", "--format", "har", "--out", str(blocker / "x.har"))
    assert r.returncode == 1 and "cannot write" in r.stderr.decode()
    assert list(tmp_path.iterdir()) == [blocker]


def store_bytes(store: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in store.iterdir()} if store.exists() else {}


GOOD_ENTRY = {"request": {"method": "POST", "url": "http://h/ok", "headers": []}}


def har_text(*entries: object) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}}, indent=2)


def _syntax_case() -> tuple[str, str, str]:
    good = json.dumps(GOOD_ENTRY)
    broken = '  {"request": {"method": "POST" "url": 1}}'
    text = '{"log": {"entries": [\n  ' + good + ",\n" + broken + "\n]}}\n"
    column = broken.index('"url"') + 1
    return "syntax.har", text, f"line 3, column {column}: Expecting ','"


def _entry_case() -> tuple[str, str, str]:
    text = har_text(GOOD_ENTRY, {"request": {"method": "POST", "headers": []}})
    second = [i + 1 for i, line in enumerate(text.splitlines()) if line == "      {"][1]
    return "entry.har", text, f"line {second}, column 7: entry 2: request.url is missing"


BAD_BASE64 = {
    "request": {
        "method": "POST",
        "url": "http://h/b",
        "headers": [],
        "postData": {"mimeType": "", "text": "%%%", "encoding": "base64"},
    }
}


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        _syntax_case(),
        _entry_case(),
        ("base64.har", har_text(BAD_BASE64), "entry 1: request.postData.text is not valid base64"),
        ("nolog.json", '{"log": {"pages": []}}', "log.entries is missing"),
        ("summary.json", '{"id": 1, "method": "POST", "path": "/", "body_size": 3}', "ls --json"),
        (
            "headers.json",
            '{"method": "POST", "path": "/", "headers": [["a"]]}',
            "line 1, column 1: the record: headers[0] should be [name, value]",
        ),
        ("text.json", "hello", "line 1, column 1: expected a HAR document"),
        ("latin.json", '{\n "method": "P\xc9ST"}', "line 2, column 14: the file is not UTF-8"),
        (
            "surrogate.json",
            '{"method": "POST", "path": "/\\ud800", "headers": []}',
            "not valid Unicode",
        ),
    ],
)
def test_malformed_files_are_named_with_a_position_and_nothing_is_imported(
    caught: Path, tmp_path: Path, name: str, text: str, where: str
) -> None:
    good = tmp_path / "a-good.har"
    good.write_text(har_text(GOOD_ENTRY))
    bad = tmp_path / name
    bad.write_bytes(text.encode("latin-1") if name == "latin.json" else text.encode())
    before = store_bytes(caught)
    r = run(caught, "import", str(good), str(tmp_path))
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert err.startswith(f"error: {bad}: ") and where in err, err
    assert "nothing was imported" in err and err.count("\n") == 1
    assert store_bytes(caught) == before


def test_import_of_nothing_importable(tmp_path: Path) -> None:
    store = tmp_path / "store"
    r = run(store, "import", str(tmp_path / "missing.har"))
    assert r.returncode == 1 and "no such file or directory" in r.stderr.decode()
    (tmp_path / "empty").mkdir()
    r = run(store, "import", str(tmp_path / "empty"))
    assert r.returncode == 1 and "no .har or .json files" in r.stderr.decode()
    r = run(store, "import")
    assert r.returncode == 2
    assert not store.exists()


def test_imported_captures_are_detected_and_marked(caught: Path, tmp_path: Path) -> None:
    body = b'{"type":"invoice.paid"}'
    headers = registry.get("stripe").sign(body, STRIPE, int(time.time()))
    entry = {
        "request": {
            "method": "POST",
            "url": "https://example.test/hooks/s?x=1",
            "httpVersion": "HTTP/2.0",
            "headers": [{"name": ":authority", "value": "example.test"}]
            + [{"name": k, "value": v} for k, v in headers],
            "postData": {"mimeType": "application/json", "text": body.decode()},
        },
        "response": {"status": 204},
    }
    (tmp_path / "one.har").write_text(har_text(entry))
    store = tmp_path / "store"
    assert run(store, "import", str(tmp_path / "one.har")).returncode == 0
    rec = run_json(store, "show", "1")
    assert (rec["source"], rec["provider"], rec["event_type"]) == (
        "imported",
        "stripe",
        "invoice.paid",
    )
    assert rec["headers"] == [list(h) for h in headers]  # the pseudo-header is not a header
    assert (rec["path"], rec["query"], rec["http_version"]) == ("/hooks/s", "x=1", "2.0")
    assert rec["response"] == {"status": 204}
    r = run(store, "verify", "1", "--secret", STRIPE)
    assert r.returncode == 0, r.stdout
