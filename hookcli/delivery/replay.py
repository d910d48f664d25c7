"""`replay`: plan what to send for each capture, then send it and record every attempt.

Planning is pure (captures + options -> deliveries): the URL rule, -H, --set, re-signing,
--repeat/--duplicate/--shuffle. Sending runs the deliveries with bounded concurrency and
retries, records each attempt on its capture in batches, and reports each attempt to the
caller, which renders it. Nothing here knows the terminal."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hookcli.delivery.prepare import (
    Outgoing,
    check_url,
    for_capture,
    hides_credentials,
    public_url,
)
from hookcli.errors import UsageError
from hookcli.model import jsonedit
from hookcli.model.capture import Attempt, Capture, now_iso
from hookcli.signing import registry
from hookcli.signing.base import Scheme

SecretLookup = Callable[[str], str | None]


@dataclass
class ReplayOptions:
    to: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    resign: bool = False
    secret: str | None = None
    provider: str | None = None
    sets: list[str] = field(default_factory=list)
    repeat: int = 1
    duplicate: int = 1
    backdate: int = 0
    shuffle: bool = False
    seed: int | None = None
    retries: int = 0
    timeout: float | None = 30.0
    concurrency: int = 1
    insecure: bool = False


@dataclass
class Delivery:
    """One send of a capture (with its retries). Duplicates share one Outgoing."""

    capture_id: int
    outgoing: Outgoing
    copy: int = 1  # which of --repeat
    duplicate: int = 1  # which of --duplicate
    signed: bool = False  # re-signed for this send
    attempts: list[Attempt] = field(default_factory=list)
    compare: str | None = None  # `replay --compare`: set on each attempt (Attempt.compare)

    @property
    def ok(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].ok

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.capture_id,
            "copy": self.copy,
            "duplicate": self.duplicate,
            "method": self.outgoing.method,
            "url": public_url(self.outgoing.url),
            "resigned": self.signed,
            "ok": self.ok,
            "attempts": [a.to_record() for a in self.attempts],
        }


@dataclass
class Plan:
    deliveries: list[Delivery]
    notes: list[str] = field(default_factory=list)  # said on stderr before sending
    seed: int | None = None


def target_base(capture: Capture, to: str | None) -> str:
    """--to, else the base URL of the capture's most recent forward or replay."""
    if to is not None:
        return check_url(to)
    sent = [a for a in (*capture.forwards, *capture.replays) if a.base]
    if not sent:
        raise UsageError(
            f"capture #{capture.id} has never been sent anywhere: give --to URL",
            "e.g. --to http://localhost:3000, whose path is joined with the captured one",
        )
    base = max(sent, key=lambda a: a.at).base or ""
    if hides_credentials(base):
        raise UsageError(
            f"capture #{capture.id} was last sent to {base}, whose credentials are not stored",
            "give the URL with them again: --to",
        )
    return base


def target_bases(capture: Capture, to: str | None) -> list[str]:
    """Where a replay goes: --to; else, for a capture last sent by its forwarding, every
    target that forwarding used (in the order it used them); else the base URL of its
    most recent replay. `--to original`: the URL an imported capture was first sent to."""
    if to == "original":
        if not capture.origin:
            raise UsageError(
                f"capture #{capture.id} has no original URL: only captures imported from a"
                " HAR file keep one",
                "give --to URL",
            )
        return [capture.origin]
    latest = target_base(capture, to)
    if to is not None:
        return [latest]
    forwarded = list(dict.fromkeys(a.base for a in capture.forwards if a.base))
    return forwarded if latest in forwarded else [latest]


def edit_json(body: bytes, sets: Sequence[str]) -> bytes:
    """BODY with every ``path=VALUE`` edit applied, written compact (what replay --set and
    the pytest plugin's load(set=...) send). ValueError when BODY is not JSON."""
    doc = json.loads(body)
    edited = jsonedit.apply_sets(doc, sets)
    return json.dumps(edited, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _edited_body(capture: Capture, sets: Sequence[str]) -> bytes:
    try:
        return edit_json(capture.body, sets)
    except (ValueError, UnicodeDecodeError):
        raise UsageError(
            f"--set edits JSON bodies, and capture #{capture.id}'s body is not JSON"
        ) from None


class _Signer:
    """Re-signs one capture's sends, or says why it cannot."""

    def __init__(
        self,
        capture: Capture,
        opts: ReplayOptions,
        secret_for: SecretLookup,
        hmac_options: Mapping[str, Any] | None,
        notes: list[str],
    ):
        self.scheme: Scheme | None = None
        self.secret = ""
        self.strip: set[str] = set()
        wanted = opts.resign or opts.backdate > 0
        if not (wanted or opts.sets):
            return
        name = (
            registry.canonical(opts.provider)
            if opts.provider
            else capture.provider or registry.detect(capture.headers, capture.body)
        )
        flag = "--resign" if opts.resign else "--backdate" if opts.backdate else "--set"
        if name is None:
            if wanted:
                raise UsageError(
                    f"{flag}: no provider detected for capture #{capture.id}",
                    "name it with --provider",
                )
            notes.append(
                f"capture #{capture.id}: no provider detected, the edited body is sent unsigned"
            )
            return
        scheme = registry.get(name, hmac_options if name == "hmac" else None)
        secret = secret_for(name)
        if not secret:
            if wanted:
                raise UsageError(
                    f"{flag}: no secret for {name}",
                    f"pass --secret, or set HOOKCLI_SECRET_{name.upper()} or [secrets] in config",
                )
            notes.append(
                f"capture #{capture.id}: no secret for {name}, the edited body is sent "
                f"unsigned (its old {name} signature headers are dropped)"
            )
            self.strip = {h.lower() for h in scheme.signature_header_names()}
            return
        self.scheme, self.secret = scheme, secret

    def apply(self, out: Outgoing, now: int) -> bool:
        if self.strip:
            out.headers = [(k, v) for k, v in out.headers if k.lower() not in self.strip]
        if self.scheme is None:
            return False
        out.body = self.scheme.prepare_body(out.body, self.secret, now)
        out.headers = self.scheme.resign(
            out.headers, out.body, self.secret, now, url=out.url, method=out.method
        )
        return True


def plan(
    captures: Sequence[Capture],
    opts: ReplayOptions,
    secret_for: SecretLookup,
    hmac_options: Mapping[str, Any] | None = None,
    now: int | None = None,
) -> Plan:
    """The deliveries for CAPTURES, in sending order. Raises UsageError before anything is
    sent when an option cannot apply to one of them."""
    from hookcli.model import headers as hdr

    moment = int(time.time()) if now is None else now
    notes: list[str] = []
    deliveries: list[Delivery] = []
    for cap in captures:
        bases = target_bases(cap, opts.to)
        body = _edited_body(cap, opts.sets) if opts.sets else None
        signer = _Signer(cap, opts, secret_for, hmac_options, notes)
        for copy in range(1, opts.repeat + 1):
            for base in bases:
                out = for_capture(cap, base, body=body)
                signed = signer.apply(out, moment - opts.backdate)
                if opts.headers:  # -H last: what the user names is what is sent
                    out.headers = hdr.replace(out.headers, opts.headers)
                for dup in range(1, opts.duplicate + 1):
                    deliveries.append(Delivery(cap.id, out, copy, dup, signed))
    seed = None
    if opts.shuffle:
        seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(2**31)
        random.Random(seed).shuffle(deliveries)
    return Plan(deliveries, notes, seed)


class _Recorder:
    """Writes attempts to the store in batches: one locked append per batch, not per
    attempt, so `--repeat 2000 --concurrency 32` is not bound by the store's lock."""

    def __init__(self, write: Callable[[list[tuple[int, str, Attempt]]], None]):
        self.write = write
        self.pending: list[tuple[int, str, Attempt]] = []
        self.last = time.monotonic()

    def add(self, capture_id: int, attempt: Attempt) -> None:
        self.pending.append((capture_id, "replays", attempt))
        if len(self.pending) >= 256 or time.monotonic() - self.last > 0.25:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        self.last = time.monotonic()
        if batch:
            self.write(batch)


OnAttempt = Callable[[Delivery, Attempt, float | None], None]


async def send_all(
    the_plan: Plan,
    opts: ReplayOptions,
    record: Callable[[list[tuple[int, str, Attempt]]], None],
    on_attempt: OnAttempt | None = None,
    rng: random.Random | None = None,
) -> list[Delivery]:
    """Send every delivery, at most --concurrency at once, started in plan order. Every
    attempt is recorded (RECORD) and reported (ON_ATTEMPT) as it completes."""
    # the client loads here, not with the module: planning alone (the pytest plugin) needs none
    from hookcli.delivery.client import RetryPolicy, deliver, new_session

    recorder = _Recorder(record)
    policy = RetryPolicy(retries=opts.retries, rng=rng or random.Random())
    queue = iter(the_plan.deliveries)
    # the sends on the wire, with when each started: what a stop (Ctrl-C) records unanswered
    in_flight: dict[int, tuple[Delivery, str, float]] = {}

    def seen(d: Delivery, attempt: Attempt, wait: float | None) -> None:
        attempt.compare = d.compare
        recorder.add(d.capture_id, attempt)
        if on_attempt is not None:
            on_attempt(d, attempt, wait)

    async def worker() -> None:
        for d in queue:

            def one(attempt: Attempt, wait: float | None, d: Delivery = d) -> None:
                d.attempts.append(attempt)
                in_flight.pop(id(d), None)  # answered, or waiting to retry
                seen(d, attempt, wait)

            def sending(d: Delivery = d) -> None:
                in_flight[id(d)] = (d, now_iso(), time.perf_counter())

            d.attempts = []  # each attempt as it completes (a stop reads them)
            d.attempts = await deliver(session, d.outgoing, policy, one, on_send=sending)

    session = new_session(opts.insecure, opts.timeout)
    try:
        workers = min(opts.concurrency, len(the_plan.deliveries))
        await asyncio.gather(*(worker() for _ in range(workers)))
    except asyncio.CancelledError:
        for d, at, started in list(in_flight.values()):
            stopped = Attempt(
                at,
                public_url(d.outgoing.url),
                None,
                round((time.perf_counter() - started) * 1000, 2),
                "not answered: stopped (Ctrl-C)",
                base=public_url(d.outgoing.base),
                retry=len(d.attempts),
            )
            d.attempts.append(stopped)
            seen(d, stopped, None)
        raise
    finally:
        recorder.flush()
        await session.close()
    return the_plan.deliveries
