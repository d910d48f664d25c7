"""Placeholders, the file-name mapping, and user template folders."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from hookcli.errors import UsageError
from hookcli.events import catalog
from hookcli.events.builder import build, list_events
from hookcli.events.placeholders import Placeholders
from hookcli.model import headers as hdr
from hookcli.signing import registry


def test_event_file_name_mapping() -> None:
    assert catalog.event_to_filename("orders/create") == "orders__create.json"
    assert catalog.filename_to_event("orders__create.json") == "orders/create"
    assert catalog.filename_to_event("invoice.paid.json") == "invoice.paid"


def test_placeholder_values() -> None:
    p = Placeholders(1_700_000_000, "user.created", "standard")
    doc = p.render(
        {
            "now": "{{now}}",
            "later": "{{now:+60}}",
            "ms": "{{now_ms}}",
            "iso": "{{iso_now}}",
            "in_text": "t={{now}}",
            "evt": "{{evt_id}}",
            "msg": "{{msg_id}}",
            "ev": "{{event}}/{{provider}}",
            "list": ["{{random_int}}", 3, None],
            "hex": "{{hex}}",
            "sha": "{{sha}}",
        }
    )
    assert doc["now"] == 1_700_000_000 and doc["later"] == 1_700_000_060
    assert doc["ms"] == 1_700_000_000_000
    assert doc["iso"] == "2023-11-14T22:13:20Z" and doc["in_text"] == "t=1700000000"
    assert doc["evt"].startswith("evt_") and len(doc["evt"]) == 28
    assert doc["msg"].startswith("msg_") and doc["ev"] == "user.created/standard"
    assert isinstance(doc["list"][0], int) and doc["list"][1:] == [3, None]
    assert len(doc["hex"]) == 32 and len(doc["sha"]) == 40


def test_keyed_placeholders_repeat_within_a_build_and_differ_across() -> None:
    p = Placeholders(0, "e", "stripe")
    a = p.render(["{{random_id:x}}", "{{random_id:x}}", "{{random_id:y}}", "{{uuid}}", "{{uuid}}"])
    assert a[0] == a[1] != a[2] and a[3] == a[4]
    b = Placeholders(0, "e", "stripe").render(["{{random_id:x}}"])
    assert b[0] != a[0]


def test_unknown_placeholder_names_template() -> None:
    with pytest.raises(UsageError, match=r"my\.json: unknown placeholder"):
        Placeholders(0, "e", "p", "my.json").render("{{nonsense}}")


def write(root: Path, provider: str, event: str, template: object) -> Path:
    path = root / provider / catalog.event_to_filename(event)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(template) if not isinstance(template, str) else template)
    return path


def test_user_folder_adds_and_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        "github",
        "release",
        {
            "headers": {"X-GitHub-Event": "release"},
            "body": {"action": "published", "id": "{{random_int}}"},
        },
    )
    write(tmp_path, "stripe", "invoice.paid", {"body": {"type": "invoice.paid", "custom": True}})
    write(
        tmp_path,
        "shopify",
        "app/uninstalled",
        {"headers": [["X-Shopify-Topic", "app/uninstalled"]], "body": {"id": 1}},
    )
    assert "release" in list_events("github", [tmp_path])
    assert "app/uninstalled" in list_events("shopify", [tmp_path])
    assert "release" not in list_events("github")
    req = build("github", "release", secret="s", template_dirs=[tmp_path])
    assert req.event_type == "release.published"
    assert registry.get("github").verify(req.headers, req.body, "s", 0).ok
    req = build("stripe", "invoice.paid", secret="whsec_x", template_dirs=[tmp_path])
    assert json.loads(req.body) == {"type": "invoice.paid", "custom": True}
    req = build("shopify", "app/uninstalled", secret="s", template_dirs=[tmp_path])
    assert hdr.get(req.headers, "X-Shopify-Topic") == "app/uninstalled"


def test_earlier_user_folder_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write(first, "hmac", "generic", {"body": {"from": "a"}})
    write(second, "hmac", "generic", {"body": {"from": "b"}})
    req = build("hmac", "generic", secret="k", template_dirs=[first, second])
    assert json.loads(req.body) == {"from": "a"}


def test_missing_user_folder_is_ignored(tmp_path: Path) -> None:
    assert list_events("stripe", [tmp_path / "absent"]) == list_events("stripe")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read template"),
        ('{"headers": {}}', 'must be a JSON object with a "body"'),
        ('{"body": {}, "headers": {"X": 1}}', '"headers" must map names'),
        ('{"body": {}, "method": 5}', '"method" must be a string'),
    ],
)
def test_bad_user_template_is_usage_error_naming_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = write(tmp_path, "github", "broken", content)
    with pytest.raises(UsageError) as err:
        build("github", "broken", secret="s", template_dirs=[tmp_path])
    assert message in err.value.message and str(path) in err.value.message


def test_user_twilio_json_template_signs_with_body_sha256(tmp_path: Path) -> None:
    write(
        tmp_path,
        "twilio",
        "json_event",
        {"content_type": "application/json", "body": {"EventType": "x", "n": "{{random_int}}"}},
    )
    req = build(
        "twilio",
        "json_event",
        secret="tok",
        url="https://h.example/t?a=1",
        template_dirs=[tmp_path],
    )
    query = parse_qs(urlsplit(req.url).query)
    assert query["a"] == ["1"] and len(query["bodySHA256"][0]) == 64
    sig = hdr.get(req.headers, "X-Twilio-Signature")
    assert RequestValidator("tok").validate(req.url, req.body.decode(), sig)
    assert (
        registry.get("twilio")
        .verify(req.headers, req.body, "tok", int(time.time()), url=req.url)
        .ok
    )


def test_generic_template_is_not_listed_or_loadable_by_name() -> None:
    assert not any(e.startswith("_") for e in list_events("standard"))
    with pytest.raises(UsageError):
        build("stripe", "_generic", secret="s")


def test_iso_offsets_and_snowflakes() -> None:
    p = Placeholders(1_767_225_600, "e", "discord")  # 2026-01-01T00:00:00Z
    assert p.render("{{iso_now:+86400}}") == "2026-01-02T00:00:00Z"
    assert p.render("{{iso_now:-60}}") == "2025-12-31T23:59:00Z"
    assert p.render("{{iso_now}}") == p.render("{{iso_now:label}}") == "2026-01-01T00:00:00Z"
    flake = p.render("{{snowflake:a}}")
    assert isinstance(flake, str) and flake.isdigit() and int(flake) < 2**64
    assert (int(flake) >> 22) + 1_420_070_400_000 == 1_767_225_600_000  # Discord's epoch
    assert p.render("{{snowflake:a}}") == flake != p.render("{{snowflake:b}}")
    assert Placeholders(0, "e", "discord").render("{{snowflake}}").isdigit()


def test_groups_prefixes_and_closest_names() -> None:
    assert catalog.group("customer.subscription.created") == "customer.subscription"
    assert catalog.group("orders/create") == "orders" and catalog.group("push") == "push"
    assert catalog.matching("stripe", "payout.") == [
        e for e in catalog.list_events("stripe") if e.startswith("payout.")
    ]
    with pytest.raises(UsageError) as err:
        catalog.matching("stripe", "payot.")
    assert err.value.hint and "payout." in err.value.hint
    assert catalog.closest("invoce.paid", catalog.list_events("stripe"))[0] == "invoice.paid"
    with pytest.raises(UsageError) as err:
        catalog.load("shopify", "order/create")
    assert err.value.hint and err.value.hint.startswith("did you mean orders/create")
