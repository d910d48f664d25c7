"""Every built-in event of Stripe, Paddle and Discord, end to end in process (conftest's run()):
`hookcli fabricate EVENT --to` a real aiohttp receiver on loopback, and what arrived is
accepted by the provider's official library and parsed into its typed object (stripe's
construct_event, paddle-python-sdk's Event.from_dict, Discord's snowflakes)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from hookcli.events import catalog
from hookcli.signing.discord import public_key_hex
from tests import official
from tests.conftest import run
from tests.receiver import Receiver, Seen

STRIPE = "whsec_fabricate_events_0123456789"
PADDLE = "pdl_ntfset_01fabricateevents_0123456789"
SEED = hashlib.sha256(b"hookcli-fabricate-events-discord").hexdigest()
SIGNING = {"stripe": STRIPE, "paddle": PADDLE, "discord": SEED}
RECEIVING = {"stripe": STRIPE, "paddle": PADDLE, "discord": public_key_hex(SEED)}
CASES = [(p, e) for p in SIGNING for e in catalog.list_events(p)]


def fabricate(tmp_path: Path, receiver: Receiver, provider: str, event: str) -> Seen:
    to = f"{receiver.url}/hooks/{provider}"
    store, config = tmp_path / "store", str(tmp_path / "none")
    args = ["fabricate", provider, event, "--secret", SIGNING[provider], "--to", to]
    result = run(store, *args, HOOKCLI_CONFIG=config)
    assert result.returncode == 0, result.stderr
    (seen,) = receiver.wait(1)
    return seen


def snowflakes(doc: Any, key: str = "") -> list[tuple[str, Any]]:
    """Every id-like field of a Discord payload: `id`, `*_id`, and guild-owner keys."""
    out: list[tuple[str, Any]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, dict | list):
                out += snowflakes(v, k)
            elif k == "id" or k.endswith("_id") or key == "authorizing_integration_owners":
                out.append((k, v))
    elif isinstance(doc, list):
        for v in doc:
            out += snowflakes(v, key)
    return out


@pytest.mark.parametrize(("provider", "event"), CASES, ids=[f"{p}:{e}" for p, e in CASES])
def test_official_library_parses_every_event(
    tmp_path: Path, receiver: Receiver, provider: str, event: str
) -> None:
    seen = fabricate(tmp_path, receiver, provider, event)
    url = f"{receiver.url}/hooks/{provider}"
    assert official.accepts(provider, seen.headers, seen.body, RECEIVING[provider], url)
    doc = json.loads(seen.body)
    if provider == "stripe":
        import stripe

        sig = seen.header("Stripe-Signature")
        if doc["object"] == "v2.core.event":
            note = stripe.StripeClient("sk_test_x").parse_event_notification(seen.body, sig, STRIPE)
            assert getattr(type(note), "LOOKUP_TYPE", None) == event
        else:
            ev = stripe.Webhook.construct_event(seen.body.decode(), sig, STRIPE)
            assert ev.type == event
            assert (
                getattr(type(ev.data.object), "OBJECT_NAME", None)
                == doc["data"]["object"]["object"]
            )
    elif provider == "paddle":
        from paddle_billing.Entities.Event import Event
        from paddle_billing.Notifications.Entities.UndefinedEntity import UndefinedEntity

        parsed = Event.from_dict(doc)
        assert not isinstance(parsed.data, UndefinedEntity), event
        assert parsed.event_type.value == event and parsed.data.id == doc["data"]["id"]
    else:
        ids = snowflakes(doc)
        assert ids and doc["id"] and doc["application_id"]
        for field, value in ids:
            if (
                field == "custom_id"
                or value is None
                or (field == "id" and type(value) is int and value < 1000)
            ):
                continue  # custom ids, unset ids, and component ids (1, 2...) are no snowflakes
            assert isinstance(value, str) and value.isdigit(), (field, value)
            assert 2**32 < int(value) < 2**64, (field, value)


def test_paddle_has_the_common_events() -> None:
    events = set(catalog.list_events("paddle"))
    assert {"transaction.completed", "transaction.paid", "transaction.payment_failed"} <= events
    assert {"subscription.created", "subscription.updated", "subscription.canceled"} <= events
    assert {"customer.created", "customer.updated"} <= events


def test_paddle_related_ids_agree(tmp_path: Path, receiver: Receiver) -> None:
    data = json.loads(fabricate(tmp_path, receiver, "paddle", "transaction.completed").body)["data"]
    assert data["customer_id"].startswith("ctm_01") and data["subscription_id"].startswith("sub_")
    assert data["items"][0]["price"]["id"] == data["details"]["line_items"][0]["price_id"]
    assert data["payments"][0]["status"] == "captured" and data["status"] == "completed"
