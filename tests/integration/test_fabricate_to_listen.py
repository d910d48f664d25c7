"""The whole chain: fabricate every provider's events at a running `hookcli listen` that
knows the secrets; every capture is detected and shown valid live, and `verify` agrees."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from hookcli.signing import registry
from hookcli.signing.discord import public_key_hex
from hookcli.signing.profile_scheme import ProfileScheme
from tests import keys
from tests.conftest import Listener, run, run_json

SEED = hashlib.sha256(b"hookcli-chain-discord-seed").hexdigest()
#: what signs (fabricate) ...
#: providers live detection never names, by design: their headers are everyone's
#: (Authorization, X-Signature, the webhook-*/svix-* every Standard Webhooks sender shares,
#: detect = []) or another provider's too (HubSpot v2 sends v1's headers). They are
#: fabricated, verified and re-signed by name in test_providers_round_trip.py.
UNDETECTABLE = {
    n
    for n in registry.NAMES
    if isinstance(registry.get(n), ProfileScheme) and not registry.get(n).detect_headers
} - {"hmac"}
UNDETECTABLE |= {"hubspot-v2"}
FAB_SECRETS = {
    n: f"{n}-chain-secret" for n in registry.NAMES if n != "hmac" and n not in UNDETECTABLE
}
FAB_SECRETS.update(
    stripe="whsec_chain_0123456789",
    standard="whsec_" + base64.b64encode(b"chain-standard-key-0123456789abc").decode(),
    discord=SEED,
    onfleet="5f" * 32,  # hex: the key is the decoded bytes
)
FAB_SECRETS.update({n: keys.signing(n, "") for n in keys.ASYMMETRIC if n != "discord"})
#: ... and what the receiver holds (listen --secret, verify): the public-key providers'
#: public keys
SECRETS = {
    **FAB_SECRETS,
    "discord": public_key_hex(SEED),
    **{n: keys.receiving(n, "") for n in keys.ASYMMETRIC if n != "discord"},
}
#: providers that put no one event name in their deliveries: HubSpot's body is a list;
#: Asana, Pusher, Xero and Terraform send a list of events or notifications, X an object
#: keyed by the kind of event
NO_EVENT = {
    "dropbox",
    "hubspot",
    "hubspot-v1",
    "telegram",
    "asana",
    "pusher",
    "xero",
    "terraform",
    "twitter",
}


@pytest.mark.long
def test_fabricated_events_verify_live_and_with_verify(tmp_path: Path) -> None:
    listen_store, fab_store = tmp_path / "listen", tmp_path / "fab"
    args = [a for p, s in SECRETS.items() for a in ("--secret", f"{p}={s}")]
    lst = Listener(listen_store, *args)
    sent: list[tuple[str, str]] = []
    try:
        for provider in SECRETS:
            events = run(fab_store, "fabricate", provider, "--list").stdout.decode().split()
            # the first and last of each: every event's own round trip is
            # tests/integration/test_fabricate_events.py's, in process
            for event in dict.fromkeys([events[0], events[-1]]):
                r = run(
                    fab_store,
                    "fabricate",
                    provider,
                    event,
                    "--secret",
                    FAB_SECRETS[provider],
                    "--to",
                    lst.url + f"/hooks/{provider}?src=test",
                )
                assert r.returncode == 0, (provider, event, r.stderr)
                sent.append((provider, event))
        captured = [lst.wait_event("captured") for _ in sent]
    finally:
        lst.stop()
    for (provider, event), ev in zip(sent, captured, strict=True):
        assert ev["provider"] == provider, (event, ev)
        assert ev["signature"] == "valid", (provider, event, ev)
        assert bool(ev["event_type"]) is (provider not in NO_EVENT), (provider, event)
    for row in run_json(listen_store, "ls", "--limit", "200"):
        secret = SECRETS[row["provider"]]
        # a wide tolerance: Paddle allows 5 s, and this checks signatures, not the clock
        r = run(listen_store, "verify", str(row["id"]), "--secret", secret, "--tolerance", "3600")
        assert r.returncode == 0, (row, r.stdout)


def test_generic_hmac_and_empty_bodies(tmp_path: Path) -> None:
    store = tmp_path / "s"
    lst = Listener(store)
    try:
        r = run(store, "fabricate", "hmac", "--secret", "k", "--to", lst.url + "/h")
        assert r.returncode == 0, r.stderr
        r = run(
            store,
            "fabricate",
            "github",
            "ping",
            "--secret",
            "k",
            "--data",
            "",
            "--to",
            lst.url + "/empty",
        )
        assert r.returncode == 0, r.stderr
        lst.wait_event("captured")
        lst.wait_event("captured")
    finally:
        lst.stop()
    listened = [x for x in run_json(store, "ls") if x["source"] == "listen"]
    by_path = {x["path"]: x for x in listened}
    r = run(store, "verify", str(by_path["/h"]["id"]), "--secret", "k", "--provider", "hmac")
    assert r.returncode == 0, r.stdout
    assert (
        run(
            store, "verify", str(by_path["/h"]["id"]), "--secret", "x", "--provider", "hmac"
        ).returncode
        == 1
    )
    empty = run_json(store, "show", str(by_path["/empty"]["id"]))
    assert empty["body_size"] == 0
    assert run(store, "verify", str(empty["id"]), "--secret", "k").returncode == 0
