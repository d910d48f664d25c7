"""The capture record: what came over the wire, plus what was done with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hookcli.model import body as bodycodec
from hookcli.model import headers as hdrs

if TYPE_CHECKING:  # the record's shape is the on-disk format's (store/format.py)
    from hookcli.store.format import AttemptRecord, CaptureRecord

#: how much of a target's answer an Attempt keeps
EXCERPT_BYTES = 4096


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Attempt:
    """One forward or replay of a capture to a target."""

    at: str
    target: str
    status: int | None
    latency_ms: float
    error: str | None = None
    response_excerpt: str = ""
    base: str | None = None  # the --to/--forward-to value; replay without --to reuses it
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_size: int | None = None  # bytes, when known (read fully, or Content-Length)
    retry: int = 0  # 0 for the first try of a delivery, then 1, 2, ...
    # `replay --compare`: "PAIR SIDE", SIDE a (the --to target), b (the --compare target)
    # or new (compared with the answer recorded before); the two sides share PAIR
    compare: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_record(self) -> AttemptRecord:
        record: AttemptRecord = {
            "base": self.base,
            "at": self.at,
            "target": self.target,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "error": self.error,
            "response_excerpt": self.response_excerpt,
            "response_headers": [[k, v] for k, v in self.response_headers],
            "response_size": self.response_size,
            "retry": self.retry,
        }
        if self.compare is not None:  # only on the attempts of a comparison
            record["compare"] = self.compare
        return record

    @classmethod
    def from_record(cls, d: AttemptRecord) -> Attempt:
        return cls(
            at=d["at"],
            target=d["target"],
            status=d.get("status"),
            latency_ms=float(d.get("latency_ms") or 0.0),
            error=d.get("error"),
            response_excerpt=d.get("response_excerpt") or "",
            base=d.get("base"),
            response_headers=[(str(k), str(v)) for k, v in d.get("response_headers") or []],
            response_size=d.get("response_size"),
            retry=int(d.get("retry") or 0),
            compare=d.get("compare"),
        )


@dataclass
class Capture:
    """A request as received. `id` is 0 until the store assigns one."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    id: int = 0
    received_at: str = field(default_factory=now_iso)
    source: str = "listen"
    http_version: str = "1.1"
    remote_addr: str | None = None
    provider: str | None = None
    event_type: str | None = None
    signature: str | None = None
    response: dict[str, Any] = field(default_factory=dict)
    forwards: list[Attempt] = field(default_factory=list)
    replays: list[Attempt] = field(default_factory=list)
    # "latin-1" when some header was not UTF-8 on the wire (see model/headers.py)
    headers_encoding: str = hdrs.UTF8
    # `scheme://host[:port]` an imported request was first sent to (HAR files say it);
    # export writes it back and `replay --to original` sends there
    origin: str | None = None

    @property
    def header_bytes(self) -> list[tuple[bytes, bytes]]:
        """The headers as the bytes received: what anything putting them back on a wire
        must use."""
        return hdrs.encode(self.headers, self.headers_encoding)

    @property
    def body_size(self) -> int:
        return len(self.body)

    @property
    def target(self) -> str:
        """Path plus query, as on the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def to_record(self) -> CaptureRecord:
        text, encoding = bodycodec.encode(self.body)
        record: CaptureRecord = {
            "id": self.id,
            "received_at": self.received_at,
            "source": self.source,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "http_version": self.http_version,
            "remote_addr": self.remote_addr,
            "headers": [[k, v] for k, v in self.headers],
            "headers_encoding": self.headers_encoding,
            "body": text,
            "body_encoding": encoding,
            "body_size": len(self.body),
            "provider": self.provider,
            "event_type": self.event_type,
            "signature": self.signature,
            "response": self.response,
            "forwards": [a.to_record() for a in self.forwards],
            "replays": [a.to_record() for a in self.replays],
        }
        if self.origin:
            record["origin"] = self.origin
        return record

    @classmethod
    def from_record(cls, d: CaptureRecord) -> Capture:
        return cls(
            id=int(d["id"]),
            received_at=d["received_at"],
            source=d.get("source", "listen"),
            method=d["method"],
            path=d["path"],
            query=d.get("query", ""),
            http_version=d.get("http_version", "1.1"),
            remote_addr=d.get("remote_addr"),
            headers=[(str(k), str(v)) for k, v in d.get("headers", [])],
            # records from before the field decoded each header on its own: read as UTF-8
            headers_encoding=hdrs.known_encoding(d.get("headers_encoding")),
            body=bodycodec.decode(d.get("body", ""), d.get("body_encoding", "utf-8")),
            provider=d.get("provider"),
            event_type=d.get("event_type"),
            signature=d.get("signature"),
            response=dict(d.get("response") or {}),
            forwards=[Attempt.from_record(a) for a in d.get("forwards", [])],
            replays=[Attempt.from_record(a) for a in d.get("replays", [])],
            origin=d.get("origin"),
        )

    def summary(self, *, source: bool = True, cut: bool = True) -> dict[str, Any]:
        """The small row `ls` shows and the store indexes (SOURCE, CUT: as summary_of)."""
        from hookcli.store.format import summary_of

        return summary_of(
            {
                "id": self.id,
                "received_at": self.received_at,
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "body_size": self.body_size,
                "provider": self.provider,
                "event_type": self.event_type,
                "signature": self.signature,
                "source": self.source,
            },
            source=source,
            cut=cut,
        )
