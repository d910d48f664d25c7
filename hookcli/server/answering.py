"""What the catch server answers a request when it is not its usual answer: a provider's
handshake (hookcli/handshakes) or a scripted failure (failures.py). Decided once the
capture is built and before it is stored, so that the record says what was answered
(`response`: `status`, plus `handshake` and `note`, or `failed`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from hookcli.handshakes import names
from hookcli.handshakes.answer import JSON, answer
from hookcli.handshakes.recognise import recognise
from hookcli.model.capture import Capture
from hookcli.server.failures import Failures


class Planned(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None  # None: a failure's body, made once the capture has its id


class Answering:
    def __init__(
        self,
        handshakes: bool = True,
        secrets: Mapping[str, str] | None = None,
        verify_token: str | None = None,
        failures: Failures | None = None,
    ):
        self.handshakes = handshakes
        self.secrets = dict(secrets or {})
        self.verify_token = verify_token
        self.failures = failures if failures else None

    def __bool__(self) -> bool:
        return self.handshakes or self.failures is not None

    def plan(self, c: Capture) -> Planned | None:
        """C's answer when it is not the usual one; fills C's `response` record."""
        if self.handshakes:
            found = recognise(c)
            if found is not None:
                _label(c, found.kind)
                handled = answer(found, c, self.secrets, self.verify_token)
                c.response["handshake"] = handled.outcome
                if handled.note:
                    c.response["note"] = handled.note
                if handled.reply is None:
                    return None
                c.response["status"] = handled.reply.status
                return Planned(*handled.reply)
        failures = self.failures
        if failures is not None:
            why = failures.decide(c)
            if why is not None:
                c.response = {"status": failures.status, "failed": why}
                return Planned(failures.status, [JSON], None)
        return None

    @staticmethod
    def body(c: Capture, planned: Planned) -> bytes:
        if planned.body is not None:
            return planned.body
        failed = str(c.response.get("failed", ""))
        return b'{"ok": false, "id": %d, "failed": "%s"}' % (c.id, failed.encode())


def _label(c: Capture, kind: names.Kind) -> None:
    """Name the handshake in C's provider and event type, as `ls` shows them: under the
    provider when the signing registry knows it, else in the event type alone."""
    if c.provider not in (None, kind.provider):
        return
    from hookcli.signing import registry

    if kind.provider in registry.names():
        c.provider = kind.provider
        c.event_type = kind.event  # the handshake, not the subscription it is for
    else:
        c.event_type = kind.label
