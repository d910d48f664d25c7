"""`hookcli listen` records every request byte-exact, whatever the sender does."""

from __future__ import annotations

import base64
import gzip
import json
import signal
import socket
import time
from pathlib import Path

from tests.conftest import Listener, raw_exchange, run, run_json, send


def record_body(rec: dict[str, object]) -> bytes:
    if rec["body_encoding"] == "base64":
        return base64.b64decode(str(rec["body"]))
    return str(rec["body"]).encode()


def test_raw_path_query_headers_and_body_are_kept(store: Path, listener: Listener) -> None:
    headers = [("X-Dup", "one"), ("x-MiXeD-Case", "v"), ("X-Dup", "two")]
    status, body, _ = send(listener.url, "POST", "/a%2Fb/c%20d?q=%20x&q=2&e=", b"{}", headers)
    assert status == 200
    rec = run_json(store, "show", "last")
    assert rec["path"] == "/a%2Fb/c%20d"
    assert rec["query"] == "q=%20x&q=2&e="
    sent = [h for h in rec["headers"] if h[0].lower() in ("x-dup", "x-mixed-case")]
    assert sent == [["X-Dup", "one"], ["x-MiXeD-Case", "v"], ["X-Dup", "two"]]
    assert json.loads(body) == {"ok": True, "id": rec["id"]}
    assert rec["source"] == "listen" and rec["remote_addr"] == "127.0.0.1"
    assert rec["http_version"] == "1.1" and rec["response"] == {"status": 200}


def test_bodies_of_every_kind_are_byte_exact(store: Path, listener: Listener) -> None:
    gz = gzip.compress(b'{"compressed": true}')
    cases = [
        ("/bad-json", [("Content-Type", "application/json")], b'{"unterminated": [1, 2'),
        ("/bad-utf8", [("Content-Type", "text/plain")], b"caf\xe9 \xff\xfe"),
        ("/empty", [], b""),
        ("/gzip", [("Content-Encoding", "gzip"), ("Content-Type", "application/json")], gz),
        ("/binary", [("Content-Type", "application/octet-stream")], bytes(range(256))),
    ]
    for target, headers, body in cases:
        assert send(listener.url, "POST", target, body, headers)[0] == 200
    rows = run_json(store, "ls")
    assert [r["path"] for r in rows] == [c[0] for c in reversed(cases)]
    for (_, _, body), row in zip(reversed(cases), rows, strict=True):
        r = run(store, "show", str(row["id"]), "--body")
        assert r.returncode == 0 and r.stdout == body
        rec = run_json(store, "show", str(row["id"]))
        assert record_body(rec) == body and rec["body_size"] == len(body)
    gz_rec = run_json(store, "show", str(rows[1]["id"]))
    assert gz_rec["body_encoding"] == "base64", "gzip bytes are kept, not inflated"
    assert run_json(store, "show", str(rows[3]["id"]))["body_encoding"] == "base64"


def test_odd_methods_are_recorded(store: Path, listener: Listener) -> None:
    for method in ("PURGE", "PROPFIND", "OPTIONS", "DELETE", "GET", "HEAD"):
        assert send(listener.url, method, f"/{method.lower()}")[0] == 200
    assert [r["method"] for r in run_json(store, "ls")] == [
        "HEAD",
        "GET",
        "DELETE",
        "OPTIONS",
        "PROPFIND",
        "PURGE",
    ]


def test_chunked_upload_is_recorded_with_its_decoded_bytes(store: Path, listener: Listener) -> None:
    req = (
        b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: text/plain\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    out = raw_exchange(listener.port, req)
    assert out.startswith(b"HTTP/1.1 200")
    assert run(store, "show", "last", "--body").stdout == b"hello world"
    raw = run(store, "show", "last", "--raw").stdout
    assert b"Transfer-Encoding" not in raw and b"Content-Length: 11\r\n" in raw
    assert raw.endswith(b"\r\n\r\nhello world")


def test_body_over_the_limit_gets_413_and_a_warning(store: Path) -> None:
    lst = Listener(store, "--max-body-size", "1KiB")
    try:
        send(lst.url, "POST", "/small", b"x" * 1024)
        status, _, _ = send(lst.url, "POST", "/too-big", b"x" * 1025)
        assert status == 413
        ev = lst.wait_event("refused")
        assert ev["status"] == 413 and ev["target"] == "/too-big" and ev["size"] == 1025
        warning = lst.wait_stderr("/too-big")
        assert "POST" in warning and "1.0 KiB" in warning
        # chunked: no Content-Length to refuse early, caught while reading
        chunk = b"x" * 2000
        req = (
            b"POST /chunked-big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{len(chunk):x}\r\n".encode()
            + chunk
            + b"\r\n0\r\n\r\n"
        )
        assert raw_exchange(lst.port, req).startswith(b"HTTP/1.1 413")
        assert [r["path"] for r in run_json(store, "ls")] == ["/small"]
    finally:
        assert lst.stop() == 0


def test_stalled_and_disconnecting_clients_harm_nothing(store: Path) -> None:
    lst = Listener(store, "--read-timeout", "0.5")
    try:
        send(lst.url, "POST", "/before", b"kept")
        stalled = socket.create_connection(("127.0.0.1", lst.port))
        stalled.sendall(b"POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        raw_exchange(
            lst.port,
            b"POST /gone HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial",
            close_after=True,
        )
        raw_exchange(
            lst.port,
            b"POST /gone-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            close_after=True,
        )
        bad_chunks = (
            b"POST /bad-chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\nhello\r\n0\r\n\r\n"
        )
        assert b" 400 " in raw_exchange(lst.port, bad_chunks).split(b"\r\n")[0]
        assert send(lst.url, "POST", "/during", b"still fine")[0] == 200
        stalled.settimeout(5)
        assert stalled.recv(100).startswith(b"HTTP/1.1 408")
        stalled.close()
        for garbage in (b"\x16\x03\x01 tls hello\r\n\r\n", b"NOT A REQUEST LINE AT ALL\r\n\r\n"):
            assert b" 400 " in raw_exchange(lst.port, garbage).split(b"\r\n")[0]
        assert send(lst.url, "POST", "/after", b"ok")[0] == 200
        paths = [r["path"] for r in run_json(store, "ls")]
        assert paths == ["/after", "/during", "/before"]
        gone = lst.wait_stderr("/gone")
        assert "disconnected mid-body" in gone and "not recorded" in gone
        assert "408" in lst.wait_stderr("/stall")
        assert run(store, "show", str(run_json(store, "ls")[-1]["id"]), "--body").stdout == b"kept"
    finally:
        assert lst.stop() == 0
    assert not any("Traceback" in line for line in lst.err), lst.err


def test_response_flags(store: Path, tmp_path: Path) -> None:
    body_file = tmp_path / "answer.xml"
    body_file.write_bytes(b"<ok/>")
    lst = Listener(
        store,
        "--status",
        "202",
        "--response-body",
        f"@{body_file}",
        "--response-header",
        "Content-Type: application/xml",
        "--response-header",
        "X-Trace: abc",
        "--delay",
        "0.3",
    )
    try:
        start = time.perf_counter()
        status, body, headers = send(lst.url, "POST", "/r", b"x")
        assert time.perf_counter() - start >= 0.3
        assert status == 202 and body == b"<ok/>"
        assert ("Content-Type", "application/xml") in headers and ("X-Trace", "abc") in headers
        assert run_json(store, "show", "last")["response"] == {"status": 202}
    finally:
        lst.stop()
    lst = Listener(store, "--response-body", "plain text")
    try:
        assert send(lst.url, "POST", "/r", b"x")[1] == b"plain text"
    finally:
        lst.stop()


def test_escape_sequences_are_shown_escaped_but_kept_exact(store: Path) -> None:
    lst = Listener(store, json_lines=False)
    evil = "\x1b]0;pwned\x07\x1b[31m[bold red]boom[/]"
    # raw C0 controls are refused in the request line and headers by aiohttp's parser;
    # C1 controls (\x9b is CSI) and bidi overrides get through as UTF-8
    evil_header = "\x9b31m[link=http://x]y[/link]\u202egnp.exe"
    try:
        for bad in (
            b"POST /p?x=\x1b[2J HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            b"POST /p HTTP/1.1\r\nHost: x\r\nX-Evil: \x1b[2J\r\nContent-Length: 0\r\n\r\n",
        ):
            assert b" 400 " in raw_exchange(lst.port, bad).split(b"\r\n")[0]
        req = (
            b"POST /p%1B/[red]x[/red]?x=%1b HTTP/1.1\r\nHost: x\r\nX-Evil: "
            + evil_header.encode()
            + b"\r\nContent-Length: "
            + str(len(evil.encode())).encode()
            + b"\r\n\r\n"
            + evil.encode()
        )
        assert raw_exchange(lst.port, req).startswith(b"HTTP/1.1 200")
        deadline = time.time() + 5
        while time.time() < deadline and not any("#" in ln for ln in lst.lines):
            time.sleep(0.05)
        live = "\n".join(lst.lines)
        assert "/p%1B/[red]x[/red]?x=%1b" in live
        refused = lst.wait_stderr("warning: a request not recorded")
        assert "answered 400" in refused and "\x1b" not in refused
    finally:
        lst.stop()
    assert not any("Traceback" in line for line in lst.err), lst.err
    for args in (("ls",), ("show", "last")):
        out = run(store, *args).stdout.decode()
        for c in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert c not in out, (args, c)
    shown = run(store, "show", "last").stdout.decode()
    assert "\\x1b]0;pwned\\x07" in shown and "[bold red]boom[/]" in shown
    assert "\\x9b31m[link=http://x]y[/link]\\u202egnp.exe" in shown
    assert "[red]x[/red]" in run(store, "ls").stdout.decode()
    assert len(run_json(store, "ls")) == 1, "the refused requests were not recorded"
    assert run(store, "show", "last", "--body").stdout == evil.encode()
    raw = run(store, "show", "last", "--raw").stdout
    assert raw.endswith(evil.encode()) and evil_header.encode() in raw


def test_sigterm_and_sigint_stop_cleanly(store: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        lst = Listener(store)
        send(lst.url, "POST", "/x", b"1")
        assert lst.stop(sig) == 0
    assert len(run_json(store, "ls")) == 2


def test_port_in_use_is_a_one_line_error(store: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run(store, "listen", "--port", str(port), timeout=20)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert f"127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_listen_flags_are_usage_errors(store: Path, tmp_path: Path) -> None:
    for args in (
        ["--max-body-size", "lots"],
        ["--response-header", "no colon"],
        ["--response-body", f"@{tmp_path / 'missing'}"],
        ["--status", "42"],
        ["--port", "70000"],
        ["--no-such-flag"],
    ):
        r = run(store, "listen", *args, timeout=20)
        assert r.returncode == 2, (args, r.stderr)
        assert b"Traceback" not in r.stderr
