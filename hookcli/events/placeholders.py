"""``{{...}}`` placeholders in templates, given fresh values on every build.

================  ===============================================================
``{{now}}``       Unix seconds of the build (a JSON number when it is the whole
                  string); ``{{now:+86400}}`` adds an offset in seconds
``{{now_ms}}``    Unix milliseconds (number when it is the whole string)
``{{iso_now}}``   ISO 8601 UTC time of the build, ``2026-01-31T12:00:00Z``;
                  ``{{iso_now:+86400}}`` adds an offset in seconds
``{{uuid}}``      a random UUID4
``{{evt_id}}``    a Stripe-style event id, ``evt_`` + 24 alphanumerics
``{{msg_id}}``    a Standard Webhooks message id, ``msg_`` + 27 alphanumerics
``{{random_id}}`` 24 random alphanumerics (use after a prefix: ``pi_{{random_id:pi}}``)
``{{random_int}}`` a random 10-digit number (number when it is the whole string)
``{{hex}}``       32 random lowercase hex digits (Twilio SIDs: ``SM{{hex}}``)
``{{sha}}``       40 random lowercase hex digits (git commit ids)
``{{snowflake}}`` a Discord snowflake id of the build's time, a decimal string < 2**64
``{{event}}``     the event name asked for
``{{provider}}``  the provider name
================  ===============================================================

``{{kind:key}}`` gives a value of that kind named KEY: the same KEY gives the same value
everywhere in one build (so ids can be referred to twice), different keys differ.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from hookcli.errors import UsageError
from hookcli.signing.standard import new_msg_id

_PATTERN = re.compile(r"\{\{\s*([a-z_]+)(?::([^}\s]*))?\s*\}\}")
_ALNUM = string.ascii_letters + string.digits
_NUMERIC = ("now", "now_ms", "random_int")
KINDS = (
    "now",
    "now_ms",
    "iso_now",
    "uuid",
    "evt_id",
    "msg_id",
    "random_id",
    "random_int",
    "hex",
    "sha",
    "snowflake",
    "event",
    "provider",
)


def _alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


class Placeholders:
    """Values for one build: fixed per (kind, key), fresh for every new instance."""

    def __init__(self, now: int, event: str, provider: str, source: str = "template") -> None:
        self.now = now
        self.event = event
        self.provider = provider
        self.source = source
        self._values: dict[tuple[str, str], str | int] = {}

    def _make(self, kind: str, key: str) -> str | int:
        if kind == "now":
            try:
                return self.now + (int(key) if key else 0)
            except ValueError:
                raise UsageError(
                    f"{self.source}: bad offset in {{{{now:{key}}}}}", "use e.g. {{now:+86400}}"
                ) from None
        if kind == "now_ms":
            return self.now * 1000
        if kind == "iso_now":  # {{iso_now:+86400}}: a day later; any other key: now
            offset = int(key) if re.fullmatch(r"[+-]\d+", key) else 0
            moment = datetime.fromtimestamp(self.now + offset, UTC)
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if kind == "uuid":
            return str(uuid.uuid4())
        if kind == "evt_id":
            return "evt_" + _alnum(24)
        if kind == "msg_id":
            return new_msg_id()
        if kind == "random_id":
            return _alnum(24)
        if kind == "random_int":
            return secrets.randbelow(9 * 10**9) + 10**9
        if kind == "hex":
            return secrets.token_hex(16)
        if kind == "sha":
            return secrets.token_hex(20)
        if kind == "snowflake":  # ms since Discord's epoch (2015), then 22 random bits
            since = max(0, self.now * 1000 - 1_420_070_400_000)
            return str((since << 22) | secrets.randbits(22))
        if kind == "event":
            return self.event
        if kind == "provider":
            return self.provider
        raise UsageError(
            f"{self.source}: unknown placeholder {{{{{kind}}}}}", f"known: {', '.join(KINDS)}"
        )

    def value(self, kind: str, key: str = "") -> str | int:
        if (kind, key) not in self._values:
            self._values[(kind, key)] = self._make(kind, key)
        return self._values[(kind, key)]

    def render_text(self, text: str) -> str | int:
        whole = _PATTERN.fullmatch(text)
        if whole and whole.group(1) in _NUMERIC:
            return self.value(whole.group(1), whole.group(2) or "")
        return _PATTERN.sub(lambda m: str(self.value(m.group(1), m.group(2) or "")), text)

    def render(self, obj: Any) -> Any:
        """OBJ with every placeholder in its strings (not its keys) replaced."""
        if isinstance(obj, str):
            return self.render_text(obj)
        if isinstance(obj, list):
            return [self.render(v) for v in obj]
        if isinstance(obj, dict):
            return {k: self.render(v) for k, v in obj.items()}
        return obj
