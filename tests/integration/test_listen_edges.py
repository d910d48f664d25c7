"""Protocol edges of `hookcli listen`, each over raw sockets against the real listener:
stopping while senders stall, `Expect: 100-continue`, header bytes that are not UTF-8,
requests the HTTP parser refuses, the descriptor limit, chunked trailers."""

from __future__ import annotations

import json
import queue
import resource
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hookcli.model.units import human_size
from tests.conftest import Listener, raw_exchange, run, run_json, send


def _refused(lst: Listener, count: int, timeout: float = 10) -> list[dict[str, Any]]:
    """The next COUNT `refused` events."""
    out: list[dict[str, Any]] = []
    deadline = time.time() + timeout
    while len(out) < count and time.time() < deadline:
        try:
            ev = lst.events.get(timeout=0.1)
        except queue.Empty:
            continue
        if ev.get("event") == "refused":
            out.append(ev)
    assert len(out) == count, (out, lst.err)
    return out


def _stall(port: int, target: str) -> socket.socket:
    """A sender that announces 100 bytes, sends 3 and goes quiet."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".encode())
    return s


def _read_answer(s: socket.socket) -> bytes:
    """Read one answer with a Content-Length body."""
    out = b""
    while b"\r\n\r\n" not in out or not _complete(out):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


def _complete(data: bytes) -> bool:
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(rest) >= int(line[15:])
    return True


# -- stopping --------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stop_takes_under_two_seconds_while_a_sender_stalls(store: Path, sig: int) -> None:
    lst = Listener(store)  # --read-timeout is 60 s: the stop must not wait for it
    assert send(lst.url, "POST", "/answered", b"kept")[0] == 200
    stalled = _stall(lst.port, "/stalled")
    idle = socket.create_connection(("127.0.0.1", lst.port))  # keep-alive, silent
    time.sleep(0.3)  # the stalled request is being read
    start = time.monotonic()
    lst.proc.send_signal(sig)
    code = lst.proc.wait(10)
    took = time.monotonic() - start
    stalled.close()
    idle.close()
    assert code == 0 and took < 2, (code, took)
    ev = _refused(lst, 1)[0]
    assert ev["target"] == "/stalled" and "stopped" in ev["detail"]
    assert "not recorded" in lst.wait_stderr("/stalled")
    assert [r["path"] for r in run_json(store, "ls")] == ["/answered"]
    assert not any("Traceback" in line for line in lst.err), lst.err


def test_a_second_ctrl_c_exits_at_once(store: Path) -> None:
    lst = Listener(store, "--delay", "30")  # recorded, then answered 30 s later
    threading.Thread(
        target=lambda: raw_exchange(
            lst.port, b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", timeout=30
        ),
        daemon=True,
    ).start()
    assert lst.wait_event("captured")["path"] == "/slow"
    start = time.monotonic()
    lst.proc.send_signal(signal.SIGINT)
    time.sleep(0.05)  # the first one is waiting for the delayed answer to go out
    lst.proc.send_signal(signal.SIGINT)
    code = lst.proc.wait(10)
    assert code == 128 + signal.SIGINT and time.monotonic() - start < 1
    assert [r["path"] for r in run_json(store, "ls")] == ["/slow"]


# -- Expect: 100-continue ------------------------------------------------------------------


def test_expect_100_continue_is_answered_before_the_body(store: Path, listener: Listener) -> None:
    for target, framing, body in (
        ("/up", b"Content-Length: 5\r\n", b"hello"),
        ("/up-chunked", b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
    ):
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as s:
            s.sendall(
                f"POST {target} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n".encode()
                + framing
                + b"\r\n"
            )
            start = time.monotonic()
            assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            assert time.monotonic() - start < 0.9, "curl alone waits 1 s for it"
            s.sendall(body)
            assert _read_answer(s).startswith(b"HTTP/1.1 200 ")
        assert run(store, "show", "last", "--body").stdout == b"hello"
    # the body already sent with the headers: nothing to wait for, no 100
    answer = raw_exchange(
        listener.port,
        b"POST /eager HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    )
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_expect_over_the_limit_gets_413_at_once(store: Path) -> None:
    lst = Listener(store, "--max-body-size", "1KiB")
    try:
        with socket.create_connection(("127.0.0.1", lst.port), timeout=5) as s:
            s.sendall(
                b"POST /huge HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                b"Content-Length: 5000\r\n\r\n"
            )
            start = time.monotonic()
            answer = _read_answer(s)
            assert time.monotonic() - start < 0.9
        assert answer.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in answer
        ev = _refused(lst, 1)[0]
        assert (ev["target"], ev["size"], ev["status"]) == ("/huge", 5000, 413)
        assert run_json(store, "ls") == []
    finally:
        assert lst.stop() == 0


# -- header bytes --------------------------------------------------------------------------


def test_header_bytes_that_are_not_utf8_come_back_exact(store: Path, listener: Listener) -> None:
    latin = b"X-V: h\xe9llo \xff"
    utf8 = "X-U: h\u00e9llo \u2713".encode()
    for lines in ([latin, utf8], [utf8]):
        head = b"\r\n".join([b"POST /h HTTP/1.1", b"Host: x", *lines, b"Content-Length: 2"])
        assert raw_exchange(listener.port, head + b"\r\n\r\nok").startswith(b"HTTP/1.1 200 ")
        record = run_json(store, "show", "last")
        raw = run(store, "show", "last", "--raw").stdout
        for line in lines:
            assert b"\r\n" + line + b"\r\n" in raw, raw
        if latin in lines:
            assert record["headers_encoding"] == "latin-1"
            assert ["X-V", "h\u00e9llo \u00ff"] in record["headers"]
        else:
            assert record["headers_encoding"] == "utf-8"
            assert ["X-U", "h\u00e9llo \u2713"] in record["headers"]


# -- requests the parser refuses -----------------------------------------------------------


def test_every_parser_refusal_is_one_warning_even_first_on_its_connection(
    store: Path, listener: Listener
) -> None:
    cases = [
        (b"FOO /m HTTP/1.1\r\nHost: x\r\n\r\n", "FOO /m"),  # a method outside its list
        ("POST /caf\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n".encode(), "POST /caf\u00e9"),
        (b"POST /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n", "POST /caf"),  # raw latin-1 byte
        (b"GET /long HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", "a request"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "a request"),  # TLS
    ]
    for data, _ in cases:
        first = raw_exchange(listener.port, data).split(b"\r\n")[0]
        assert b" 400 " in first, (data[:20], first)
    # ... and as the second request of a keep-alive connection
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as s:
        s.sendall(b"POST /fine HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert _read_answer(s).startswith(b"HTTP/1.1 200 ")
        s.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b" 400 " in _read_answer(s).split(b"\r\n")[0]
    events = _refused(listener, len(cases) + 1)
    assert all(ev["status"] == 400 and ev["detail"] for ev in events)
    assert [ev["method"] for ev in events[:3]] == ["FOO", "POST", "POST"]
    assert events[-1]["target"] == "/pot"
    deadline = time.time() + 5
    while time.time() < deadline and len(listener.err) < len(cases) + 1:
        time.sleep(0.05)
    assert len(listener.err) == len(cases) + 1, listener.err
    for line, (_, named) in zip(listener.err, cases, strict=False):
        assert line.startswith("warning: ") and named in line and "answered 400" in line
    assert [r["path"] for r in run_json(store, "ls")] == ["/fine"]


# -- the descriptor limit ------------------------------------------------------------------


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (48, 100))


@pytest.mark.long
def test_descriptor_limit_is_raised_then_one_warning_and_recovery(store: Path) -> None:
    lst = Listener(store, preexec_fn=_low_fd_limit)
    flood: list[socket.socket] = []
    try:
        limits = Path(f"/proc/{lst.proc.pid}/limits")
        if limits.exists():  # Linux: the soft limit was raised to the hard one at start
            line = next(ln for ln in limits.read_text().splitlines() if "open files" in ln)
            assert line.split()[3:5] == ["100", "100"], line
        for _ in range(200):  # more idle connections than descriptors, bounded
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", lst.port))  # in progress; the kernel completes it
            flood.append(s)
        warning = lst.wait_stderr("out of file descriptors", timeout=15)
        assert "limit 100" in warning
        time.sleep(2.5)  # asyncio retries accept() every second: each retry fails again
        assert len(lst.err) == 1 and sum(len(x) for x in lst.err) < 300, lst.err
        for s in flood:
            s.close()
        flood.clear()
        status, answer, _ = send(lst.url, "POST", "/after", b"ok", timeout=20)
        assert status == 200 and json.loads(answer)["ok"] is True
    finally:
        for s in flood:
            s.close()
        assert lst.stop() == 0
    assert not any("Traceback" in line for line in lst.err), lst.err
    assert [r["path"] for r in run_json(store, "ls")] == ["/after"]


# -- chunked bodies ------------------------------------------------------------------------


def test_chunked_trailers_are_dropped_and_the_body_kept(store: Path, listener: Listener) -> None:
    req = (
        b"POST /trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Trailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n"
    )
    assert raw_exchange(listener.port, req).startswith(b"HTTP/1.1 200 ")
    record = run_json(store, "show", "last")
    assert record["body"] == "hello"
    names = [k for k, _ in record["headers"]]
    assert "Trailer" in names and "X-Checksum" not in names  # docs/listen.md says why


def test_chunked_413_warning_gives_the_size_reached(store: Path) -> None:
    lst = Listener(store, "--max-body-size", "1KiB")
    try:
        chunk = b"x" * 3000
        req = (
            b"POST /chunked-big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{len(chunk):x}\r\n".encode()
            + chunk
            + b"\r\n0\r\n\r\n"
        )
        assert raw_exchange(lst.port, req).startswith(b"HTTP/1.1 413")
        ev = _refused(lst, 1)[0]
        assert ev["status"] == 413 and 1024 < ev["size"] <= 3000
        warning = lst.wait_stderr("/chunked-big")
        assert f"({human_size(ev['size'])})" in warning and "chunked" in warning
    finally:
        assert lst.stop() == 0
