"""`hookcli replay`: captures made by the real catch server, sent again to a real aiohttp
receiver on loopback that records raw headers and bytes."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.conftest import Listener, run, run_json, send
from tests.receiver import Receiver, TlsReceiver

STRIPE = "whsec_replay_test_0123456789"
STANDARD = "whsec_" + base64.b64encode(b"replay-standard-key-32-bytes!!!!").decode()
GITHUB = "gh-replay-secret"
SHOPIFY = "shpss_replay"
SLACK = "slack-replay-secret"
TWILIO = "twilio-replay-token"
OLD = int(time.time()) - 3600  # well outside every provider's tolerance


@pytest.fixture(scope="module")
def lst(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Listener]:
    listener = Listener(tmp_path_factory.mktemp("replay") / "store")
    yield listener
    listener.stop()


def catch(
    lst: Listener,
    target: str = "/hooks/test",
    body: bytes = b'{"type": "ping"}',
    headers: list[tuple[str, str]] | None = None,
    method: str = "POST",
) -> str:
    """Send one request to the real listener; return the capture id it answered with."""
    status, answer, _ = send(lst.url, method, target, body, headers or [])
    assert status == 200, answer
    return str(json.loads(answer)["id"])


def replay(lst: Listener, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    r = run(lst.store, "replay", *args, timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def replays_of(lst: Listener, cid: str) -> list[dict[str, object]]:
    rec = run_json(lst.store, "show", cid, "--attempts", "all")
    return list(rec["replays"])


# -- byte-exact --------------------------------------------------------------------------


def test_replay_is_byte_exact_with_headers_in_order(lst: Listener, receiver: Receiver) -> None:
    body = bytes(range(256)) * 4  # not UTF-8: stored base64, sent back as the same bytes
    headers = [
        ("X-First", "1"),
        ("Content-Type", "application/octet-stream"),
        ("x-dup", "a"),
        ("X-Dup", "b"),
        ("Connection", "keep-alive"),
        ("X-Last", "z"),
    ]
    cid = catch(lst, "/hooks/bin?a=1&b=%20x", body, headers)
    code, out, err = replay(lst, cid, "--to", receiver.url)
    assert code == 0, err
    seen = receiver.wait(1)[-1]
    assert seen.body == body
    assert seen.path_qs == "/hooks/bin?a=1&b=%20x"
    names = [k for k, _ in seen.headers]
    sent = [(k, v) for k, v in seen.headers if k.lower() not in ("host", "content-length")]
    assert sent == [
        ("X-First", "1"),
        ("Content-Type", "application/octet-stream"),
        ("x-dup", "a"),
        ("X-Dup", "b"),
        ("X-Last", "z"),
    ]
    # Host and Content-Length recomputed for this target, once each; Connection not copied
    assert seen.header("Host") == receiver.url.removeprefix("http://")
    assert seen.header("Content-Length") == str(len(body))
    assert [n.lower() for n in names].count("host") == 1
    assert "200 OK" in out and "received" in out


def test_gzip_body_is_sent_as_captured_not_inflated(lst: Listener, receiver: Receiver) -> None:
    body = gzip.compress(b'{"type": "big", "pad": "' + b"x" * 5000 + b'"}')
    cid = catch(
        lst,
        body=body,
        headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
    )
    assert replay(lst, cid, "--to", receiver.url)[0] == 0
    seen = receiver.wait(1)[-1]
    assert seen.body == body and seen.header("Content-Encoding") == "gzip"


def test_chunked_capture_is_replayed_with_content_length(lst: Listener, receiver: Receiver) -> None:
    from tests.conftest import raw_exchange

    raw = (
        b"POST /hooks/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"X-Kept: yes\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    answer = raw_exchange(lst.port, raw)
    cid = str(json.loads(answer.partition(b"\r\n\r\n")[2])["id"])
    assert replay(lst, cid, "--to", receiver.url)[0] == 0
    seen = receiver.wait(1)[-1]
    assert seen.body == b"hello world"
    assert seen.header("Transfer-Encoding") is None
    assert seen.header("Content-Length") == "11" and seen.header("X-Kept") == "yes"


@pytest.mark.parametrize(
    ("base", "target", "expected"),
    [
        ("", "/hooks/gh?x=1", "/hooks/gh?x=1"),
        ("/api", "/hooks/gh?x=1", "/api/hooks/gh?x=1"),
        ("/api/", "/hooks/gh", "/api/hooks/gh"),
        ("/webhook", "/", "/webhook"),
        ("/webhook?k=v", "/p?x=1", "/webhook/p?k=v&x=1"),
        ("", "/a%2Fb/%E2%9C%93", "/a%2Fb/%E2%9C%93"),
    ],
)
def test_url_rule_joins_the_target_path_with_the_captured_one(
    lst: Listener, receiver: Receiver, base: str, target: str, expected: str
) -> None:
    cid = catch(lst, target)
    assert replay(lst, cid, "--to", receiver.url + base)[0] == 0
    assert receiver.wait(1)[-1].path_qs == expected


def test_without_to_the_last_base_is_reused_and_the_path_joined_once(
    lst: Listener, receiver: Receiver
) -> None:
    cid = catch(lst, "/hooks/again?n=1")
    assert replay(lst, cid, "--to", receiver.url + "/api")[0] == 0
    assert replay(lst, cid)[0] == 0
    assert [s.path_qs for s in receiver.wait(2)] == ["/api/hooks/again?n=1"] * 2
    attempts = replays_of(lst, cid)
    assert [a["base"] for a in attempts] == [receiver.url + "/api"] * 2
    assert attempts[-1]["target"] == receiver.url + "/api/hooks/again?n=1"


def test_without_to_every_target_of_the_forwarding_gets_it(tmp_path: Path) -> None:
    """A capture that listen forwarded to two targets goes to both again, one line each;
    once replayed with --to elsewhere, it goes there."""
    app, audit, other = Receiver().start(), Receiver().start(), Receiver().start()
    fwd = Listener(tmp_path / "store", "--forward-to", app.url, "--forward-to", audit.url + "/a")
    try:
        cid = catch(fwd, "/hooks/two")
        for _ in range(2):
            fwd.wait_event("forwarded")
        app.wait(1)
        audit.wait(1)
        code, out, err = replay(fwd, cid)
        assert code == 0, err
        assert [s.path_qs for s in app.wait(2)] == ["/hooks/two"] * 2
        assert [s.path_qs for s in audit.wait(2)] == ["/a/hooks/two"] * 2
        lines = [line for line in out.splitlines() if line.startswith(f"#{cid} ")]
        assert len(lines) == 2, out
        assert any(f"{app.url}/hooks/two  200 OK" in line for line in lines), out
        assert any(f"{audit.url}/a/hooks/two  200 OK" in line for line in lines), out
        assert replay(fwd, cid, "--to", other.url)[0] == 0
        assert replay(fwd, cid)[0] == 0
        assert len(other.wait(2)) == 2 and len(app.seen) == 2
    finally:
        fwd.stop()
        for r in (app, audit, other):
            r.stop()


def test_header_option_adds_and_replaces(lst: Listener, receiver: Receiver) -> None:
    cid = catch(lst, headers=[("X-Env", "prod"), ("Content-Type", "application/json")])
    code, _, err = replay(lst, cid, "--to", receiver.url, "-H", "x-env: dev", "-H", "X-Added: 1")
    assert code == 0, err
    seen = receiver.wait(1)[-1]
    assert seen.header("X-Env") == "dev" and seen.header("X-Added") == "1"
    assert [v for k, v in seen.headers if k.lower() == "x-env"] == ["dev"]


# -- re-signing, checked by the providers' own verifiers ---------------------------------


def test_resigned_stripe_replay_passes_stripe_sdk(lst: Listener, receiver: Receiver) -> None:
    import stripe

    body = b'{"id": "evt_1", "object": "event", "type": "invoice.paid"}'
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), STRIPE, OLD)
    cid = catch(lst, "/hooks/stripe", body, [("Stripe-Signature", header)])
    with pytest.raises(stripe.SignatureVerificationError):  # the capture is too old now
        stripe.Webhook.construct_event(body.decode(), header, STRIPE)
    code, _, err = replay(lst, cid, "--to", receiver.url, "--resign", "--secret", STRIPE)
    assert code == 0, err
    seen = receiver.wait(1)[-1]
    ev = stripe.Webhook.construct_event(seen.body.decode(), seen.header("Stripe-Signature"), STRIPE)
    assert ev["type"] == "invoice.paid" and seen.body == body


def test_resigned_standard_replay_passes_standardwebhooks(
    lst: Listener, receiver: Receiver
) -> None:
    from datetime import UTC, datetime

    from standardwebhooks import Webhook, WebhookVerificationError

    body = b'{"type": "user.created", "data": {"id": 1}}'
    wh = Webhook(STANDARD)
    sig = wh.sign("msg_original", datetime.fromtimestamp(OLD, UTC), body.decode())
    headers = [("webhook-id", "msg_original"), ("webhook-timestamp", str(OLD))]
    cid = catch(lst, "/hooks/std", body, [*headers, ("webhook-signature", sig)])
    with pytest.raises(WebhookVerificationError):
        wh.verify(body, {**dict(headers), "webhook-signature": sig})
    env = {"HOOKCLI_SECRET_STANDARD": STANDARD}
    r = run(lst.store, "replay", cid, "--to", receiver.url, "--resign", **env)
    assert r.returncode == 0, r.stderr
    seen = receiver.wait(1)[-1]
    doc = wh.verify(seen.body, {k.lower(): v for k, v in seen.headers})
    assert doc["type"] == "user.created"
    assert seen.header("webhook-id") not in (None, "msg_original")  # a fresh message id


def test_resigned_slack_replay_passes_slack_sdk(lst: Listener, receiver: Receiver) -> None:
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SLACK)
    body = b'{"type": "event_callback", "event": {"type": "message"}}'
    sig = verifier.generate_signature(timestamp=str(OLD), body=body)
    assert sig is not None
    headers = [("X-Slack-Request-Timestamp", str(OLD)), ("X-Slack-Signature", sig)]
    cid = catch(lst, "/slack/events", body, headers)
    assert not verifier.is_valid_request(body, dict(headers))
    code, _, err = replay(lst, cid, "--to", receiver.url, "--resign", "--secret", SLACK)
    assert code == 0, err
    seen = receiver.wait(1)[-1]
    assert verifier.is_valid_request(seen.body, dict(seen.headers))


def test_resigned_twilio_replay_signs_the_new_url(lst: Listener, receiver: Receiver) -> None:
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TWILIO)
    body = b"MessageSid=SM1&MessageStatus=delivered&Body=hi+there"
    params = dict(parse_qsl(body.decode()))
    old_url = lst.url + "/sms/status?x=1"
    headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Twilio-Signature", validator.compute_signature(old_url, params)),
    ]
    cid = catch(lst, "/sms/status?x=1", body, headers)
    code, _, err = replay(lst, cid, "--to", receiver.url + "/app", "--resign", "--secret", TWILIO)
    assert code == 0, err
    seen = receiver.wait(1)[-1]
    url = receiver.url + seen.path_qs
    assert seen.path_qs == "/app/sms/status?x=1"
    assert validator.validate(url, params, seen.header("X-Twilio-Signature"))


@pytest.mark.parametrize(
    ("provider", "secret", "header", "digest"),
    [
        ("github", GITHUB, "X-Hub-Signature-256", "hex"),
        ("shopify", SHOPIFY, "X-Shopify-Hmac-Sha256", "base64"),
    ],
)
def test_resigned_hmac_providers_match_their_documented_signature(
    lst: Listener, receiver: Receiver, provider: str, secret: str, header: str, digest: str
) -> None:
    """GitHub and Shopify publish no Python verifier: the check is their documented HMAC,
    computed here independently of hookcli. --set changes the body, so the re-signing
    must cover the new bytes, and the delivery id must be fresh."""
    body = b'{"action": "opened", "n": 1}'
    id_header = "X-GitHub-Delivery" if provider == "github" else "X-Shopify-Webhook-Id"
    event = "X-GitHub-Event" if provider == "github" else "X-Shopify-Topic"
    headers = [(event, "issues"), (id_header, "original-id"), (header, "stale")]
    cid = catch(lst, f"/hooks/{provider}", body, headers)
    code, _, err = replay(lst, cid, "--to", receiver.url, "--set", "n=2", "--secret", secret)
    assert code == 0, err
    seen = receiver.wait(1)[-1]
    assert json.loads(seen.body) == {"action": "opened", "n": 2}
    mac = hmac.new(secret.encode(), seen.body, hashlib.sha256)
    expected = (
        "sha256=" + mac.hexdigest() if digest == "hex" else base64.b64encode(mac.digest()).decode()
    )
    assert seen.header(header) == expected
    assert seen.header(id_header) not in (None, "original-id")


def test_set_without_a_provider_sends_unsigned_and_says_so(
    lst: Listener, receiver: Receiver
) -> None:
    cid = catch(lst, body=b'{"amount": 1}', headers=[("Content-Type", "application/json")])
    code, _, err = replay(lst, cid, "--to", receiver.url, "--set", "amount=2000")
    assert code == 0, err
    assert "no provider detected" in err and "unsigned" in err
    assert json.loads(receiver.wait(1)[-1].body) == {"amount": 2000}


def test_resign_without_secret_or_provider_is_a_usage_error(
    lst: Listener, receiver: Receiver
) -> None:
    plain = catch(lst)
    code, _, err = replay(lst, plain, "--to", receiver.url, "--resign")
    assert code == 2 and "no provider detected" in err and "--provider" in err
    gh = catch(lst, headers=[("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", "sha256=00")])
    r = run(
        lst.store, "replay", gh, "--to", receiver.url, "--resign", HOOKCLI_CONFIG="/nonexistent"
    )
    assert r.returncode == 2 and b"no secret for github" in r.stderr
    assert receiver.seen == []  # nothing was sent


# -- delivery simulation -----------------------------------------------------------------


def test_duplicate_sends_the_same_message_id_and_signature(
    lst: Listener, receiver: Receiver
) -> None:
    body = b'{"type": "user.created"}'
    cid = catch(
        lst,
        "/hooks/std",
        body,
        [("webhook-id", "msg_x"), ("webhook-timestamp", "1"), ("webhook-signature", "v1,AA==")],
    )
    code, out, err = replay(
        lst, cid, "--to", receiver.url, "--resign", "--secret", STANDARD, "--duplicate", "3"
    )
    assert code == 0, err
    seen = receiver.wait(3)
    ids = {s.header("webhook-id") for s in seen}
    sigs = {s.header("webhook-signature") for s in seen}
    assert len(seen) == 3 and len(ids) == 1 and len(sigs) == 1
    assert ids != {"msg_x"}
    assert "3 sent, 3 answered 2xx, 0 failed" in out


def test_repeat_with_resign_makes_distinct_deliveries(lst: Listener, receiver: Receiver) -> None:
    body = b'{"type": "user.created"}'
    cid = catch(
        lst,
        "/hooks/std",
        body,
        [("webhook-id", "msg_y"), ("webhook-timestamp", "1"), ("webhook-signature", "v1,AA==")],
    )
    code, _, err = replay(
        lst, cid, "--to", receiver.url, "--resign", "--secret", STANDARD, "--repeat", "3"
    )
    assert code == 0, err
    assert len({s.header("webhook-id") for s in receiver.wait(3)}) == 3


def test_shuffle_with_a_seed_is_reproducible(lst: Listener, receiver: Receiver) -> None:
    import random

    ids = [catch(lst, f"/order/{i}") for i in range(6)]
    args = [*ids, "--to", receiver.url, "--shuffle", "--seed", "7"]
    assert replay(lst, *args)[0] == 0
    first = [s.path_qs for s in receiver.wait(6)]
    assert replay(lst, *args)[0] == 0
    second = [s.path_qs for s in receiver.wait(12)[6:]]
    expected = [f"/order/{i}" for i in range(6)]
    random.Random(7).shuffle(expected)
    assert first == second == expected


def test_backdate_resigns_with_an_old_timestamp(lst: Listener, receiver: Receiver) -> None:
    import stripe

    body = b'{"id": "evt_2", "type": "invoice.paid"}'
    cid = catch(lst, "/hooks/stripe", body, [("Stripe-Signature", "t=1,v1=00")])
    code, _, err = replay(lst, cid, "--to", receiver.url, "--backdate", "10m", "--secret", STRIPE)
    assert code == 0, err
    header = receiver.wait(1)[-1].header("Stripe-Signature") or ""
    ts = int(header.split(",")[0].removeprefix("t="))
    assert abs(time.time() - 600 - ts) < 30
    with pytest.raises(stripe.SignatureVerificationError):  # outside Stripe's 300 s
        stripe.WebhookSignature.verify_header(body.decode(), header, STRIPE, 300)
    assert stripe.WebhookSignature.verify_header(body.decode(), header, STRIPE, 900)


def test_concurrency_sends_everything_and_records_every_attempt(
    lst: Listener, receiver: Receiver
) -> None:
    cid = catch(lst, "/hooks/many")
    code, out, err = replay(
        lst, cid, "--to", receiver.url, "--repeat", "60", "--concurrency", "8", "--json"
    )
    assert code == 0, err
    deliveries = json.loads(out)
    assert len(deliveries) == 60 and all(d["ok"] for d in deliveries)
    assert len(receiver.wait(60)) == 60
    assert sum(1 for a in replays_of(lst, cid) if a["status"] == 200) == 60


# -- retries -----------------------------------------------------------------------------


def test_retries_until_success_and_records_each_attempt(lst: Listener) -> None:
    flaky = Receiver(statuses=[503, 500]).start()
    try:
        cid = catch(lst, "/hooks/flaky")
        code, out, err = replay(lst, cid, "--to", flaky.url, "--retries", "3")
        assert code == 0, err
        assert len(flaky.wait(3)) == 3
    finally:
        flaky.stop()
    attempts = replays_of(lst, cid)
    assert [(a["status"], a["retry"]) for a in attempts] == [(503, 0), (500, 1), (200, 2)]
    assert "(retry 1/3 in" in out and "(retry 2/3 in" in out


def test_retry_after_is_honoured(lst: Listener) -> None:
    limited = Receiver(statuses=[429], headers={"Retry-After": "1"}).start()
    try:
        cid = catch(lst, "/hooks/limited")
        start = time.monotonic()
        code, out, err = replay(lst, cid, "--to", limited.url, "--retries", "1")
        elapsed = time.monotonic() - start
    finally:
        limited.stop()
    assert code == 0, err
    assert "429 Too Many Requests" in out and "in 1.0 s" in out
    assert elapsed >= 1.0


def test_retries_exhausted_exit_1(lst: Listener) -> None:
    down = Receiver(status=502).start()
    try:
        cid = catch(lst, "/hooks/down")
        code, _, err = replay(lst, cid, "--to", down.url, "--retries", "2")
    finally:
        down.stop()
    assert code == 1
    assert f"error: {down.url}/hooks/down answered 502 Bad Gateway" in err
    assert [a["status"] for a in replays_of(lst, cid)] == [502, 502, 502]


# -- what the target answered ------------------------------------------------------------


def test_the_targets_answer_is_printed_and_recorded(lst: Listener) -> None:
    app = Receiver(status=422, body=b'{"error": "amount must be positive"}').start()
    app.headers = {"Content-Type": "application/json", "X-Request-Id": "req-9"}
    try:
        cid = catch(lst, "/hooks/app")
        code, out, err = replay(lst, cid, "--to", app.url)
    finally:
        app.stop()
    assert code == 1
    assert "422 Unprocessable Entity" in out and '{"error": "amount must be positive"}' in out
    assert "answered 422" in err
    last = replays_of(lst, cid)[-1]
    assert last["response_excerpt"] == '{"error": "amount must be positive"}'
    assert ["X-Request-Id", "req-9"] in last["response_headers"]  # type: ignore[operator]


def test_a_huge_answer_is_cut_to_an_excerpt(lst: Listener) -> None:
    big = Receiver(body=b"A" * (20 * 1024 * 1024)).start()
    try:
        cid = catch(lst, "/hooks/big")
        start = time.monotonic()
        code, out, err = replay(lst, cid, "--to", big.url)
        elapsed = time.monotonic() - start
    finally:
        big.stop()
    assert code == 0, err
    last = replays_of(lst, cid)[-1]
    assert len(str(last["response_excerpt"])) == 4096
    assert last["response_size"] == 20 * 1024 * 1024
    assert "response cut at 4 KiB of 20971520 bytes" in out
    assert elapsed < 20


def test_a_redirect_is_not_followed(lst: Listener, receiver: Receiver) -> None:
    moved = Receiver(status=302, headers={"Location": receiver.url + "/elsewhere"}).start()
    try:
        cid = catch(lst, "/hooks/moved")
        code, out, err = replay(lst, cid, "--to", moved.url)
    finally:
        moved.stop()
    assert code == 1
    assert receiver.seen == []
    assert f"redirected to {receiver.url}/elsewhere (not followed)" in out + err


# -- failures ----------------------------------------------------------------------------


def test_unknown_id_exits_1(lst: Listener, receiver: Receiver) -> None:
    code, _, err = replay(lst, "99999", "--to", receiver.url)
    assert code == 1 and "no capture 99999" in err


def test_no_target_is_a_usage_error(lst: Listener) -> None:
    cid = catch(lst, "/never/sent")
    code, _, err = replay(lst, cid)
    assert code == 2
    assert f"capture #{cid} has never been sent anywhere: give --to URL" in err
    # one pair of parentheses, not one inside another
    assert err.endswith(
        "(e.g. --to http://localhost:3000, whose path is joined with the captured one)\n"
    )
    assert err.count("(") == 1


@pytest.mark.parametrize("url", ["localhost:3000", "ftp://x/", "http://", "not a url"])
def test_malformed_url_is_a_usage_error(lst: Listener, url: str) -> None:
    cid = catch(lst)
    code, _, err = replay(lst, cid, "--to", url)
    assert code == 2 and "is not an http(s) URL" in err and "Traceback" not in err


def test_connection_refused_exit_1_and_recorded(lst: Listener) -> None:
    dead = Receiver().start()
    dead.stop()
    cid = catch(lst, "/hooks/dead")
    code, _, err = replay(lst, cid, "--to", dead.url)
    assert code == 1
    assert err.startswith(f"error: connection refused to {dead.url}")
    last = replays_of(lst, cid)[-1]
    assert last["status"] is None and "connection refused" in str(last["error"])


def test_dns_failure_exit_1(lst: Listener) -> None:
    cid = catch(lst)
    code, _, err = replay(lst, cid, "--to", "http://no-such-host.invalid:3000", timeout=60)
    assert code == 1 and "cannot resolve host 'no-such-host.invalid'" in err


def test_timeout_exit_1_naming_the_limit(lst: Listener) -> None:
    slow = Receiver(delay=3).start()
    try:
        cid = catch(lst, "/hooks/slow")
        code, _, err = replay(lst, cid, "--to", slow.url, "--timeout", "0.5")
    finally:
        slow.stop()
    assert code == 1 and "within 0.5 s" in err


def test_timeout_zero_waits_for_a_slow_answer(lst: Listener) -> None:
    slow = Receiver(delay=1.5).start()
    try:
        cid = catch(lst, "/hooks/debugger")
        code, _, err = replay(lst, cid, "--to", slow.url, "--timeout", "0")
    finally:
        slow.stop()
    assert code == 0, err


def test_tls_failure_and_insecure(lst: Listener, tmp_path: Path) -> None:
    tls = TlsReceiver(tmp_path)
    try:
        cid = catch(lst, "/hooks/tls")
        code, _, err = replay(lst, cid, "--to", tls.url)
        assert code == 1 and "TLS" in err and "--insecure" in err
        code, _, err = replay(lst, cid, "--to", tls.url, "--insecure")
        assert code == 0, err
        assert tls.inner.wait(1)[-1].path_qs == "/hooks/tls"
    finally:
        tls.stop()


# -- safety beside a running listener ----------------------------------------------------


def test_replay_while_listen_writes_the_same_store(lst: Listener, receiver: Receiver) -> None:
    import threading

    cid = catch(lst, "/hooks/busy")
    before = len(run_json(lst.store, "ls", "--limit", "100000"))
    sent: list[int] = []

    def flood() -> None:
        for i in range(150):
            status, _, _ = send(lst.url, "POST", f"/flood/{i}", b"x")
            sent.append(status)

    t = threading.Thread(target=flood)
    t.start()
    code, _, err = replay(lst, cid, "--to", receiver.url, "--repeat", "100", "--concurrency", "4")
    t.join(60)
    assert code == 0, err
    assert sent == [200] * 150
    assert len(run_json(lst.store, "ls", "--limit", "100000")) == before + 150
    assert len(replays_of(lst, cid)) == 100


def test_header_bytes_that_are_not_utf8_are_replayed_exactly(
    lst: Listener, receiver: Receiver
) -> None:
    from tests.conftest import raw_exchange

    raw = (
        b"POST /hooks/latin HTTP/1.1\r\nHost: x\r\nX-V: h\xe9llo \xff\r\n"
        b"x-v: second\r\nContent-Length: 2\r\n\r\nok"
    )
    answer = raw_exchange(lst.port, raw)
    cid = str(json.loads(answer.partition(b"\r\n\r\n")[2])["id"])
    assert run_json(lst.store, "show", cid)["headers_encoding"] == "latin-1"
    code, _, err = replay(lst, cid, "--to", receiver.url, "-H", "X-Added: 1")
    assert code == 0, err
    seen = receiver.wait(1)[-1]
    # the receiver decodes header bytes as latin-1: the same text means the same bytes
    assert [(k, v) for k, v in seen.headers if k.lower() in ("x-v", "x-added")] == [
        ("X-V", "h\xe9llo \xff"),
        ("x-v", "second"),
        ("X-Added", "1"),
    ]
    assert seen.body == b"ok"
    assert replays_of(lst, cid)[-1]["status"] == 200
