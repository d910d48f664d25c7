"""Scripted failures: `listen --fail-first N` fails the first N attempts of each delivery
(known by its provider's delivery id, else by method, path and body), `--fail-rate P
--seed S` fails requests at random, the same ones again with the same seed. Every
attempt is recorded, and its live line says what it was answered."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Listener, raw_exchange, run, run_json, send


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Listener]:
    store = tmp_path_factory.mktemp("failing") / "store"
    lst = Listener(store, "--fail-first", "2", "--fail-status", "503", json_lines=False)
    yield lst
    lst.stop()


def line_of(lst: Listener, capture_id: int, timeout: float = 10) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in list(lst.lines):
            if f"#{capture_id} " in line:
                return line
        time.sleep(0.05)
    raise AssertionError(f"no line for #{capture_id}: {lst.lines}")


def attempts(
    lst: Listener, n: int, target: str, body: bytes, headers: list[tuple[str, str]]
) -> list[tuple[int, str]]:
    """Send the same delivery N times: (status, its live line's end) of each."""
    out = []
    for _ in range(n):
        status, answer, _ = send(lst.url, "POST", target, body, headers)
        capture_id = json.loads(answer)["id"]
        out.append((status, line_of(lst, capture_id).rsplit("  ", 1)[-1]))
    return out


FAILED_TWICE = [(503, "503 (fail-first 1/2)"), (503, "503 (fail-first 2/2)")]


SLACK = [("X-Slack-Signature", "v0=00"), ("X-Slack-Request-Timestamp", "1")]
TWITCH = [
    ("Twitch-Eventsub-Message-Id", "e76c6bd4"),
    ("Twitch-Eventsub-Message-Type", "notification"),
]
#: one delivery of each kind of id: (name, body, headers)
DELIVERIES = [
    ("github", b'{"zen": "x"}', [("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "d-1")]),
    ("standard", b'{"type": "a"}', [("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")]),
    ("svix", b'{"type": "a"}', [("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")]),
    ("shopify", b"{}", [("X-Shopify-Topic", "orders/create"), ("X-Shopify-Webhook-Id", "b5")]),
    ("stripe", b'{"id": "evt_1NG8Du2eZvKYlo2C", "object": "event"}', [("Stripe-Signature", "t=1")]),
    ("slack", b'{"event_id": "Ev0PV52K21", "type": "event_callback"}', SLACK),
    ("twitch", b"{}", TWITCH),
]


@pytest.mark.parametrize(("name", "body", "headers"), DELIVERIES)
def test_each_delivery_fails_its_first_attempts_then_succeeds(
    failing: Listener, name: str, body: bytes, headers: list[tuple[str, str]]
) -> None:
    got = attempts(failing, 4, f"/fail-first/{name}", body, headers)
    assert got[:2] == FAILED_TWICE
    assert [status for status, _ in got[2:]] == [200, 200]


def test_the_retry_of_a_delivery_is_known_by_its_id_whatever_the_body(failing: Listener) -> None:
    """A redelivery with another timestamp in its body is the same delivery."""
    statuses = []
    for n in range(3):
        body = json.dumps({"attempt": n}).encode()
        headers = [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "same-delivery")]
        statuses.append(send(failing.url, "POST", "/redelivered", body, headers)[0])
    assert statuses == [503, 503, 200]


def test_two_deliveries_fail_apart(failing: Listener) -> None:
    def github(delivery: str) -> int:
        headers = [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", delivery)]
        return send(failing.url, "POST", "/apart", b"{}", headers)[0]

    assert [github("a"), github("b"), github("a"), github("b"), github("a")] == [
        503,
        503,
        503,
        503,
        200,
    ]


def test_without_an_id_a_delivery_is_its_method_path_and_body(failing: Listener) -> None:
    def plain(path: str, body: bytes) -> int:
        return send(failing.url, "POST", path, body)[0]

    assert [plain("/p", b"one"), plain("/p", b"two"), plain("/q", b"one")] == [503, 503, 503]
    assert [plain("/p", b"one"), plain("/p", b"one")] == [503, 200]


def test_a_failure_is_recorded_and_answered_with_its_reason(failing: Listener) -> None:
    status, answer, _ = send(failing.url, "POST", "/recorded", b"recorded")
    doc = json.loads(answer)
    assert status == 503 and doc == {"ok": False, "id": doc["id"], "failed": "fail-first 1/2"}
    rec = run_json(failing.store, "show", str(doc["id"]))
    assert rec["response"] == {"status": 503, "failed": "fail-first 1/2"}
    shown = run(failing.store, "show", str(doc["id"])).stdout.decode()
    assert "answered 503 (fail-first 1/2)" in shown


def test_a_failure_is_answered_the_same_off_the_fast_path(failing: Listener) -> None:
    """`Connection: close` sends a request through aiohttp's own handling."""
    request = b"POST /parity HTTP/1.1\r\nHost: x\r\n%sContent-Length: 1\r\n\r\n%s"
    fast = raw_exchange(failing.port, request % (b"", b"1"))
    slow = raw_exchange(failing.port, request % (b"Connection: close\r\n", b"2"))

    def lines(raw: bytes) -> list[bytes]:
        skip = (b"Date:", b"Connection:", b"Content-Length:", b"{")
        return [x for x in raw.split(b"\r\n") if not x.startswith(skip)]

    assert lines(fast) == lines(slow)
    assert fast.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b'"failed": "fail-first 1/2"}' in fast and b'"failed": "fail-first 1/2"}' in slow


def test_handshakes_are_not_failed(failing: Listener) -> None:
    status, answer, _ = send(failing.url, "GET", "/dropbox?challenge=never-failed")
    assert (status, answer) == (200, b"never-failed")


def statuses_with(store: Path, *args: str, n: int = 24) -> list[int]:
    lst = Listener(store, *args)
    try:
        return [send(lst.url, "POST", "/chaos", b"{}")[0] for _ in range(n)]
    finally:
        lst.stop()


def test_fail_rate_with_a_seed_fails_the_same_requests_again(tmp_path: Path) -> None:
    args = ("--fail-rate", "0.5", "--seed", "7")
    first = statuses_with(tmp_path / "a", *args)
    again = statuses_with(tmp_path / "b", *args)
    assert first == again
    assert set(first) == {200, 500}  # some fail, some do not
    recorded = run_json(tmp_path / "a", "ls", "--limit", "100")
    assert len(recorded) == len(first)  # every attempt is recorded, failed or not


def test_fail_rate_1_fails_everything_but_handshakes(tmp_path: Path) -> None:
    lst = Listener(tmp_path / "store", "--fail-rate", "1")
    try:
        assert {send(lst.url, "POST", "/x", b"{}")[0] for _ in range(5)} == {500}
        assert send(lst.url, "GET", "/?challenge=c")[:2] == (200, b"c")
    finally:
        lst.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "3"], "error: --seed needs --fail-rate"),
        (["--fail-status", "502"], "error: --fail-status needs --fail-first or --fail-rate"),
        (["--fail-rate", "1.5"], "--fail-rate"),
        (["--fail-first", "-1"], "--fail-first"),
        (["--fail-first", "1", "--fail-status", "204"], "--fail-status"),
    ],
)
def test_scripted_failure_options_that_make_no_sense_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    r = run(tmp_path / "store", "listen", "--port", "0", *args)
    assert r.returncode == 2
    assert message in r.stderr.decode()
    assert "Traceback" not in r.stderr.decode()
