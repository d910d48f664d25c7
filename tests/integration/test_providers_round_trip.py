"""Every built-in provider, end to end: `hookcli fabricate` sends its default event to a
real aiohttp receiver on loopback, the provider's own library (where one is on PyPI)
accepts what arrived, `hookcli verify` accepts the recorded capture, and `hookcli replay
--resign` sends it again signed afresh; plus Discord's keys and Mailgun's in-body
signature through the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from hookcli.signing import registry
from hookcli.signing.discord import public_key_hex
from tests import keys, official
from tests.conftest import run, run_json
from tests.receiver import Receiver

SEED = hashlib.sha256(b"hookcli-round-trip-discord-seed").hexdigest()
PUBLIC = public_key_hex(SEED)
BUILT_IN = [n for n in registry.NAMES if n != "hmac"]


def signing_secret(provider: str) -> str:
    if provider == "discord":
        return SEED
    if provider == "standard":
        return "whsec_cm91bmQtdHJpcC1zdGFuZGFyZC1rZXktMDEyMzQ1Njc="
    if provider == "stripe":
        return "whsec_round_trip_0123456789"
    if provider == "onfleet":
        return "5f" * 32  # hex: the key is the decoded bytes
    if provider in ("postmark", "pipedrive"):
        return "hooks:round-trip"  # HTTP Basic user:password
    if provider in ("openai", "replicate", "lithic", "resend", "clerk", "microsoft-teams"):
        return "whsec_cm91bmQtdHJpcC1zdGFuZGFyZC1rZXktMDEyMzQ1Njc=".removeprefix(
            "whsec_" if provider == "microsoft-teams" else ""
        )
    return keys.signing(provider, f"{provider}-round-trip-secret")


def receiver_secret(provider: str) -> str:
    if provider == "discord":
        return PUBLIC
    return keys.receiving(provider, signing_secret(provider))


@pytest.mark.parametrize("provider", BUILT_IN)
def test_fabricate_verify_and_resign(store: Path, receiver: Receiver, provider: str) -> None:
    target = receiver.url + f"/hooks/{provider}?src=round-trip"
    r = run(store, "fabricate", provider, "--secret", signing_secret(provider), "--to", target)
    assert r.returncode == 0, r.stderr.decode()
    seen = receiver.wait(1)[-1]
    url = receiver.url + seen.path_qs
    accepted = official.accepts(provider, seen.headers, seen.body, receiver_secret(provider), url)
    assert accepted is (True if provider in official.LIBRARIES else None)

    (row,) = run_json(store, "ls")
    assert row["provider"] == provider and row["source"] == "fabricated"
    # --tolerance: Paddle allows 5 s, a loaded machine may take longer to get here
    verify = ["verify", str(row["id"]), "--secret", receiver_secret(provider), "--tolerance", "600"]
    r = run(store, *verify)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    wrong = keys.WRONG_RECEIVING.get(provider, "not-the-secret")
    assert run(store, "verify", str(row["id"]), "--secret", wrong).returncode == 1

    r = run(store, "replay", str(row["id"]), "--resign", "--secret", signing_secret(provider))
    assert r.returncode == 0, r.stderr.decode()
    again = receiver.wait(2)[-1]
    url = receiver.url + again.path_qs
    accepted = official.accepts(provider, again.headers, again.body, receiver_secret(provider), url)
    assert accepted is (True if provider in official.LIBRARIES else None)


def test_linear_resign_moves_the_timestamp_inside_the_body(store: Path, receiver: Receiver) -> None:
    secret = signing_secret("linear")
    r = run(store, "fabricate", "linear", "--secret", secret, "--to", receiver.url + "/l")
    assert r.returncode == 0, r.stderr.decode()
    first = json.loads(receiver.wait(1)[-1].body)["webhookTimestamp"]
    cid = str(run_json(store, "ls")[0]["id"])
    r = run(store, "replay", cid, "--resign", "--backdate", "3600", "--secret", secret)
    assert r.returncode == 0, r.stderr.decode()
    moved = first - json.loads(receiver.wait(2)[-1].body)["webhookTimestamp"]
    assert 3_600_000 - 5_000 < moved <= 3_600_000  # an hour back, less the seconds between


def test_discord_fabricate_prints_the_public_key_and_keys_are_checked(
    store: Path, receiver: Receiver
) -> None:
    r = run(store, "fabricate", "discord", "--secret", SEED, "--to", receiver.url + "/i")
    assert r.returncode == 0 and f"public key for this seed: {PUBLIC}" in r.stderr.decode()
    for bad in ("abc", "zz" * 32, SEED + "00"):
        r = run(store, "verify", "last", "--secret", bad)
        err = r.stderr.decode()
        assert r.returncode == 2 and "32 bytes of hex" in err and "Traceback" not in err
        r = run(store, "fabricate", "discord", "--secret", bad, "--print")
        assert r.returncode == 2 and "private seed" in r.stderr.decode()
    r = run(store, "listen", "--port", "0", "--secret", "discord=abc")
    assert r.returncode == 2 and "32 bytes of hex" in r.stderr.decode()


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        (b"not json at all", "not a JSON object"),
        (b'{"event-data": {"event": "delivered"}}', "no signature object"),
        (b'{"signature": {"timestamp": "1"}, "event-data": {}}', "signature.token"),
        (b'{"signature": {"timestamp": "x", "token": "t", "signature": "s"}}', "timestamp"),
    ],
)
def test_mailgun_malformed_bodies_say_what_is_missing(
    store: Path, body: bytes, missing: str
) -> None:
    from hookcli.model.capture import Capture
    from hookcli.store import Store

    st = Store(store)
    st.add([Capture("POST", "/mg", "", [("Content-Type", "application/json")], body)])
    st.close()
    r = run(store, "verify", "last", "--provider", "mailgun", "--secret", "k", "--json")
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["reason"] == "malformed_header"
    assert missing in doc["message"] and b"Traceback" not in r.stderr
