"""GitHub's built-in events against octokit's webhook schema (vendored in ``octokit/``,
@octokit/webhooks-schemas, MIT): every template, rendered as ``fabricate`` renders it,
validates against the schema of its event and action (types, required fields, formats);
ids, shas and times are fresh on every build and agree within one; bare event types name
their usual action."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from hookcli.errors import UsageError
from hookcli.events import catalog
from hookcli.events.builder import FabricatedRequest, build, list_events
from hookcli.events.placeholders import Placeholders
from hookcli.model import headers as hdr
from tests import official

SCHEMA = Path(__file__).parent / "octokit" / "schema.json"
EVENTS = list_events("github")
NOW = 1_800_000_000
SECRET = "gh-events-secret"


@cache
def definitions() -> dict[str, Any]:
    return dict(json.loads(SCHEMA.read_text())["definitions"])


def schema_name(event: str, action: str | None) -> str:
    """octokit's definition for EVENT and ACTION: ``event$action``, or ``event$event``
    for an event without actions."""
    names = [f"{event}${action}", f"{event}$event"]
    return next(n for n in names if n in definitions())


#: the formats octokit's schema uses, checked (jsonschema[format-nongpl] brings the
#: checkers for uri and uri-template; without them jsonschema passes any value)
FORMATS = {"date-time", "uri", "uri-template", "email"}


@cache
def validator(name: str) -> Draft7Validator:
    assert set(Draft7Validator.FORMAT_CHECKER.checkers) >= FORMATS
    schema = {"$ref": f"#/definitions/{name}", "definitions": definitions()}
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def fab(event: str, **kw: Any) -> tuple[FabricatedRequest, dict[str, Any]]:
    req = build("github", event, secret=SECRET, now=kw.pop("now", NOW), **kw)
    return req, json.loads(req.body)


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_every_event_type_of_octokits_examples_is_there() -> None:
    types = {name.split(".")[0] for name in EVENTS}
    assert len(types) >= 58
    for name in ("push", "pull_request", "issues", "workflow_run", "check_suite", "release"):
        assert name in types
    # every action octokit's schema defines for a type we have is fabricated
    for kind in types:
        actions = {d.split("$")[1] for d in definitions() if d.startswith(kind + "$")}
        actions.discard("event")
        ours = {n.split(".", 1)[1] for n in EVENTS if n.startswith(kind + ".")}
        assert actions == ours, kind


@pytest.mark.parametrize("event", EVENTS)
def test_body_validates_against_octokits_schema_for_its_event_and_action(event: str) -> None:
    req, body = fab(event)
    kind = hdr.get(req.headers, "X-GitHub-Event") or ""
    assert kind == event.split(".")[0]
    action = body.get("action")
    errors = sorted(validator(schema_name(kind, action)).iter_errors(body), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]
    # the type `ls` shows is the name the template is fabricated by (a dispatch's action
    # is whatever the sender chose)
    assert req.event_type == event or (kind == "repository_dispatch" and req.event == kind)
    assert b"{{" not in req.body and not any("{{" in v for _, v in req.headers)
    assert official.accepts("github", req.headers, req.body, SECRET) is True
    assert official.accepts("github", req.headers, req.body, "not-the-secret") is False


def test_bare_event_type_is_its_usual_action_and_is_not_listed() -> None:
    assert "pull_request" not in EVENTS and "pull_request.opened" in EVENTS
    req, body = fab("pull_request")
    assert req.event_type == "pull_request.opened" and body["action"] == "opened"
    assert req.event == "pull_request"
    assert fab("issues")[0].event_type == "issues.opened"
    assert fab("release")[0].event_type == "release.published"
    assert fab("workflow_run")[0].event_type == "workflow_run.completed"
    with pytest.raises(UsageError, match="unknown github event 'pull_requests'"):
        fab("pull_requests")


def test_a_user_template_wins_over_an_alias(tmp_path: Path) -> None:
    folder = tmp_path / "github"
    folder.mkdir()
    (folder / "pull_request.json").write_text(
        json.dumps({"headers": {"X-GitHub-Event": "pull_request"}, "body": {"action": "mine"}})
    )
    req, body = fab("pull_request", template_dirs=[tmp_path])
    assert body == {"action": "mine"} and req.event_type == "pull_request.mine"


def test_a_user_alias_file_adds_names_and_a_broken_one_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "github"
    folder.mkdir()
    aliases = folder / catalog.ALIASES
    aliases.write_text(json.dumps({"merged": "pull_request.closed"}))
    req, body = fab("merged", template_dirs=[tmp_path])
    assert req.event_type == "pull_request.closed" and body["pull_request"]["merged"] is True
    assert "merged" not in list_events("github", [tmp_path])
    aliases.write_text("{not json")
    with pytest.raises(UsageError, match=r"cannot read template aliases .*_aliases\.json"):
        fab("merged", template_dirs=[tmp_path])


def test_closing_actions_move_state_and_times_together() -> None:
    _, body = fab("pull_request.closed")
    pr = body["pull_request"]
    assert pr["state"] == "closed" and pr["merged"] is True
    assert pr["merged_at"] == pr["closed_at"] == iso(NOW) and pr["merged_by"]["login"]
    _, body = fab("pull_request.opened")
    pr = body["pull_request"]
    assert pr["state"] == "open" and pr["merged"] is False
    assert pr["closed_at"] is None and pr["merged_at"] is None
    _, body = fab("issues.closed")
    assert body["issue"]["state"] == "closed" and body["issue"]["closed_at"] == iso(NOW)
    _, body = fab("issues.reopened")
    assert body["issue"]["state"] == "open" and body["issue"]["closed_at"] is None
    _, body = fab("dependabot_alert.reopened")
    assert body["alert"]["state"] == "open" and body["alert"]["fixed_at"] is None
    _, body = fab("dependabot_alert.dismissed")
    assert body["alert"]["dismissed_at"] == iso(NOW) and body["alert"]["fixed_at"] is None
    _, body = fab("workflow_run.in_progress")
    assert body["workflow_run"]["status"] == "in_progress"
    assert body["workflow_run"]["conclusion"] is None
    _, body = fab("pull_request.auto_merge_enabled")
    assert body["pull_request"]["auto_merge"]["enabled_by"]["login"] == body["sender"]["login"]
    _, body = fab("marketplace_purchase.pending_change")  # its only times are to come
    assert body["effective_date"] == iso(NOW)
    _, body = fab("workflow_run.completed")
    assert body["workflow_run"]["status"] == "completed" and body["workflow_run"]["conclusion"]


def test_ids_shas_and_times_are_fresh_and_agree_within_one_event() -> None:
    req1, one = fab("pull_request.opened", now=NOW)
    _, two = fab("pull_request.opened", now=NOW + 60)
    pr1, pr2 = one["pull_request"], two["pull_request"]
    assert pr1["id"] != pr2["id"] and pr1["node_id"] != pr2["node_id"]
    assert pr1["head"]["sha"] != pr2["head"]["sha"]
    assert one["repository"]["id"] != two["repository"]["id"]
    # the same repository is the same everywhere in one event, and the hook's target
    assert pr1["base"]["repo"]["id"] == one["repository"]["id"]
    target = hdr.get(req1.headers, "X-GitHub-Hook-Installation-Target-ID")
    assert target == str(one["repository"]["id"])
    # the event happens at the build time; older times keep their distance to it
    assert pr1["updated_at"] == iso(NOW) and pr2["updated_at"] == iso(NOW + 60)
    assert one["repository"]["created_at"] < pr1["created_at"] <= pr1["updated_at"]
    # accounts are the same people in every event
    assert one["sender"]["id"] == two["sender"]["id"]


def test_push_is_a_push_of_a_commit_onto_an_existing_branch() -> None:
    req, body = fab("push")
    assert body["created"] is False and body["deleted"] is False
    assert body["before"] != "0" * 40 and body["after"] == body["head_commit"]["id"]
    assert body["commits"][-1]["id"] == body["after"]
    assert body["compare"].endswith(f"/compare/{body['before']}...{body['after']}")
    assert body["repository"]["pushed_at"] == NOW  # push events carry Unix seconds here
    assert hdr.get(req.headers, "X-GitHub-Hook-Installation-Target-Type") == "repository"


def test_related_objects_share_ids_inside_urls_too() -> None:
    _, body = fab("ping")
    hook = body["hook"]
    assert body["hook_id"] == hook["id"] and hook["url"].endswith(f"/hooks/{hook['id']}")
    _, body = fab("check_run.completed")
    run = body["check_run"]
    assert run["url"].endswith(f"/check-runs/{run['id']}")
    _, body = fab("issue_comment.created")
    comment = body["comment"]
    assert comment["html_url"].endswith(f"#issuecomment-{comment['id']}")


def test_app_events_come_from_an_integration() -> None:
    req, body = fab("installation.created")
    assert hdr.get(req.headers, "X-GitHub-Hook-Installation-Target-Type") == "integration"
    target = hdr.get(req.headers, "X-GitHub-Hook-Installation-Target-ID")
    assert target == str(body["installation"]["app_id"])
    req, body = fab("issues.opened")
    assert "installation" not in body  # a repository's webhook, not an app's


def test_iso_now_takes_an_offset() -> None:
    p = Placeholders(NOW, "e", "github")
    assert p.render("{{iso_now:-3600}}") == iso(NOW - 3600)
    assert p.render("{{iso_now:+60}}") == iso(NOW + 60)
    assert p.render("{{iso_now:name}}") == iso(NOW)  # a key that is not an offset names it


def test_templates_name_the_schema_version_the_tests_validate_against() -> None:
    version = (SCHEMA.parent / "VERSION").read_text().strip()
    assert (SCHEMA.parent / "LICENSE").read_text().startswith("The MIT License")
    folder = Path(catalog.__file__).parent / "templates" / "github"
    assert "Gregor Martynus" in (folder / "LICENSE-octokit-webhooks").read_text()
    for event in EVENTS:
        source = json.loads((folder / catalog.event_to_filename(event)).read_text())["_source"]
        assert f"@octokit/webhooks-schemas {version} definition " in source, event
