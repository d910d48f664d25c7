"""fabricate sends realistic events that the providers' own SDKs accept, received by a real
aiohttp server on loopback, and records what it sent."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.conftest import run, run_json
from tests.receiver import Receiver, Seen

STRIPE = "whsec_test_fabricate_0123456789"
STANDARD = "whsec_" + base64.b64encode(b"fabricate-standard-key-32-bytes!").decode()
GITHUB = "gh-fabricate-secret"
SHOPIFY = "shpss_fabricate"
SLACK = "8f742231b10e8888abcd99yyyzzz85a5"
TWILIO = "twilio-auth-token-0123456789abcdef"


def fab(store: Path, receiver: Receiver, *args: str, path: str = "/hooks") -> Seen:
    n = len(receiver.seen)
    r = run(store, "fabricate", *args, "--to", receiver.url + path)
    assert r.returncode == 0, r.stderr.decode()
    return receiver.wait(n + 1)[-1]


@pytest.mark.parametrize(
    "event",
    [
        "payment_intent.succeeded",
        "checkout.session.completed",
        "invoice.paid",
        "customer.subscription.created",
    ],
)
def test_stripe_sdk_accepts(store: Path, receiver: Receiver, event: str) -> None:
    import stripe

    seen = fab(store, receiver, "stripe", event, "--secret", STRIPE)
    ev = stripe.Webhook.construct_event(seen.body.decode(), seen.header("Stripe-Signature"), STRIPE)
    assert ev["type"] == event and ev["id"].startswith("evt_")


def test_standard_webhooks_sdk_accepts(store: Path, receiver: Receiver) -> None:
    from standardwebhooks import Webhook

    seen = fab(store, receiver, "standard", "invoice.created", "--secret", STANDARD)
    doc = Webhook(STANDARD).verify(seen.body, {k.lower(): v for k, v in seen.headers})
    assert doc["type"] == "invoice.created"
    assert seen.header(
        "webhook-id",
    ).startswith("msg_")  # type: ignore[union-attr]


def test_slack_sdk_accepts(store: Path, receiver: Receiver) -> None:
    from slack_sdk.signature import SignatureVerifier

    for event in ("event_callback", "url_verification"):
        seen = fab(store, receiver, "slack", event, "--secret", SLACK)
        assert SignatureVerifier(SLACK).is_valid(
            seen.body, seen.header("X-Slack-Request-Timestamp"), seen.header("X-Slack-Signature")
        )


def test_twilio_sdk_accepts_over_the_target_url(store: Path, receiver: Receiver) -> None:
    from twilio.request_validator import RequestValidator

    seen = fab(store, receiver, "twilio", "message_status", "--secret", TWILIO, path="/sms?x=1")
    url = receiver.url + seen.path_qs
    params = dict(parse_qsl(seen.body.decode(), keep_blank_values=True))
    assert RequestValidator(TWILIO).validate(url, params, seen.header("X-Twilio-Signature"))
    assert not RequestValidator(TWILIO).validate(
        receiver.url + "/elsewhere", params, seen.header("X-Twilio-Signature")
    ), "the signature covers the URL"


def test_github_and_shopify_verify_with_hookcli_verify(store: Path, receiver: Receiver) -> None:
    for provider, event, secret in (
        ("github", "pull_request", GITHUB),
        ("shopify", "products/update", SHOPIFY),
    ):
        fab(store, receiver, provider, event, "--secret", secret)
        r = run(store, "verify", "last", "--secret", secret)
        assert r.returncode == 0 and r.stdout.startswith(b"valid"), r.stdout


def test_fabricated_capture_is_recorded_and_replayable_later(
    store: Path, receiver: Receiver
) -> None:
    seen = fab(store, receiver, "github", "push", "--secret", GITHUB, path="/gh?x=1")
    rec = run_json(store, "show", "last")
    assert rec["source"] == "fabricated" and rec["provider"] == "github"
    assert rec["event_type"] == "push" and rec["path"] == "/gh" and rec["query"] == "x=1"
    assert rec["body"].encode() == seen.body
    [attempt] = rec["replays"]
    assert attempt["status"] == 200 and attempt["target"] == receiver.url + "/gh?x=1"
    assert attempt["base"] == receiver.url
    shown = run(store, "show", "last").stdout.decode()
    assert "Sent and replays" in shown and receiver.url + "/gh?x=1" in shown
    assert GITHUB not in (store / "captures.jsonl").read_text(), "secrets are never stored"


def test_data_set_and_header_edits(store: Path, receiver: Receiver) -> None:
    import stripe

    seen = fab(
        store,
        receiver,
        "stripe",
        "invoice.paid",
        "--secret",
        STRIPE,
        "--set",
        "data.object.amount_paid=4242",
        "--set",
        "data.object.note=hi",
        "-H",
        "X-Extra: 1",
    )
    doc = json.loads(seen.body)
    assert doc["data"]["object"]["amount_paid"] == 4242 and doc["data"]["object"]["note"] == "hi"
    assert seen.header("X-Extra") == "1"
    stripe.Webhook.construct_event(seen.body.decode(), seen.header("Stripe-Signature"), STRIPE)
    raw = b'{"type":"order.shipped",  "data":{"n":1}}'
    seen = fab(
        store, receiver, "standard", "order.shipped", "--secret", STANDARD, "--data", raw.decode()
    )
    assert seen.body == raw, "--data is sent byte-exact"


def test_print_sends_nothing_and_stores_nothing(store: Path, receiver: Receiver) -> None:
    r = run(store, "fabricate", "slack", "--secret", SLACK, "--print", "--to", receiver.url + "/s")
    assert r.returncode == 0
    assert r.stdout.startswith(b"POST /s HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"X-Slack-Signature: v0=" in r.stdout
    time.sleep(0.3)
    assert receiver.seen == [] and run_json(store, "ls") == []


def test_secret_from_environment(store: Path, receiver: Receiver) -> None:
    n = len(receiver.seen)
    r = run(
        store, "fabricate", "github", "ping", "--to", receiver.url, HOOKCLI_SECRET_GITHUB=GITHUB
    )
    assert r.returncode == 0
    assert receiver.wait(n + 1)[-1].header("X-GitHub-Event") == "ping"


def test_list_and_providers(store: Path) -> None:
    out = run(store, "fabricate", "shopify", "--list").stdout.decode().split()
    assert "orders/create" in out and "products/update" in out
    out = run(store, "fabricate", "stripe", "--list", "invoice.").stdout.decode().split()
    assert "invoice.paid" in out and all(e.startswith("invoice.") for e in out)
    rows = run_json(store, "fabricate", "stripe", "--list", "customer.subscription.")
    assert {"event": "customer.subscription.created", "group": "customer.subscription"} in rows
    assert {r["group"] for r in rows} == {"customer.subscription"}
    rows = run_json(store, "providers")
    names = [p["name"] for p in rows]
    assert names[:7] == ["stripe", "github", "shopify", "slack", "twilio", "standard", "hmac"]
    assert len(names) >= 23 and {"square", "paddle", "linear", "zoom", "mailgun", "discord"} <= {
        *names
    }
    stripe_row = rows[0]
    assert "Stripe-Signature" in stripe_row["headers"]
    assert "payment_intent.succeeded" in stripe_row["events"] and stripe_row["scheme"]
    table = run(store, "providers").stdout.decode()
    assert "NAME" in table and "X-Hub-Signature-256" in table


def test_fabricate_errors(store: Path, receiver: Receiver, tmp_path: Path) -> None:
    def err(*args: str, **env: str) -> tuple[int, str]:
        r = run(store, "fabricate", *args, **env)
        assert b"Traceback" not in r.stderr
        return r.returncode, r.stderr.decode()

    code, msg = err("paypal", "--to", receiver.url, "--secret", "x")
    assert code == 2 and "stripe" in msg and "standard" in msg
    code, msg = err("stripe", "--to", receiver.url)
    assert code == 2 and "--secret" in msg
    code, msg = err("stripe", "--secret", STRIPE)
    assert code == 2 and "--to" in msg
    code, msg = err("stripe", "--to", "localhost:3000", "--secret", STRIPE)
    assert code == 2 and "http" in msg
    code, msg = err("standard", "--to", receiver.url, "--secret", "not base64!")
    assert code == 2 and "whsec_" in msg
    code, msg = err(
        "stripe", "--to", receiver.url, "--secret", STRIPE, "--data", f"@{tmp_path}/nope"
    )
    assert code == 2 and "nope" in msg
    code, msg = err("stripe", "--to", receiver.url, "--secret", STRIPE, "--data", "{not json")
    assert code == 2 and "JSON" in msg
    code, msg = err("stripe", "--to", receiver.url, "--secret", STRIPE, "--set", "type.x=1")
    assert code == 2 and "type" in msg
    code, msg = err("github", "nope_event", "--to", receiver.url, "--secret", GITHUB)
    assert code == 2 and "nope_event" in msg and "github --list" in msg
    code, msg = err("stripe", "invoce.paid", "--to", receiver.url)  # before the secret
    assert code == 2 and "did you mean invoice.paid," in msg and len(msg.splitlines()) == 1
    code, msg = err("stripe", "--list", "invoicex")
    assert code == 2 and "no stripe event starts with 'invoicex'" in msg
    assert receiver.seen == [] and run_json(store, "ls") == []


def test_unreachable_or_failing_target_exits_1_but_records(store: Path) -> None:
    down = Receiver(status=500).start()
    try:
        r = run(store, "fabricate", "github", "--secret", GITHUB, "--to", down.url + "/x")
        assert r.returncode == 1 and b"500" in r.stderr
    finally:
        down.stop()
    r = run(store, "fabricate", "github", "--secret", GITHUB, "--to", down.url + "/x")
    assert r.returncode == 1
    assert f"error: connection refused to {down.url}".encode() in r.stderr
    rows = run_json(store, "ls")
    assert len(rows) == 2
    assert run_json(store, "show", str(rows[0]["id"]))["replays"][0]["status"] is None


def test_user_templates_from_config(store: Path, receiver: Receiver, tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "github"
    folder.mkdir(parents=True)
    (folder / "release.json").write_text(
        json.dumps(
            {
                "headers": {"X-GitHub-Event": "release", "X-GitHub-Delivery": "{{uuid}}"},
                "body": {
                    "action": "published",
                    "release": {"tag_name": "v1.2.3"},
                    "repository": {"full_name": "me/app"},
                    "sender": {"login": "me"},
                },
            }
        )
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[secrets]\ngithub = "{GITHUB}"\n[templates]\ndirs = ["templates"]\n')
    assert (
        "release"
        in run(store, "fabricate", "github", "--list", HOOKCLI_CONFIG=str(config))
        .stdout.decode()
        .split()
    )
    r = run(
        store,
        "fabricate",
        "github",
        "release",
        "--to",
        receiver.url + "/gh",
        HOOKCLI_CONFIG=str(config),
    )
    assert r.returncode == 0, r.stderr
    seen = receiver.wait(1)[-1]
    assert json.loads(seen.body)["release"]["tag_name"] == "v1.2.3"
    assert run_json(store, "show", "last")["event_type"] == "release.published"
    assert run(store, "verify", "last", HOOKCLI_CONFIG=str(config)).returncode == 0
