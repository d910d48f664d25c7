"""Filters of `ls` (and later `export`) as TinyDB queries over capture summaries.

The index summaries are plain dicts, so TinyDB's `Query` language evaluates on them as it
would on TinyDB documents; full-record conditions (`--search`) are a second predicate the
store applies only to rows that pass the cheap one."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tinydb import Query
from tinydb.queries import QueryInstance

from hookcli.model import body as bodycodec
from hookcli.store.format import CaptureRecord


@dataclass(frozen=True)
class Filters:
    method: str | None = None
    path: str | None = None
    provider: str | None = None
    event: str | None = None
    since_seconds: float | None = None
    search: str | None = None

    def summary_query(self) -> QueryInstance | None:
        q = Query()
        parts: list[QueryInstance] = []
        if self.method:
            parts.append(q.method == self.method.upper())
        if self.path:
            pattern = self.path
            parts.append(q.path.test(lambda p: fnmatch.fnmatchcase(p, pattern)))
        if self.provider:
            from hookcli.signing.registry import canonical

            parts.append(q.provider == canonical(self.provider))
        if self.event:
            event = self.event
            parts.append(
                q.event_type.test(lambda e: e is not None and fnmatch.fnmatchcase(e, event))
            )
        if not parts:
            return None
        combined = parts[0]
        for p in parts[1:]:
            combined = combined & p
        return combined

    def stop_before(self) -> Callable[[dict[str, Any]], bool] | None:
        """--since: summaries are in arrival order, so the walk ends at the first older one."""
        if self.since_seconds is None:
            return None
        cutoff = (datetime.now(UTC) - timedelta(seconds=self.since_seconds)).isoformat()
        return lambda s: str(s["received_at"]) < cutoff

    def record_query(self) -> Callable[[CaptureRecord], bool] | None:
        if not self.search:
            return None
        needle = self.search.lower()

        def matches(rec: CaptureRecord) -> bool:
            for k, v in rec.get("headers", []):
                if needle in k.lower() or needle in v.lower():
                    return True
            raw = bodycodec.decode(rec.get("body", ""), rec.get("body_encoding", "utf-8"))
            return needle in raw.decode("utf-8", errors="replace").lower()

        return matches
