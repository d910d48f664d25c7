"""`hookcli replay --compare`: the same captures sent to two real apps on loopback (or to
one, against the answer recorded when the listener forwarded it), answers compared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from tests.conftest import Listener, add, run, run_json, send
from tests.receiver import Receiver

STRIPE = "whsec_compare_test_0123456789"


def _stripe_capture(event_id: str, kind: str, path: str = "/hooks/stripe") -> Capture:
    body = json.dumps({"id": event_id, "object": "event", "type": kind}).encode()
    return Capture(
        "POST",
        path,
        "",
        [("Content-Type", "application/json"), ("Stripe-Signature", "t=1,v1=00")],
        body,
        provider="stripe",
        event_type=kind,
    )


@pytest.fixture
def two(store: Path) -> list[int]:
    return add(
        store,
        _stripe_capture("evt_1", "invoice.paid"),
        _stripe_capture("evt_2", "charge.refunded"),
    )


def _app(answer: dict[str, object], statuses: list[int] | None = None) -> Receiver:
    return Receiver(
        body=json.dumps(answer).encode(),
        headers={"Content-Type": "application/json"},
        statuses=list(statuses or []),
    ).start()


@pytest.fixture
def apps() -> Iterator[tuple[Receiver, Receiver]]:
    # version b answers one field differently, and 500 for the second capture it gets
    a = _app({"received": True, "n": 1})
    b = _app({"received": True, "n": 2}, statuses=[200, 500])
    yield a, b
    a.stop()
    b.stop()


def compare(store: Path, *args: str) -> tuple[int, str, str]:
    r = run(store, "replay", *args)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_two_apps_differing_in_a_field_and_a_status(
    store: Path, two: list[int], apps: tuple[Receiver, Receiver]
) -> None:
    a, b = apps
    code, out, err = compare(store, "1", "2", "--to", a.url, "--compare", b.url)
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0] == "#1 stripe invoice.paid  differs: body.n changed"
    assert lines[1] == "    ~ body.n: 1 -> 2"
    assert lines[2] == "#2 stripe charge.refunded  differs: status 200 -> 500; body.n changed"
    assert "    ~ status: 200 -> 500" in lines[3:5] and "    ~ body.n: 1 -> 2" in lines[3:5]
    assert lines[-1] == "0 same, 2 differ, 0 failed"
    # the same bytes went to both versions of the app
    assert [s.body for s in a.wait(2)] == [s.body for s in b.wait(2)]


def test_identical_apps_compare_equal_despite_date_and_server(store: Path, two: list[int]) -> None:
    # aiohttp answers with its own Date and Server; the two differ in a request id too
    a = Receiver(headers={"X-Request-Id": "req_a"}).start()
    b = Receiver(headers={"X-Request-Id": "req_b"}).start()
    try:
        code, out, err = compare(store, "1-2", "--to", a.url, "--compare", b.url)
    finally:
        a.stop()
        b.stop()
    assert code == 0, out + err
    assert out.splitlines() == [
        "#1 stripe invoice.paid  same",
        "#2 stripe charge.refunded  same",
        "2 same, 0 differ, 0 failed",
    ]


def test_a_header_that_differs_is_reported_unless_ignored(store: Path, two: list[int]) -> None:
    a = Receiver(headers={"X-Version": "1"}).start()
    b = Receiver(headers={"X-Version": "2"}).start()
    try:
        code, out, _ = compare(store, "1", "--to", a.url, "--compare", b.url)
        assert code == 1 and '~ headers.x-version: "1" -> "2"' in out
        code, out, _ = compare(
            store, "1", "--to", a.url, "--compare", b.url, "--ignore-header", "X-Version"
        )
        assert code == 0 and "1 same" in out
    finally:
        a.stop()
        b.stop()


def test_ignore_hides_paths_and_statuses(
    store: Path, two: list[int], apps: tuple[Receiver, Receiver]
) -> None:
    a, b = apps
    code, out, _ = compare(
        store, "1-2", "--to", a.url, "--compare", b.url, "--ignore", "body.n", "--ignore", "sta*"
    )
    assert code == 0, out
    assert out.splitlines()[-1] == "2 same, 0 differ, 0 failed"


def test_json_has_both_answers_and_the_differences(
    store: Path, two: list[int], apps: tuple[Receiver, Receiver]
) -> None:
    a, b = apps
    r = run(store, "replay", "1", "2", "--to", a.url, "--compare", b.url, "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert [d["id"] for d in doc] == [1, 2]
    assert [d["state"] for d in doc] == ["differs", "differs"]
    second = doc[1]
    assert second["a"]["status"] == 200 and second["b"]["status"] == 500
    assert json.loads(second["b"]["body_excerpt"]) == {"received": True, "n": 2}
    assert {"path": "status", "kind": "changed", "a": 200, "b": 500} in second["differences"]
    assert second["a"]["target"] == f"{a.url}/hooks/stripe"


def test_both_attempts_are_recorded_as_one_comparison(
    store: Path, two: list[int], apps: tuple[Receiver, Receiver]
) -> None:
    a, b = apps
    compare(store, "1", "--to", a.url, "--compare", b.url)
    replays = run_json(store, "show", "1")["replays"]
    assert len(replays) == 2
    pair_a, side_a = replays[0]["compare"].split()
    pair_b, side_b = replays[1]["compare"].split()
    assert pair_a == pair_b and {side_a, side_b} == {"a", "b"}
    shown = run(store, "show", "1").stdout.decode()
    assert f"compare {pair_a}, side a" in shown and f"compare {pair_a}, side b" in shown


def test_concurrency_keeps_the_captures_order(store: Path) -> None:
    ids = add(store, *(_stripe_capture(f"evt_{i}", f"e.{i}") for i in range(12)))
    a = Receiver().start()
    b = Receiver().start()
    try:
        code, out, err = compare(
            store, "1-12", "--to", a.url, "--compare", b.url, "--concurrency", "6"
        )
    finally:
        a.stop()
        b.stop()
    assert code == 0, err
    assert [ln.split()[0] for ln in out.splitlines()[:-1]] == [f"#{i}" for i in ids]


def test_a_target_that_does_not_answer_fails_the_pair(
    store: Path, two: list[int], receiver: Receiver
) -> None:
    code, out, _ = compare(store, "1", "--to", receiver.url, "--compare", "http://127.0.0.1:9")
    assert code == 1
    assert out.splitlines()[0].startswith("#1 stripe invoice.paid  failed: connection refused")
    assert out.splitlines()[-1] == "0 same, 0 differ, 1 failed"


def test_all_with_filters_selects_like_ls(
    store: Path, two: list[int], apps: tuple[Receiver, Receiver]
) -> None:
    add(store, Capture("POST", "/other", "", [], b"x"))
    a, b = apps
    code, out, _ = compare(
        store, "--all", "--provider", "stripe", "--event", "charge.*", "--to", a.url,
        "--compare", b.url,
    )  # fmt: skip
    assert out.splitlines()[0].startswith("#2 stripe charge.refunded")
    assert out.splitlines()[-1] == "0 same, 1 differ, 0 failed" and code == 1


def test_resign_gives_each_target_a_signature_stripe_accepts(store: Path, two: list[int]) -> None:
    import stripe

    a, b = Receiver().start(), Receiver().start()
    try:
        code, _, err = compare(
            store, "1", "--to", a.url, "--compare", b.url, "--resign", "--secret", STRIPE
        )
    finally:
        a.stop()
        b.stop()
    assert code == 0, err
    for side in (a, b):
        seen = side.wait(1)[-1]
        ev = stripe.Webhook.construct_event(
            seen.body.decode(), seen.header("Stripe-Signature"), STRIPE
        )
        assert ev["id"] == "evt_1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "--repeat", "2"], "--repeat cannot be used with --compare"),
        (["1", "--shuffle"], "--shuffle/--seed cannot be used with --compare"),
        ([], "name the captures to replay"),
        (["1", "--all"], "give capture ids, or --all and filters, not both"),
    ],
)
def test_usage_errors_exit_2(store: Path, two: list[int], args: list[str], message: str) -> None:
    code, _, err = compare(store, *args, "--compare", "recorded", "--to", "http://127.0.0.1:9")
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_ignore_without_compare_is_a_usage_error(store: Path, two: list[int]) -> None:
    code, _, err = compare(store, "1", "--ignore", "body.n", "--to", "http://127.0.0.1:9")
    assert code == 2 and "apply to --compare" in err


def test_recorded_without_any_answer_on_record_fails(
    store: Path, two: list[int], receiver: Receiver
) -> None:
    code, out, _ = compare(store, "1", "--compare", "recorded", "--to", receiver.url)
    assert code == 1 and "failed: no answer on record" in out


def test_compare_recorded_after_a_real_forward(tmp_path: Path) -> None:
    today = _app({"ok": True, "version": 1})
    tomorrow = _app({"ok": True, "version": 2}, statuses=[200])
    lst = Listener(tmp_path / "store", "--forward-to", today.url)
    try:
        headers = [("Content-Type", "application/json"), ("X-GitHub-Event", "ping")]
        status, answer, _ = send(lst.url, "POST", "/hooks/gh", b'{"zen": "hi"}', headers)
        assert status == 200, answer
        cid = str(json.loads(answer)["id"])
        lst.wait_event("forwarded")
        # today's app again: the same answer as recorded
        code, out, err = compare(lst.store, cid, "--compare", "recorded")
        assert code == 0, out + err
        assert out.splitlines()[0].endswith("  same")
        code, out, _ = compare(lst.store, cid, "--compare", "recorded", "--to", tomorrow.url)
        assert code == 1
        assert "~ body.version: 1 -> 2" in out
        # the new answers do not become the baseline: the forward stays what is compared with
        code, out, _ = compare(lst.store, cid, "--compare", "recorded", "--to", tomorrow.url)
        assert "~ body.version: 1 -> 2" in out
    finally:
        lst.stop()
        today.stop()
        tomorrow.stop()
