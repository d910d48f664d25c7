"""Every built-in GitHub event through `hookcli fabricate --to` (in process, conftest's
run()) to a real aiohttp receiver on loopback: what arrives is accepted by gidgethub's
``Event.from_http`` (X-Hub-Signature-256 checked, event read from the headers), validates
against octokit's schema for its event and action, and the recorded capture verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookcli.events.builder import list_events
from tests import official
from tests.conftest import run
from tests.receiver import Receiver
from tests.unit.events.test_github_events import schema_name, validator

SECRET = "gh-round-trip-secret"


def invoke(store: Path, *args: str) -> tuple[int, str]:
    """The exit code and what the command printed, stdout then stderr."""
    result = run(store, *args)
    return result.returncode, (result.stdout + result.stderr).decode()


@pytest.mark.parametrize("event", list_events("github"))
def test_fabricated_github_event_arrives_signed_and_valid(
    store: Path, receiver: Receiver, event: str
) -> None:
    code, out = invoke(
        store, "fabricate", "github", event, "--secret", SECRET, "--to", receiver.url + "/gh"
    )
    assert code == 0, out
    seen = receiver.wait(1)[-1]
    assert official.accepts("github", seen.headers, seen.body, SECRET) is True
    assert official.accepts("github", seen.headers, seen.body, SECRET + "x") is False
    body = json.loads(seen.body)
    kind = seen.header("X-GitHub-Event") or ""
    errors = list(validator(schema_name(kind, body.get("action"))).iter_errors(body))
    assert errors == [], [e.message[:200] for e in errors[:3]]
    code, out = invoke(store, "verify", "last", "--secret", SECRET)
    assert code == 0 and "signature valid" in out, out
    code, out = invoke(store, "verify", "last", "--secret", "not-the-secret")
    assert code == 1, out


def test_unknown_github_event_is_a_usage_error_and_sends_nothing(
    store: Path, receiver: Receiver
) -> None:
    code, out = invoke(
        store, "fabricate", "github", "pull_requests", "--secret", SECRET, "--to", receiver.url
    )
    assert code == 2 and "error: unknown github event 'pull_requests'" in out
    assert receiver.seen == []
