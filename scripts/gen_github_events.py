"""Generate hookcli's GitHub event templates from octokit's published webhook examples.

    python scripts/gen_github_events.py                 # fetch VERSION with `npm pack`
    python scripts/gen_github_events.py --version 7.7.0 # a newer release
    python scripts/gen_github_events.py --from DIR      # already unpacked packages

Sources (MIT, Copyright (c) 2018 Gregor Martynus; the notice is written next to what is
made from them): the npm packages ``@octokit/webhooks-examples`` (real deliveries, the
``api.github.com`` set) and ``@octokit/webhooks-schemas`` (``schema.json``, a JSON schema
per event and action). Needs ``npm`` (unless ``--from``) and ``jsonschema``.

For every event type in the examples and every action octokit's schema defines for it,
one template ``<event>.<action>.json`` (``<event>.json`` for events without actions): an
example of that action when there is one, else another example of the event moved to the
action; either way repaired until it validates against the schema of that event and action
(see ``github_schema_fix.py``), then given placeholders (see ``github_templating.py``).
``pull_request.closed`` is a merged pull request (the common case to test; the examples
only have unmerged ones). ``_aliases.json`` maps each bare event type to its usual action
(``pull_request`` -> ``pull_request.opened``). The schema is vendored for the tests.
Every GitHub template in the folder is replaced: a re-run is the whole update.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import mit_license
from github_schema_fix import Fixer
from github_templating import Templater, latest_time

VERSION = "7.6.1"
FALLBACK_TIME = 1_557_933_600  # for an example with no time in it: 2019-05-15, as the others
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "hookcli" / "events" / "templates" / "github"
VENDOR = ROOT / "tests" / "unit" / "events" / "octokit"
PACKAGES = ("webhooks-schemas", "webhooks-examples")
#: the action fabricated for a bare event type, first match
USUAL_ACTIONS = (
    "opened",
    "published",
    "completed",
    "created",
    "submitted",
    "requested",
    "added",
    "started",
    "checks_requested",
    "resolved",
    "revoked",
    "blocked",
    "member_added",
    "purchased",
)
#: events only a GitHub App receives (its webhook, not a repository's)
APP_EVENTS = frozenset(
    {
        "installation",
        "installation_repositories",
        "installation_target",
        "github_app_authorization",
        "marketplace_purchase",
        "security_advisory",
    }
)
LICENSE = mit_license("2018 Gregor Martynus")


def fetch(version: str, into: Path) -> Path:
    """`npm pack` both packages of VERSION into INTO, unpacked as INTO/<package>/package."""
    for name in PACKAGES:
        out = subprocess.run(
            ["npm", "pack", f"@octokit/{name}@{version}", "--pack-destination", str(into)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        with tarfile.open(into / out) as tar:
            tar.extractall(into / name, filter="data")
    return into


def load(source: Path) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    schemas = source / "webhooks-schemas" / "package"
    examples = source / "webhooks-examples" / "package"
    version = json.loads((examples / "package.json").read_text())["version"]
    schema = json.loads((schemas / "schema.json").read_text())
    events = json.loads((examples / "api.github.com" / "index.json").read_text())
    return schema, events, version


def actions_of(event: str, schema: dict[str, Any]) -> list[str | None]:
    prefix = event + "$"
    names = sorted(k[len(prefix) :] for k in schema["definitions"] if k.startswith(prefix))
    acts: list[str | None] = [a for a in names if a != "event"]
    return acts or [None]


def usual_action(actions: list[str | None], examples: list[dict[str, Any]]) -> str | None:
    for action in USUAL_ACTIONS:
        if action in actions:
            return action
    return examples[0].get("action") if examples else actions[0]


def pick_example(
    fixer: Fixer, event: str, action: str | None, examples: list[dict[str, Any]], name: str
) -> tuple[int, dict[str, Any]]:
    """The example to start from: of ACTION if any, closest to valid, a repository's own
    delivery (no ``installation``) before an app's."""
    own = [i for i, x in enumerate(examples) if x.get("action") == action]
    pool = own or list(range(len(examples)))

    def score(i: int) -> tuple[int, int, bool, int]:
        body = with_action(examples[i], action)
        nulls = sum(v is None for v in body.values())  # a push with no head_commit...
        return (len(fixer.errors(body, name)), nulls, "installation" in body, i)

    best = min(pool, key=score)
    return best, with_action(examples[best], action)


def with_action(body: dict[str, Any], action: str | None) -> dict[str, Any]:
    out = copy.deepcopy(body)
    if action is not None:
        out["action"] = action
    return out


def merged(body: dict[str, Any]) -> dict[str, Any]:
    """A closed pull request that was merged, as GitHub sends it when a PR is merged."""
    pr = body["pull_request"]
    pr.update(
        merged=True,
        merged_at=pr["closed_at"],
        merged_by=copy.deepcopy(body["sender"]),
        mergeable=None,
        mergeable_state="unknown",
    )
    return body


def ordinary_push(body: dict[str, Any]) -> dict[str, Any]:
    """A push of commits onto a branch that already existed (the examples with commits
    create the branch)."""
    before = hashlib.sha1(body["after"].encode()).hexdigest()
    repo_url = body["repository"]["html_url"]
    body.update(
        created=False,
        before=before,
        compare=f"{repo_url}/compare/{before}...{body['after']}",
    )
    return body


NOW = "@now"  # in STATES: the time of the event
_ALERT_OPEN = {
    "alert.state": "open",
    "alert.fixed_at": None,
    "alert.dismissed_at": None,
    "alert.dismissed_by": None,
    "alert.dismissed_reason": None,
    "alert.dismissed_comment": None,
}
#: what an action sets, where the example it was moved from says otherwise (the schema
#: does not require it: an action's example of another action keeps that action's state)
STATES: dict[tuple[str, str], dict[str, Any]] = {
    ("issues", "closed"): {"issue.state": "closed", "issue.closed_at": NOW},
    ("issues", "reopened"): {"issue.state": "open", "issue.closed_at": None},
    ("project", "closed"): {"project.state": "closed"},
    ("project", "reopened"): {"project.state": "open"},
    ("dependabot_alert", "dismissed"): {"alert.state": "dismissed", "alert.fixed_at": None},
    ("dependabot_alert", "reintroduced"): _ALERT_OPEN,
    ("dependabot_alert", "reopened"): _ALERT_OPEN,
    ("pull_request", "dequeued"): {"reason": "MANUAL"},
    ("workflow_run", "in_progress"): {
        "workflow_run.status": "in_progress",
        "workflow_run.conclusion": None,
    },
}


def set_state(body: dict[str, Any], changes: dict[str, Any], now: str) -> None:
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = body
        for part in parents:
            target = target[part]
        target[last] = now if value == NOW else value


def shaped(event: str, action: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """BODY as a repository's webhook sends it (an app's ``installation`` only where only
    an app gets the event), in the common case of its event, in the state its action
    leaves it."""
    if event not in APP_EVENTS:
        body.pop("installation", None)  # put back by the repair where the schema needs it
    if action is not None:
        set_state(body, STATES.get((event, action), {}), iso(latest_time(body) or FALLBACK_TIME))
    if event == "pull_request" and action == "closed":
        return merged(body)
    if event == "pull_request" and action == "auto_merge_enabled":
        pr = body["pull_request"]
        pr["auto_merge"] = {
            "enabled_by": copy.deepcopy(body["sender"]),
            "merge_method": "squash",
            "commit_title": f"{pr['title']} (#{pr['number']})",
            "commit_message": "",
        }
    if event == "push" and body.get("head_commit") and body.get("created"):
        return ordinary_push(body)
    return body


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def headers(event: str, body: dict[str, Any], templater: Templater) -> dict[str, str]:
    """The delivery's headers; BODY is the concrete one: its ids are given the placeholders
    the templater gives them in the body (the target id is the repository's id)."""

    def _id_ref(value: Any) -> str:
        return str(templater.id_value(value))

    target, target_id = "repository", "{{random_int:hook_target}}"
    if event == "marketplace_purchase":
        target = "marketplace::listing"
    elif event == "sponsorship":
        target = "sponsors_listing"
    elif event in APP_EVENTS or "installation" in body:
        target = "integration"
        app_id = body.get("installation", {}).get("app_id")
        target_id = _id_ref(app_id) if app_id else "{{random_int:app}}"
    elif isinstance(body.get("repository"), dict):
        target_id = _id_ref(body["repository"]["id"])
    elif isinstance(body.get("organization"), dict):
        target, target_id = "organization", _id_ref(body["organization"]["id"])
    hook = _id_ref(body["hook_id"]) if "hook_id" in body else "{{random_int:hook}}"
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "Accept": "*/*",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "{{uuid}}",
        "X-GitHub-Hook-ID": hook,
        "X-GitHub-Hook-Installation-Target-Type": target,
        "X-GitHub-Hook-Installation-Target-ID": target_id,
    }


def make(fixer: Fixer, event: str, spec: dict[str, Any], version: str) -> dict[str, Any]:
    """Every template of EVENT: {file stem: template}."""
    out: dict[str, Any] = {}
    examples = spec["examples"]
    for action in actions_of(event, fixer_schema(fixer)):
        name = fixer.definition(event, action)
        index, body = pick_example(fixer, event, action, examples, name)
        own = examples[index].get("action") == action
        body = shaped(event, action, body)
        body = fixer.repair(body, name, event, iso(latest_time(body) or FALLBACK_TIME))
        if fixer.errors(body, name):
            raise RuntimeError(f"{event} {action}: not valid after repair")
        templater = Templater(body)
        body_template = templater.template(body)
        stem = f"{event}.{action}" if action else event
        how = "" if own else f", moved to action {action}"
        out[stem] = {
            "_source": (
                f"@octokit/webhooks-examples {version} api.github.com {event} "
                f"example {index}{how}; valid against @octokit/webhooks-schemas "
                f"{version} definition {name} (MIT, see LICENSE-octokit-webhooks)"
            ),
            "method": "POST",
            "path": "/webhooks/github",
            "content_type": "application/json",
            "headers": headers(event, body, templater),
            "body": body_template,
        }
    return out


def fixer_schema(fixer: Fixer) -> dict[str, Any]:
    return {"definitions": fixer.definitions}


def write(templates: dict[str, Any], aliases: dict[str, str], schema_dir: Path) -> None:
    for old in TEMPLATES.glob("*.json"):
        old.unlink()
    for stem, template in sorted(templates.items()):
        text = json.dumps(template, indent=1, ensure_ascii=False) + "\n"
        (TEMPLATES / f"{stem}.json").write_text(text, encoding="utf-8")
    (TEMPLATES / "_aliases.json").write_text(json.dumps(aliases, indent=1, sort_keys=True) + "\n")
    (TEMPLATES / "LICENSE-octokit-webhooks").write_text(LICENSE)
    VENDOR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema_dir / "schema.json", VENDOR / "schema.json")
    (VENDOR / "LICENSE").write_text(LICENSE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=VERSION, help="octokit/webhooks release")
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="a folder holding webhooks-schemas/package and webhooks-examples/package",
    )
    args = parser.parse_args(argv)
    try:
        return generate(args.version, args.source)
    except (OSError, ValueError, KeyError, RuntimeError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else exc
        print(f"error: {detail}", file=sys.stderr)
        return 1


def generate(release: str, given: Path | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        source = given or fetch(release, Path(tmp))
        schema, events, version = load(source)
        fixer = Fixer(schema, {e["name"]: e["examples"] for e in events})
        templates: dict[str, Any] = {}
        aliases: dict[str, str] = {}
        for spec in events:
            made = make(fixer, spec["name"], spec, version)
            templates.update(made)
            action = usual_action(actions_of(spec["name"], schema), spec["examples"])
            if spec["name"] not in made and action is not None:
                aliases[spec["name"]] = f"{spec['name']}.{action}"
        write(templates, aliases, source / "webhooks-schemas" / "package")
        (VENDOR / "VERSION").write_text(version + "\n")
    print(f"{len(templates)} templates of {len(events)} event types, octokit/webhooks {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
