"""Where `listen` forwards each capture: routes by event type, else the --forward-to targets.

A route is a glob over the capture's event type (the same matching as `ls --event`) and
the base URLs it sends to. Routes are checked in order and the first match wins; a capture
whose event type matches no route (or that has none) goes to the --forward-to targets.
Routes come from `--route GLOB=URL` flags and from a TOML routes file:

    [[route]]
    event = "invoice.*"
    to = "http://localhost:3000/billing"

    [[route]]
    event = "customer.subscription.*"
    to = ["http://localhost:3000/subs", "http://localhost:4000/audit"]
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from hookcli.delivery.prepare import check_url
from hookcli.errors import UsageError

#: distinct event types whose targets are remembered; event types come from requests, so
#: the memo is bounded (past it, lookups are computed each time)
_MEMO_LIMIT = 1024


@dataclass(frozen=True)
class Route:
    event: str  # a glob over the event type, fnmatch syntax, case-sensitive
    to: tuple[str, ...]  # base URLs, joined with the captured path by the URL rule

    def to_record(self) -> dict[str, Any]:
        return {"event": self.event, "to": list(self.to)}


class Routes:
    """The targets for each capture. Routes with the same glob are merged (their targets
    added up), so `--route 'a.*=URL1' --route 'a.*=URL2'` sends to both."""

    def __init__(self, routes: Sequence[Route], default: Sequence[str]):
        merged: dict[str, list[str]] = {}
        for r in routes:
            merged.setdefault(r.event, [])
            merged[r.event] += [u for u in r.to if u not in merged[r.event]]
        self.routes = [Route(glob, tuple(to)) for glob, to in merged.items()]
        self.default = tuple(dict.fromkeys(default))
        self._memo: dict[str | None, tuple[str, ...]] = {None: self.default}

    def __bool__(self) -> bool:
        return bool(self.default or self.routes)

    @property
    def targets(self) -> tuple[str, ...]:
        """Every base URL anything may be sent to, each once, in the order first named."""
        every = [*self.default, *(u for r in self.routes for u in r.to)]
        return tuple(dict.fromkeys(every))

    def for_event(self, event_type: str | None) -> tuple[str, ...]:
        found = self._memo.get(event_type)
        if found is not None:
            return found
        found = self.default
        for r in self.routes:
            if event_type is not None and fnmatchcase(event_type, r.event):
                found = r.to
                break
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[event_type] = found
        return found


def parse_route(text: str, flag: str = "--route") -> Route:
    """GLOB=URL; the glob cannot contain '=' (event types never do), the URL may."""
    glob, sep, url = text.partition("=")
    glob = glob.strip()
    if not sep or not glob or not url.strip():
        raise UsageError(
            f"{flag}: expected GLOB=URL, got {text!r}",
            "e.g. --route 'invoice.*=http://localhost:3000/billing'",
        )
    return Route(glob, (check_url(url.strip(), flag),))


_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_SHAPE = 'each route is a [[route]] table with event = "GLOB" and to = "URL" or a list'


def load_routes(path: Path, flag: str = "--routes") -> list[Route]:
    """The routes of a TOML routes file, in file order. Every problem is one usage error
    naming the file and where in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise UsageError(f"{flag}: cannot read {path}: {reason}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = _POSITION.search(message)
        where = f"line {m.group(1)}, column {m.group(2)}: " if m else ""
        reason = message[: m.start()] if m else message
        raise UsageError(f"{flag} {path}: {where}{reason}", _SHAPE) from None
    return _parse(doc, f"{flag} {path}")


def _parse(doc: dict[str, Any], where: str) -> list[Route]:
    unknown = sorted(set(doc) - {"route"})
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}", _SHAPE)
    entries = doc.get("route", [])
    if not isinstance(entries, list):
        raise UsageError(f"{where}: 'route' must be an array of tables ([[route]])")
    routes = []
    for n, entry in enumerate(entries, 1):
        here = f"{where}: route {n}"
        if not isinstance(entry, dict):
            raise UsageError(f"{here}: expected a [[route]] table")
        extra = sorted(set(entry) - {"event", "to"})
        if extra:
            raise UsageError(f"{here}: unknown key {extra[0]!r} (a route has event and to)")
        event = entry.get("event")
        if not isinstance(event, str) or not event.strip():
            raise UsageError(f'{here}: event must be a glob string, e.g. event = "invoice.*"')
        to = entry.get("to")
        urls = [to] if isinstance(to, str) else to
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise UsageError(f"{here}: to must be a URL or a list of URLs")
        routes.append(Route(event.strip(), tuple(check_url(u, here + ": to") for u in urls)))
    return routes
