"""Finding templates: built-in ones, and the user's folders that override or add to them.

A user template folder has the same layout as the built-in one: ``<provider>/<event>.json``
with ``/`` in an event name written as ``__``. Earlier folders win over later ones, and
every user folder wins over the built-ins.

A folder may hold ``_aliases.json``, a JSON object of other names for its events: GitHub's
templates are one per event and action (``pull_request.closed``), and the bare event type
(``pull_request``) names its usual action (``pull_request.opened``). An alias is not listed
and never hides a template of that name.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from hookcli.errors import UsageError
from hookcli.signing import registry

SUFFIX = ".json"
GENERIC = "_generic"
ALIASES = "_aliases" + SUFFIX
#: providers for which any event name is valid (unknown names use ``_generic.json``);
#: user profiles are open too
OPEN_PROVIDERS = frozenset({"standard"})
#: the built-in folder a user profile falls back to: a ``generic`` event and ``_generic``
PROFILE_FOLDER = "_profile"


@dataclass(frozen=True)
class Template:
    provider: str
    event: str
    source: str
    data: dict[str, Any]


def event_to_filename(event: str) -> str:
    return event.replace("/", "__") + SUFFIX


def filename_to_event(filename: str) -> str:
    return filename.removesuffix(SUFFIX).replace("__", "/")


def _builtin_root() -> Traversable:
    return resources.files("hookcli.events") / "templates"


def _folders(provider: str, template_dirs: Iterable[Path]) -> list[Traversable | Path]:
    """Where PROVIDER's templates are, first match winning: the user's folders, the
    built-in one, and for a user profile the generic profile folder."""
    builtin = _builtin_root()
    out: list[Traversable | Path] = [Path(d).expanduser() / provider for d in template_dirs]
    out.append(builtin / provider)
    if provider in registry.user_profiles():
        out.append(builtin / PROFILE_FOLDER)
    return out


def _is_open(provider: str) -> bool:
    return provider in OPEN_PROVIDERS or provider in registry.user_profiles()


def _files(folder: Traversable | Path) -> dict[str, Traversable | Path]:
    if not folder.is_dir():
        return {}
    return {
        filename_to_event(f.name): f
        for f in folder.iterdir()
        if f.name.endswith(SUFFIX) and f.is_file()
    }


def list_events(provider: str, template_dirs: Sequence[Path] = ()) -> list[str]:
    """Event names PROVIDER can fabricate, built-in and user ones, sorted."""
    key = registry.canonical(provider)
    names: set[str] = set()
    for folder in _folders(key, template_dirs):
        names.update(e for e in _files(folder) if not e.startswith("_"))
    return sorted(names)


def group(event: str) -> str:
    """The family an event belongs to, for listings: what precedes its last ``.`` or ``/``
    (``customer.subscription`` for ``customer.subscription.created``, ``orders`` for
    ``orders/create``), else the name itself."""
    head, sep, _ = event.rpartition("/" if "/" in event else ".")
    return head if sep and head else event


def matching(provider: str, prefix: str, template_dirs: Sequence[Path] = ()) -> list[str]:
    """PROVIDER's events whose name starts with PREFIX (``invoice.``); UsageError naming
    the closest ones when none does."""
    events = list_events(provider, template_dirs)
    found = [e for e in events if e.startswith(prefix)]
    if not found:
        key = registry.canonical(provider)
        raise UsageError(f"no {key} event starts with {prefix!r}", _hint(key, prefix, events))
    return found


def closest(event: str, events: Sequence[str], n: int = 5) -> list[str]:
    """The known names nearest to EVENT: the same family first, then by spelling."""
    out = difflib.get_close_matches(event, events, n=n, cutoff=0.6)
    words = [w for w in re.split(r"[._/]", event.lower()) if len(w) > 2]
    for e in events:
        if len(out) >= n:
            break
        if e not in out and any(w in e.lower() for w in words):
            out.append(e)
    return out


def _hint(provider: str, event: str, events: Sequence[str]) -> str:
    if not events:
        return "add your own with a template folder"
    near = closest(event, events)
    listing = f"`hookcli fabricate {provider} --list` shows all {len(events)}"
    if near:
        return f"did you mean {', '.join(near)}? {listing}"
    return f"{listing}; add your own with a template folder"


def default_event(provider: str, template_dirs: Sequence[Path] = ()) -> str:
    """The event fabricated when none is named: the first built-in one listed."""
    events = list_events(provider, template_dirs)
    if not events:
        raise UsageError(f"no event templates for provider {provider!r}")
    default = _DEFAULTS.get(registry.canonical(provider))
    return default if default in events else events[0]


_DEFAULTS = {
    "stripe": "payment_intent.succeeded",
    "github": "push",
    "shopify": "orders/create",
    "slack": "event_callback",
    "twilio": "message_status",
    "standard": "user.created",
    "hmac": "generic",
    "discord": "ping",
    "telnyx": "message.received",
    "sendgrid": "delivered",
    "mandrill": "send",
    "plivo": "message_status",
}


def is_generic(template: Template) -> bool:
    """True for a template made for any event (``_generic.json``, a profile's ``generic``),
    which says nothing of where the provider puts the event name."""
    name = Path(template.source).stem
    return name == GENERIC or PROFILE_FOLDER in Path(template.source).parts


def _parse(path: Traversable | Path, provider: str, event: str) -> Template:
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"cannot read template {source}: {exc}") from None
    if not isinstance(data, dict) or "body" not in data:
        raise UsageError(f'template {source} must be a JSON object with a "body"')
    headers = data.get("headers", [])
    if isinstance(headers, dict):
        headers = list(headers.items())
    if not isinstance(headers, list) or not all(
        isinstance(h, list | tuple) and len(h) == 2 and all(isinstance(x, str) for x in h)
        for h in headers
    ):
        raise UsageError(f'template {source}: "headers" must map names to string values')
    data["headers"] = [list(h) for h in headers]
    for key in ("method", "content_type", "path"):
        if key in data and not isinstance(data[key], str):
            raise UsageError(f'template {source}: "{key}" must be a string')
    return Template(provider, event, source, data)


def _alias(folders: Iterable[Traversable | Path], event: str) -> str | None:
    """What EVENT is another name for, from the first ``_aliases.json`` that names it."""
    for folder in folders:
        path = folder / ALIASES
        if not path.is_file():
            continue
        try:
            aliases = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"cannot read template aliases {path}: {exc}") from None
        target = aliases.get(event) if isinstance(aliases, dict) else None
        if isinstance(target, str):
            return target
    return None


def _find(folders: Sequence[Traversable | Path], event: str) -> Traversable | Path | None:
    if event.startswith("_"):
        return None
    for folder in folders:
        found = _files(folder).get(event)
        if found is not None:
            return found
    return None


def load(provider: str, event: str, template_dirs: Sequence[Path] = ()) -> Template:
    """The template for EVENT of PROVIDER; UsageError listing the events when unknown."""
    key = registry.canonical(provider)
    folders = _folders(key, template_dirs)
    found = _find(folders, event)
    if found is None:
        target = _alias(folders, event)
        found = _find(folders, target) if target else None
    if found is not None:
        return _parse(found, key, event)
    if _is_open(key):
        for folder in folders:
            files = _files(folder)
            generic = files.get(GENERIC) or files.get("generic")
            if generic is not None:
                return _parse(generic, key, event)
    raise UsageError(
        f"unknown {key} event {event!r}", _hint(key, event, list_events(key, template_dirs))
    )
