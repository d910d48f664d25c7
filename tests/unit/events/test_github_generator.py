"""The pieces of scripts/gen_github_events.py on small inputs: the schema repair and the
placeholders it puts in (the whole output is checked by test_github_events.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hookcli.events.placeholders import Placeholders

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fix = script("github_schema_fix")
templating = script("github_templating")

SCHEMA: dict[str, Any] = {
    "definitions": {
        "user": {
            "type": "object",
            "required": ["login", "id"],
            "properties": {"login": {"type": "string"}, "id": {"type": "integer"}},
            "additionalProperties": False,
        },
        "thing$closed": {
            "type": "object",
            "required": ["action", "thing", "sender"],
            "properties": {
                "action": {"type": "string", "enum": ["closed"]},
                "thing": {
                    "type": "object",
                    "required": ["state", "closed_at", "owner", "note"],
                    "properties": {
                        "state": {"type": "string", "enum": ["closed"]},
                        "closed_at": {"type": "string", "format": "date-time"},
                        "owner": {"$ref": "#/definitions/user"},
                        "note": {"type": ["string", "null"]},
                    },
                    "additionalProperties": False,
                },
                "sender": {"$ref": "#/definitions/user"},
            },
            "additionalProperties": False,
        },
    }
}
EXAMPLES = {"thing": [{"sender": {"login": "octocat", "id": 1, "extra": True}}]}
NOW = "2019-05-15T15:20:33Z"


def test_repair_fills_required_fields_fixes_enums_and_drops_forbidden_ones() -> None:
    fixer = fix.Fixer(SCHEMA, EXAMPLES)
    body = {
        "action": "closed",
        "thing": {"state": "open", "closed_at": None, "unknown": 1},
        "sender": {"login": "hubot", "id": 2},
    }
    out = fixer.repair(body, fixer.definition("thing", "closed"), "thing", NOW)
    assert fixer.errors(out, "thing$closed") == []
    thing = out["thing"]
    assert thing["state"] == "closed" and thing["closed_at"] == NOW  # the action's time
    assert "unknown" not in thing and thing["note"] is None  # nullable: null
    # no example has an owner: built from the schema
    assert thing["owner"] == {"login": "", "id": 1}
    assert body["thing"]["state"] == "open"  # the input is left as it was


def test_repair_borrows_a_value_that_fits_and_names_an_unknown_action() -> None:
    examples = {
        "thing": [{"owner": {"login": "x", "id": 1, "extra": 1}}],  # a field too many
        "other": [{"owner": {"login": "octocat", "id": 583231}}],
    }
    fixer = fix.Fixer(SCHEMA, examples)
    out = fixer.repair(
        {"action": "closed", "thing": {}, "sender": {"login": "a", "id": 3}},
        "thing$closed",
        "thing",
        NOW,
    )
    assert out["thing"]["owner"] == {"login": "octocat", "id": 583231}
    with pytest.raises(KeyError, match="no definition for thing reopened"):
        fixer.definition("thing", "reopened")


def test_templater_renews_ids_everywhere_but_keeps_accounts_and_the_zero_sha() -> None:
    sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    body = {
        "thing": {
            "id": 128620228,
            "node_id": "MDg6Q2hlY2tSdW4xMjg2MjAyMjg=",  # 008:CheckRun128620228
            "url": "https://api.github.com/repos/o/r/check-runs/128620228",
            "external_id": "128620228",  # a string of digits stays a string
            "updated_at": "2019-05-15T15:21:00Z",
            "created_at": "2019-05-15T15:20:00Z",
        },
        "run_id": 128620228,
        "after": sha,
        "compare": f"https://github.com/o/r/compare/{'0' * 40}...{sha}",
        "sender": {"login": "octocat", "id": 21031067, "node_id": "MDQ6VXNlcjIxMDMxMDY3"},
    }
    t = templating.Templater(body)
    rendered = Placeholders(1_800_000_000, "thing", "github").render(t.template(body))
    thing = rendered["thing"]
    assert thing["id"] != 128620228 and isinstance(thing["id"], int)
    assert rendered["run_id"] == thing["id"] and thing["url"].endswith(f"/{thing['id']}")
    assert thing["node_id"].startswith("CR_kwDO")
    assert thing["external_id"] == "128620228"
    assert thing["updated_at"] == "2027-01-15T08:00:00Z"  # the latest time is the build's
    assert thing["created_at"] == "2027-01-15T07:59:00Z"  # a minute before, as it was
    assert rendered["after"] != sha and rendered["compare"].endswith(rendered["after"])
    assert "/compare/" + "0" * 40 + "..." in rendered["compare"]
    assert rendered["sender"] == body["sender"]


def test_a_body_with_only_times_to_come_starts_at_the_first() -> None:
    body = {"effective_date": "2017-11-05T00:00:00Z", "next_billing_date": "2017-11-10T00:00:00Z"}
    assert templating.latest_time(body) == templating.parse_time("2017-11-05T00:00:00Z")
    assert templating.latest_time({"zen": "no time here"}) is None


def test_zoneless_times_become_rfc3339_and_the_zero_time_stays() -> None:
    body = {
        "app": {"created_at": "2018-04-25 20:42:10"},  # as some old app objects have it
        "version": {"created_at": "0001-01-01T00:00:00Z"},  # a package version's "none"
        "updated_at": "2018-04-25T20:43:10Z",
    }
    rendered = Placeholders(1_800_000_000, "e", "github").render(
        templating.Templater(body).template(body)
    )
    assert rendered["app"]["created_at"] == "2027-01-15T07:59:00Z"
    assert rendered["version"]["created_at"] == "0001-01-01T00:00:00Z"
    assert rendered["updated_at"] == "2027-01-15T08:00:00Z"
