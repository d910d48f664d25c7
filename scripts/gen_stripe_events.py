"""Generate hookcli's Stripe event templates from Stripe's own API fixtures.

    python3 scripts/gen_stripe_events.py PATH/TO/fixtures3.json \
        --api-version 2026-07-29.dahlia --source "stripe/openapi v2349 (f0758b1)"

PATH is ``openapi/fixtures3.json`` of https://github.com/stripe/openapi (MIT, Copyright (c)
2011- Stripe, Inc.) at the commit of the API version named. The script writes

- ``hookcli/events/templates/stripe/<event>.json``: one template per event of
  ``stripe_event_table.EVENTS`` (and the thin events of ``THIN``), each ``data.object`` being
  the resource's fixture with hookcli placeholders for ids and timestamps, then the
  table's changes for that event;
- ``hookcli/events/templates/stripe/NOTICE``: where they came from, and Stripe's license;
- ``tests/data/stripe/fixture_fields.json``: each resource's fields (and their JSON kinds)
  in the fixtures, which the tests check every template against, with ``LICENSE`` beside.

A new API version is a re-run with the new fixtures file and ``--api-version``; the table
only says what differs between the fixture and a realistic object in that event's state.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import mit_license
from stripe_event_table import (
    EVENTS,
    HEADERS,
    RESOURCE_CHANGES,
    THIN,
    event_request,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "hookcli" / "events" / "templates" / "stripe"
FIELDS = ROOT / "tests" / "data" / "stripe" / "fixture_fields.json"
GENERATED_MARK = "gen_stripe_events.py"

#: a Stripe object id inside a string: prefix, optional test_/live_, then the random part
ID_RE = re.compile(r"(?<![A-Za-z0-9])([a-z]+(?:_[a-z]+)*)_((?:test_|live_)?)([A-Za-z0-9]{8,})")
#: fixtures put a field's own name where an expandable id goes ("invoice": "invoice")
DUMMY_PREFIX = {
    "charge": "ch",
    "customer": "cus",
    "invoice": "in",
    "invoice_item": "ii",
    "invoice_line_items": "il",
    "payment_intent": "pi",
    "price": "price",
    "product": "prod",
    "promotion_code": "promo",
    "quote": "qt",
    "setup_attempt": "setatt",
    "subscription": "sub",
    "subscription_item": "si",
}
#: timestamps: offsets from the event's time for fields that are in the future
TIME_OFFSETS = {
    "expires_at": 86400,
    "due_date": 2592000,
    "period_end": 2592000,
    "current_period_end": 2592000,
    "end": 2592000,
    "trial_end": 1209600,
    "next_payment_attempt": 3600,
    "arrival_date": 172800,
    "cancel_at": 2592000,
    "redeem_by": 2592000,
    "end_date": 2592000,
    "resumes_at": 2592000,
}
TIME_KEYS = frozenset({"created", "updated", "date", "start", "start_date", "period_start"})
#: fixture numbers that are random garbage (a 10-digit interval_count) get these
SMALL_INTS = {"interval_count": 1, "divide_by": 1, "count": 1}


def is_time_key(key: str | None) -> bool:
    return key is not None and (
        key in TIME_KEYS or key in TIME_OFFSETS or key.endswith("_at") or key.endswith("_date")
    )


class Ids:
    """Fixture ids -> placeholders: the first distinct id of a prefix gets the prefix as
    its key (``cus_{{random_id:cus}}``), so every reference to "the customer" in one
    event agrees, and so the table can name it; later distinct ids get ``cus2``..."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.count: dict[str, int] = {}

    def key(self, prefix: str, fixture_id: str) -> str:
        if fixture_id not in self.keys:
            n = self.count.get(prefix, 0) + 1
            self.count[prefix] = n
            self.keys[fixture_id] = prefix if n == 1 else f"{prefix}{n}"
        return self.keys[fixture_id]

    def sub(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            prefix, mode, tail = m.groups()
            if not (any(c.isdigit() for c in tail) and any(c.isalpha() for c in tail)):
                return m.group(0)
            key = self.key(prefix, m.group(0))
            return f"{prefix}_{mode}{{{{random_id:{key}}}}}"

        return ID_RE.sub(one, text)


def templatize(value: Any, ids: Ids, key: str | None = None) -> Any:
    """A fixture value with fresh-id and timestamp placeholders and fixture noise removed."""
    if isinstance(value, dict):
        return {k: templatize(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [templatize(v, ids, key) for v in value]
    if key == "livemode":
        return False
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if is_time_key(key) and value >= 10**8:
            offset = TIME_OFFSETS.get(key or "", 0)
            return f"{{{{now:+{offset}}}}}" if offset else "{{now}}"
        if value >= 10**7:
            return SMALL_INTS.get(key or "", 0)
        return value
    if isinstance(value, str):
        if key is not None and value == key and key in DUMMY_PREFIX:
            prefix = DUMMY_PREFIX[key]
            return f"{prefix}_{{{{random_id:{prefix}}}}}"
        if key == "currency" and value == "currency":
            return "usd"
        return ids.sub(value)
    return value


def set_path(doc: Any, path: str, value: Any) -> None:
    """Set dotted PATH (list indices as numbers) in DOC; the parent must exist."""
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def apply(doc: dict[str, Any], changes: dict[str, Any]) -> None:
    for path, value in changes.items():
        set_path(doc, path, copy.deepcopy(value))


def build_object(resources: dict[str, Any], resource: str, changes: dict[str, Any]) -> Any:
    ids = Ids()
    obj = templatize(copy.deepcopy(resources[resource]), ids)
    apply(obj, RESOURCE_CHANGES.get(resource, {}))
    apply(obj, changes)
    return obj


def snapshot_template(
    resources: dict[str, Any], event: str, spec: dict[str, Any], api_version: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "object": build_object(resources, spec["resource"], spec.get("changes", {}))
    }
    if "previous" in spec:
        data["previous_attributes"] = spec["previous"]
    body = {
        "id": "{{evt_id}}",
        "object": "event",
        "api_version": api_version,
        "created": "{{now}}",
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": event_request(event),
        "type": event,
    }
    return envelope(body)


def envelope(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/webhooks/stripe",
        "content_type": "application/json; charset=utf-8",
        "headers": HEADERS,
        "body": body,
    }


def field_kinds(resources: dict[str, Any], names: set[str]) -> dict[str, dict[str, str]]:
    def kind(v: Any) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int | float):
            return "number"
        return {str: "string", dict: "object", list: "array"}[type(v)]

    return {r: {k: kind(v) for k, v in resources[r].items()} for r in sorted(names)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fixtures", type=Path, help="openapi/fixtures3.json of stripe/openapi")
    ap.add_argument("--api-version", required=True, help="the API version of those fixtures")
    ap.add_argument("--source", required=True, help="where the fixtures came from (tag, commit)")
    args = ap.parse_args(argv)
    resources = json.loads(args.fixtures.read_text(encoding="utf-8"))["resources"]

    TEMPLATES.mkdir(parents=True, exist_ok=True)
    for old in TEMPLATES.glob("*.json"):
        old.unlink()
    for event, spec in EVENTS.items():
        write(event, snapshot_template(resources, event, spec, args.api_version))
    for event, body in THIN.items():
        write(event, envelope(body))
    used = {spec["resource"] for spec in EVENTS.values()}
    FIELDS.parent.mkdir(parents=True, exist_ok=True)
    FIELDS.write_text(
        json.dumps(
            {
                "api_version": args.api_version,
                "source": args.source,
                "generated_by": f"scripts/{GENERATED_MARK}",
                "resources": field_kinds(resources, used),
            },
            indent=1,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    (TEMPLATES / "NOTICE").write_text(notice(args.api_version, args.source), encoding="utf-8")
    (FIELDS.parent / "LICENSE").write_text(notice(args.api_version, args.source), encoding="utf-8")
    print(f"{len(EVENTS)} snapshot and {len(THIN)} thin Stripe events for {args.api_version}")
    return 0


def write(event: str, template: dict[str, Any]) -> None:
    path = TEMPLATES / (event.replace("/", "__") + ".json")
    path.write_text(json.dumps(template, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


LICENSE = mit_license("2011- Stripe, Inc. (https://stripe.com)")


def notice(api_version: str, source: str) -> str:
    return (
        f"The Stripe event templates in this folder are generated by scripts/{GENERATED_MARK}\n"
        f"from Stripe's API fixtures, openapi/fixtures3.json of https://github.com/stripe/openapi\n"
        f"({source}), API version {api_version}. They are used under this license:\n\n" + LICENSE
    )


if __name__ == "__main__":
    raise SystemExit(main())
