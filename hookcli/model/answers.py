"""Two answers of a target compared: status, headers less the volatile ones, and the body by
JSON path, with the entries and rules of `hookcli diff` (model/diff.py).

An answer is what an Attempt kept of it: the status, the headers and the first
EXCERPT_BYTES of the body. When either body was longer than that, only the kept part is
compared, and the comparison says so (`cut`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hookcli.model import diff
from hookcli.model.capture import EXCERPT_BYTES, Attempt

#: headers that differ between two answers of the same app without meaning anything:
#: dates, transport framing, server identity, and per-request ids and timings
VOLATILE_HEADERS = frozenset(
    {
        "age",
        "cf-ray",
        "connection",
        "content-length",
        "date",
        "expires",
        "keep-alive",
        "last-modified",
        "request-id",
        "server",
        "server-timing",
        "traceparent",
        "tracestate",
        "transfer-encoding",
        "x-amz-cf-id",
        "x-amz-request-id",
        "x-amzn-requestid",
        "x-amzn-trace-id",
        "x-b3-spanid",
        "x-b3-traceid",
        "x-cloud-trace-context",
        "x-correlation-id",
        "x-request-id",
        "x-response-time",
        "x-runtime",
        "x-trace-id",
        "x-vercel-id",
    }
)


@dataclass(frozen=True)
class Answer:
    """A target's answer as an Attempt recorded it."""

    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    cut: bool  # the body was longer than what was kept
    error: str | None = None

    @classmethod
    def of(cls, a: Attempt) -> Answer:
        body = a.response_excerpt.encode("utf-8")
        cut = a.response_size is None or a.response_size > EXCERPT_BYTES
        if a.status is not None and a.response_size is None and not body:
            cut = False  # nothing was sent after the headers
        return cls(a.status, list(a.response_headers), body, cut and a.status is not None, a.error)


def compare(
    a: Answer, b: Answer, ignore: Sequence[str] = (), ignore_headers: Iterable[str] = ()
) -> list[diff.DiffEntry]:
    """Every difference between answers A and B: `status`, `headers.NAME` (volatile headers
    and IGNORE_HEADERS left out), `body...`; entries matching an IGNORE glob left out."""
    entries: list[diff.DiffEntry] = []
    if a.status != b.status:
        entries.append(diff.DiffEntry("status", "changed", a.status, b.status))
    skip = VOLATILE_HEADERS | {h.strip().lower() for h in ignore_headers}
    entries += diff.header_entries(a.headers, b.headers, skip)
    entries += diff.body_entries(diff.view_of(a.body, a.headers), diff.view_of(b.body, b.headers))
    return diff.without_ignored(entries, ignore)


def headline(entries: Sequence[diff.DiffEntry], most: int = 3) -> str:
    """The differences in a few words: `status 200 -> 500; body.error added`."""
    words = []
    for e in entries[:most]:
        if e.path == "status":
            words.append(f"status {e.a} -> {e.b}")
        else:
            words.append(f"{e.path} {e.kind}")
    if len(entries) > most:
        words.append(f"{len(entries) - most} more")
    return "; ".join(words)
