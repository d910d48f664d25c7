"""The one way to reach a signature scheme: by name, or by detection from header names.

Used by verify, fabricate, replay --resign, the catch server's live check and ls. Providers
are hand-written schemes (where the shape truly differs), built-in profiles
(``profiles.toml``) and the user's profiles (``[providers.NAME]`` in the config file).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from hookcli.errors import UsageError
from hookcli.signing import profile
from hookcli.signing.base import Scheme, Verdict
from hookcli.signing.contentful import ContentfulScheme
from hookcli.signing.discord import DiscordScheme
from hookcli.signing.hmac_generic import HmacScheme
from hookcli.signing.linear import LinearScheme
from hookcli.signing.mailgun import MailgunScheme
from hookcli.signing.mandrill import MandrillScheme
from hookcli.signing.paddle import PaddleScheme
from hookcli.signing.plivo import PlivoScheme
from hookcli.signing.profile import Profile
from hookcli.signing.profile_scheme import ProfileScheme
from hookcli.signing.sendgrid import SendgridScheme
from hookcli.signing.standard import StandardScheme
from hookcli.signing.stripe import StripeScheme
from hookcli.signing.telnyx import TelnyxScheme
from hookcli.signing.twilio import TwilioScheme

ALIASES: dict[str, str] = {"svix": "standard"}

_HANDWRITTEN: dict[str, type[Scheme]] = {
    "stripe": StripeScheme,
    "twilio": TwilioScheme,
    "standard": StandardScheme,
    "paddle": PaddleScheme,
    "linear": LinearScheme,
    "mailgun": MailgunScheme,
    "discord": DiscordScheme,
    "telnyx": TelnyxScheme,
    "sendgrid": SendgridScheme,
    "mandrill": MandrillScheme,
    "plivo": PlivoScheme,
    "contentful": ContentfulScheme,
}


def _builtin_profiles() -> dict[str, Profile]:
    text = (resources.files("hookcli.signing") / "profiles.toml").read_text(encoding="utf-8")
    return profile.parse_all(tomllib.loads(text)["providers"], "built-in profiles")


_PROFILES = _builtin_profiles()
#: providers never detected from header names: hmac is any sender; GoCardless signs into
#: Standard Webhooks' `Webhook-Signature` and Segment into the generic `X-Signature`, with no
#: header of their own besides, so a bare one of those must not be taken for them. Their
#: captures say so when fabricated (or with --provider).
NEVER_DETECTED = frozenset({"hmac", "gocardless", "segment"})
# The order `hookcli providers` lists them in: the first providers, then the rest by name.
_FIRST = ("stripe", "github", "shopify", "slack", "twilio", "standard", "hmac")
NAMES: tuple[str, ...] = _FIRST + tuple(
    sorted(n for n in (*_HANDWRITTEN, *_PROFILES) if n not in _FIRST)
)


@dataclass(frozen=True)
class _Detector:
    """Header name -> providers that name it; a header named by one provider only tells."""

    by_header: dict[str, tuple[str, ...]]
    telling: dict[str, frozenset[str]]
    detecting: dict[str, frozenset[str]]
    rank: dict[str, int]
    by_body: tuple[Scheme, ...]

    def detect(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        seen: dict[str, set[str]] = {}
        for k, _ in headers:
            for name in self.by_header.get(k.lower(), ()):
                seen.setdefault(name, set()).add(k.lower())
        if not seen:
            return next((s.name for s in self.by_body if s.detect_body(body)), None)
        if len(seen) == 1:
            return next(iter(seen))

        # The most specific match: the most telling headers present, then the fewest
        # telling headers missing (GitHub always sends X-GitHub-Event, so a bare
        # X-Hub-Signature-256 is Meta's), then the most shared ones present, then the fewest
        # detecting headers missing, then the listed order (user profiles first).
        def score(name: str) -> tuple[int, int, int, int, int]:
            tell, found = self.telling[name], seen[name]
            present = len(found & tell)
            missing = len(self.detecting[name]) - len(found)
            return (present, present - len(tell), len(found - tell), -missing, -self.rank[name])

        return max(seen, key=score)


def _detector(schemes: Sequence[Scheme]) -> _Detector:
    owners: dict[str, list[str]] = {}
    for s in schemes:
        for h in s.detect_headers:
            owners.setdefault(h, []).append(s.name)
    telling = {
        s.name: frozenset(h for h in s.detect_headers if len(owners[h]) == 1) for s in schemes
    }
    detecting = {s.name: frozenset(s.detect_headers) for s in schemes}
    rank = {s.name: i for i, s in enumerate(schemes)}
    by_body = tuple(s for s in schemes if type(s).detect_body is not Scheme.detect_body)
    owned = {h: tuple(v) for h, v in owners.items()}
    return _Detector(owned, telling, detecting, rank, by_body)


@dataclass(frozen=True)
class _Providers:
    user: dict[str, Profile]
    detector: _Detector


@cache
def _load(config_path: str) -> _Providers:
    from pathlib import Path

    from hookcli import config

    cfg = config.load(Path(config_path))
    user = profile.parse_all(cfg.providers, f"config file {config_path}")
    taken = sorted(set(user) & {*NAMES, *ALIASES})
    if taken:
        raise profile.ProfileError(
            f"config file {config_path}: [providers.{taken[0]}] name: {taken[0]} is a "
            "built-in provider",
            "give your profile another name (e.g. my-" + taken[0] + ")",
        )
    schemes: list[Scheme] = [ProfileScheme(p) for p in user.values()]
    schemes += [_builtin(n) for n in NAMES if n not in NEVER_DETECTED]
    return _Providers(user, _detector(schemes))


def _providers() -> _Providers:
    """The user's profiles and the detector, loaded once per config file: detection runs
    for every captured request, so the cache key is the environment variable alone."""
    import os

    from hookcli import config

    return _load_for(os.environ.get(config.ENV_CONFIG, ""))


@cache
def _load_for(env_value: str) -> _Providers:
    from hookcli import config

    return _load(str(config.config_path()))


def forget() -> None:
    """Drop the loaded config files: the next look-up reads them again (for a process that
    runs many command lines, as the test suite does)."""
    _load.cache_clear()
    _load_for.cache_clear()


def names() -> tuple[str, ...]:
    """Every provider name: built-in ones, then the user's profiles from the config file."""
    return NAMES + tuple(_providers().user)


def user_profiles() -> dict[str, Profile]:
    return dict(_providers().user)


def _unknown(name: str) -> UsageError:
    known = ", ".join((*names(), *ALIASES))
    return UsageError(f"unknown provider {name!r}", f"known providers: {known}")


def canonical(name: str) -> str:
    """The CLI name for NAME (case-insensitive, aliases resolved); UsageError if unknown."""
    low = name.strip().lower()
    low = ALIASES.get(low, low)
    if low not in NAMES and low not in _providers().user:
        raise _unknown(name)
    return low


def _builtin(key: str) -> Scheme:
    if key in _PROFILES:
        return ProfileScheme(_PROFILES[key])
    return _HANDWRITTEN[key]()


def get(name: str, options: Mapping[str, Any] | None = None) -> Scheme:
    """The scheme for provider NAME; OPTIONS configure the ``hmac`` scheme only."""
    key = canonical(name)
    if key == "hmac":
        return HmacScheme(options)
    if key in NAMES:
        return _builtin(key)
    return ProfileScheme(_providers().user[key])


def detect(headers: Sequence[tuple[str, str]], body: bytes = b"") -> str | None:
    """The provider whose detecting headers are present (by name, any case), else None;
    when several are, the most specific match (see _Detector). BODY is looked at only
    when no header detects a provider (Mailgun signs inside the body and sends none)."""
    return _providers().detector.detect(headers, body)


def verify(
    provider: str | None,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    secret: str,
    now: int,
    tolerance: int | None = None,
    url: str | None = None,
    options: Mapping[str, Any] | None = None,
    method: str = "POST",
) -> Verdict:
    """Verify with PROVIDER's scheme (detected from HEADERS when None); an unknown or
    undetectable provider is an ``unknown_provider`` verdict rather than an exception."""
    name = provider or detect(headers, body)
    if name is None:
        return Verdict.fail(
            "unknown_provider",
            "no known provider's signature headers are present",
            "name the provider with --provider (`hookcli providers` lists them)",
        )
    try:
        scheme = get(name, options)
    except UsageError as exc:
        return Verdict.fail("unknown_provider", exc.message, exc.hint)
    return scheme.verify(headers, body, secret, now, tolerance, url, method)


def event_type(provider: str | None, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
    """The provider's event name for a request, or None when it has none."""
    if provider is None:
        return None
    try:
        scheme = get(provider)
    except UsageError:
        return None
    return scheme.event_type(headers, body)
