"""The provider listing (`hookcli providers`): each provider's signing scheme joined with
its built-in events. It lives here, above both: events builds on signing, and signing
knows nothing of events."""

from __future__ import annotations

from dataclasses import dataclass

from hookcli.events import catalog
from hookcli.signing.registry import NAMES, get, names


@dataclass(frozen=True)
class ProviderInfo:
    """One row of ``hookcli providers``."""

    name: str
    title: str
    headers: tuple[str, ...]
    events: tuple[str, ...]
    #: the provider's documentation of its scheme ("" for hmac and user profiles without one)
    docs: str = ""
    #: "built-in", or the config file that defines a user profile
    source: str = "built-in"


def describe() -> list[ProviderInfo]:
    """Every provider with its scheme, signature headers and built-in events."""
    from hookcli import config

    dirs = config.load().template_dirs
    rows = []
    for name in names():
        scheme = get(name)
        events = tuple(catalog.list_events(name, dirs))
        source = "built-in" if name in NAMES else str(config.config_path())
        rows.append(ProviderInfo(name, scheme.title, scheme.headers, events, scheme.docs, source))
    return rows
