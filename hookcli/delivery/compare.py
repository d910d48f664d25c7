"""`replay --compare`: send each capture to two targets (or to one, against the answer
recorded before) and compare the answers.

Planning reuses replay's (the URL rule, -H, --set, re-signing), once per target, so each
target gets its own signature. Both attempts are recorded on the capture, tagged with one
pair id (Attempt.compare). Results come out in the captures' order whatever the
concurrency. Nothing here knows the terminal."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from hookcli.delivery import replay
from hookcli.delivery.prepare import check_url, public_url
from hookcli.errors import UsageError
from hookcli.model import answers
from hookcli.model.capture import Attempt, Capture
from hookcli.model.diff import DiffEntry

RECORDED = "recorded"
State = Literal["same", "differs", "failed"]


def recorded_answer(c: Capture) -> Attempt | None:
    """The answer to compare with under `--compare recorded`: the last answered forward
    (live traffic sent to the app), else the last answered replay that was not itself the
    new side of a comparison; None when the capture has no answer on record."""
    for attempts in (c.forwards, c.replays):
        kept = [
            a for a in attempts if a.status is not None and not (a.compare or "").endswith(" new")
        ]
        if kept:
            return max(kept, key=lambda a: a.at)
    return None


@dataclass
class Pair:
    """One capture's comparison: side A (a delivery, or the recorded answer) and side B."""

    capture: Capture
    pair_id: str
    b: replay.Delivery
    a: replay.Delivery | None = None  # None under --compare recorded
    recorded: Attempt | None = None
    entries: list[DiffEntry] = field(default_factory=list)
    error: str | None = None  # why there is nothing to compare

    @property
    def a_attempt(self) -> Attempt | None:
        if self.a is not None:
            return self.a.attempts[-1] if self.a.attempts else None
        return self.recorded

    @property
    def b_attempt(self) -> Attempt | None:
        return self.b.attempts[-1] if self.b.attempts else None

    @property
    def state(self) -> State:
        if self.error is not None:
            return "failed"
        return "differs" if self.entries else "same"

    @property
    def cut(self) -> bool:
        """Only the kept start of a body was compared."""
        return any(
            answers.Answer.of(x).cut for x in (self.a_attempt, self.b_attempt) if x is not None
        )

    def finish(self, ignore: Sequence[str], ignore_headers: Sequence[str]) -> None:
        """Compare the two answers, once both are in."""
        a, b = self.a_attempt, self.b_attempt
        if a is None:
            self.error = "no answer on record to compare with (forward or replay it first)"
        elif a.status is None:
            self.error = a.error or f"no answer from {a.target}"
        elif b is None or b.status is None:
            self.error = (
                b.error if b else None
            ) or f"no answer from {public_url(self.b.outgoing.url)}"
        if self.error is not None:
            return
        assert a is not None and b is not None
        self.entries = answers.compare(
            answers.Answer.of(a), answers.Answer.of(b), ignore, ignore_headers
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.capture.id,
            "provider": self.capture.provider,
            "event_type": self.capture.event_type,
            "pair": self.pair_id,
            "state": self.state,
            "error": self.error,
            "cut": self.cut,
            "a": _answer_record(self.a_attempt, recorded=self.a is None),
            "b": _answer_record(self.b_attempt),
            "differences": [e.to_json() for e in self.entries],
        }


def _answer_record(a: Attempt | None, recorded: bool = False) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "target": a.target,
        "recorded": recorded,
        "at": a.at,
        "status": a.status,
        "error": a.error,
        "headers": [[k, v] for k, v in a.response_headers],
        "body_excerpt": a.response_excerpt,
        "response_size": a.response_size,
    }


@dataclass
class ComparePlan:
    pairs: list[Pair]
    sends: replay.Plan  # every delivery, both sides of a pair next to each other
    # send_all keeps each delivery's attempts up to date as they complete
    notes: list[str]


def check_options(opts: replay.ReplayOptions) -> None:
    """The replay options that make no sense for a comparison."""
    for flag, bad in (
        ("--repeat", opts.repeat > 1),
        ("--duplicate", opts.duplicate > 1),
        ("--shuffle/--seed", opts.shuffle),
    ):
        if bad:
            raise UsageError(f"{flag} cannot be used with --compare: each capture is sent once")


def plan(
    captures: Sequence[Capture],
    opts: replay.ReplayOptions,
    against: str,
    secret_for: replay.SecretLookup,
    hmac_options: Mapping[str, Any] | None = None,
    now: int | None = None,
) -> ComparePlan:
    """What to send for each capture: to --to (or its last target) and to AGAINST (a URL),
    or, when AGAINST is `recorded`, only to --to, compared with the recorded answer."""
    check_options(opts)
    new = replay.plan(captures, opts, secret_for, hmac_options, now)
    notes = list(new.notes)
    pairs: list[Pair] = []
    sends: list[replay.Delivery] = []
    if against == RECORDED:
        for cap, d in zip(captures, new.deliveries, strict=True):
            pair = Pair(cap, secrets.token_hex(4), d, recorded=recorded_answer(cap))
            d.compare = f"{pair.pair_id} new"
            pairs.append(pair)
            sends.append(d)
        return ComparePlan(pairs, replay.Plan(sends), notes)
    other = replay.plan(
        captures, replace(opts, to=check_url(against)), secret_for, hmac_options, now
    )
    notes += [n for n in other.notes if n not in notes]
    for cap, da, db in zip(captures, new.deliveries, other.deliveries, strict=True):
        pair = Pair(cap, secrets.token_hex(4), db, a=da)
        da.compare, db.compare = f"{pair.pair_id} a", f"{pair.pair_id} b"
        pairs.append(pair)
        sends += [da, db]
    return ComparePlan(pairs, replay.Plan(sends), notes)


class InOrder:
    """Hands out finished pairs in the captures' order as their attempts come in: the
    output of a concurrent run reads as a sequential one."""

    def __init__(self, the_plan: ComparePlan, ignore: Sequence[str], ignore_headers: Sequence[str]):
        self.pairs = the_plan.pairs
        self.ignore, self.ignore_headers = ignore, ignore_headers
        self.next = 0
        self._owner: dict[int, Pair] = {}
        self._open: dict[int, int] = {}
        for p in self.pairs:
            for d in (p.a, p.b):
                if d is not None:
                    self._owner[id(d)] = p
            self._open[id(p)] = 2 if p.a is not None else 1

    def attempt(self, d: replay.Delivery, a: Attempt, wait: float | None) -> Iterator[Pair]:
        """Note D's attempt A (WAIT: None when D is done); yield the pairs now ready."""
        if wait is not None:
            return
        pair = self._owner[id(d)]
        self._open[id(pair)] -= 1
        if self._open[id(pair)] == 0:
            pair.finish(self.ignore, self.ignore_headers)
        yield from self.ready()

    def ready(self) -> Iterator[Pair]:
        while self.next < len(self.pairs) and self._open[id(self.pairs[self.next])] == 0:
            self.next += 1
            yield self.pairs[self.next - 1]

    def rest(self) -> Iterator[Pair]:
        """After the run: the pairs not handed out yet (a side that never finished)."""
        for p in self.pairs[self.next :]:
            if self._open[id(p)]:
                p.finish(self.ignore, self.ignore_headers)
            yield p
        self.next = len(self.pairs)


def counts(pairs: Sequence[Pair]) -> dict[State, int]:
    out: dict[State, int] = {"same": 0, "differs": 0, "failed": 0}
    for p in pairs:
        out[p.state] += 1
    return out
