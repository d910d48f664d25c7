"""Turn one concrete GitHub webhook body into a hookcli template body with placeholders.

Used by ``gen_github_events.py`` only. What changes on every fabricated event:

- the ``id`` of every object that is not an account (accounts have a ``login`` and keep
  theirs: the same people send every event), everywhere that number appears: in
  ``..._id`` fields and inside URLs (``/check-runs/<id>``, ``#issuecomment-<id>``), so
  related objects stay related (``workflow_job.run_id`` is the run's ``id``);
- the ``node_id`` of those objects (GitHub's opaque global ids, in the current format
  ``<TYPE>_kwDO...``);
- every commit sha (40 hex digits), the same sha giving the same new sha everywhere
  (``push.after`` is ``head_commit.id``), except the all-zero sha of a created or deleted ref;
- every time: the latest time in the example becomes the time of the build and every other
  one keeps its distance to it (a repository created years before the event still was).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

SHA = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")
ZERO_SHA = "0" * 40
#: a time as GitHub writes one (some old app objects write "2018-04-25 20:42:10", no zone:
#: UTC; they become RFC 3339 times like the rest); "0001-01-01T00:00:00Z", the zero time
#: of a package version that has none, is kept as it is
ISO = re.compile(
    r"(?!0001-)\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
)
#: times that are not in the past of the event (a milestone's due date)
FUTURE_KEYS = frozenset({"due_on", "expires_at", "effective_date", "next_billing_date"})
EPOCH_KEYS = frozenset({"created_at", "updated_at", "pushed_at"})
MIN_ID = 1000  # smaller numbers are counts and issue numbers, not ids
#: GitHub's node id prefixes for the object types of the legacy base64 ids in the examples
NODE_PREFIX = {
    "App": "A",
    "Bot": "BOT",
    "CheckRun": "CR",
    "CheckSuite": "CS",
    "Commit": "C",
    "CommitComment": "CC",
    "Deployment": "DE",
    "DeploymentStatus": "DES",
    "Discussion": "D",
    "DiscussionCategory": "DIC",
    "DiscussionComment": "DC",
    "Hook": "HK",
    "Integration": "A",
    "Issue": "I",
    "IssueComment": "IC",
    "Label": "LA",
    "MarketplaceListing": "MPL",
    "Milestone": "MI",
    "Organization": "O",
    "Package": "P",
    "PackageVersion": "PV",
    "Project": "PRO",
    "ProjectCard": "PRC",
    "ProjectColumn": "PC",
    "ProjectV2Item": "PVTI",
    "PublicKey": "PK",
    "PullRequest": "PR",
    "PullRequestReview": "PRR",
    "PullRequestReviewComment": "PRRC",
    "PullRequestReviewThread": "PRRT",
    "Release": "RE",
    "ReleaseAsset": "RA",
    "Repository": "R",
    "RepositoryVulnerabilityAlert": "RVA",
    "SecurityAdvisory": "GSA",
    "SponsorsListing": "SL",
    "SponsorsTier": "ST",
    "Sponsorship": "SS",
    "StatusContext": "SC",
    "Team": "T",
    "User": "U",
    "WorkflowJob": "CR",
    "WorkflowRun": "WFR",
}


def parse_time(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def latest_time(body: Any) -> int | None:
    """The time of the event: the latest past time anywhere in BODY; in a body with only
    times to come (a Marketplace plan change), the first of them; None: no time at all."""
    past: list[int] = []
    future: list[int] = []

    def walk(obj: Any, key: str) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, k)
        elif isinstance(obj, list):
            for v in obj:
                walk(v, key)
        else:
            found = future if key in FUTURE_KEYS else past
            if isinstance(obj, str) and ISO.fullmatch(obj):
                found.append(parse_time(obj))
            elif isinstance(obj, int) and key in EPOCH_KEYS and obj > 10**9:
                found.append(obj)

    walk(body, "")
    return max(past) if past else min(future) if future else None


def _fresh_ids(body: Any) -> tuple[set[int], set[int]]:
    """(ids to renew, ids of accounts to keep)."""
    fresh: set[int] = set()
    accounts: set[int] = set()

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            oid = obj.get("id")
            if isinstance(oid, int) and not isinstance(oid, bool) and oid >= MIN_ID:
                (accounts if "login" in obj else fresh).add(oid)
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)

    walk(body)
    return fresh - accounts, accounts


def _node_prefix(node_id: str) -> str | None:
    if "_" in node_id and not node_id.startswith("MD"):
        return node_id.split("_", 1)[0]
    try:
        decoded = base64.b64decode(node_id + "=" * (-len(node_id) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind = re.sub(r"^\d+:|\d+$", "", decoded)
    return NODE_PREFIX.get(kind)


class Templater:
    def __init__(self, body: dict[str, Any]) -> None:
        self.now = latest_time(body) or 0
        self.fresh, self.accounts = _fresh_ids(body)
        self._id_text = (
            re.compile(
                r"(?<![0-9A-Za-z])("
                + "|".join(str(i) for i in sorted(self.fresh, reverse=True) if i >= 10_000)
                + r")(?![0-9A-Za-z])"
            )
            if any(i >= 10_000 for i in self.fresh)
            else None
        )

    def template(self, body: Any) -> Any:
        return self._walk(body, "", None)

    def _walk(self, obj: Any, key: str, owner: dict[str, Any] | None) -> Any:
        if isinstance(obj, dict):
            return {k: self._walk(v, k, obj) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._walk(v, key, owner) for v in obj]
        if isinstance(obj, bool) or obj is None or isinstance(obj, float):
            return obj
        if isinstance(obj, int):
            return self._int(obj, key)
        if key == "node_id" and owner is not None:
            return self._node_id(obj, owner)
        return self._text(obj, key)

    def id_value(self, value: int) -> int | str:
        """What the id VALUE becomes: a placeholder, or itself when it is kept."""
        return self._int(value, "id")

    def _int(self, value: int, key: str) -> int | str:
        if (key == "id" or key.endswith("_id")) and value in self.fresh:
            return f"{{{{random_int:{value}}}}}"
        if key in EPOCH_KEYS and value > 10**9:
            return f"{{{{now:{_offset(value - self.now)}}}}}" if value != self.now else "{{now}}"
        return value

    def _node_id(self, value: str, owner: dict[str, Any]) -> str:
        oid = owner.get("id")
        if "login" in owner or not isinstance(oid, int) or oid not in self.fresh:
            return value
        prefix = _node_prefix(value)
        return f"{prefix}_kwDO{{{{random_id:{oid}}}}}" if prefix else value

    def _text(self, value: str, key: str) -> str:
        if ISO.fullmatch(value):
            delta = parse_time(value) - self.now
            return f"{{{{iso_now:{_offset(delta)}}}}}" if delta else "{{iso_now}}"
        out = SHA.sub(lambda m: m[0] if m[0] == ZERO_SHA else f"{{{{sha:{m[0][:12]}}}}}", value)
        if self._id_text is not None and not value.isdigit():  # "123" must stay a string
            out = self._id_text.sub(lambda m: f"{{{{random_int:{m[1]}}}}}", out)
        return out


def _offset(delta: int) -> str:
    return f"+{delta}" if delta > 0 else str(delta)
