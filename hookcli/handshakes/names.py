"""The handshakes `listen` answers: who sends each, what it is called, the secret its
answer or its signature check needs, and where the provider documents it. A table and
nothing else, so that `ls` can name a handshake without loading anything heavy."""

from __future__ import annotations

from typing import NamedTuple


class Kind(NamedTuple):
    provider: str  # the provider's name (`--secret NAME=...`, `ls --provider` once known)
    event: str  # the provider's own name for the request
    docs: str  # where the provider documents the request and its answer
    secret: str = ""  # what `--secret PROVIDER=...` must hold, when a secret is used

    @property
    def label(self) -> str:
        """`zoom endpoint.url_validation`: how lines and `ls` name it."""
        return f"{self.provider} {self.event}"


SLACK = Kind(
    "slack", "url_verification", "https://api.slack.com/events/url_verification", "SIGNING_SECRET"
)
ZOOM = Kind(
    "zoom",
    "endpoint.url_validation",
    "https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint",
    "SECRET_TOKEN",
)
META = Kind(
    "meta",
    "verification",
    "https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests",
)
TWITTER = Kind(
    "twitter",
    "crc",
    "https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks",
    "CONSUMER_SECRET",
)
DROPBOX = Kind("dropbox", "verification", "https://www.dropbox.com/developers/reference/webhooks")
TWITCH = Kind(
    "twitch",
    "webhook_callback_verification",
    "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#responding-to-a-challenge-request",
    "SECRET",
)
MSGRAPH = Kind(
    "msgraph",
    "validation",
    "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#notification-endpoint-validation",
)
ASANA = Kind("asana", "handshake", "https://developers.asana.com/reference/createwebhook")
OKTA = Kind(
    "okta",
    "verification",
    "https://developer.okta.com/docs/concepts/event-hooks/#one-time-verification-request",
)
DISCORD = Kind(
    "discord",
    "ping",
    "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint",
    "PUBLIC_KEY",
)
XERO = Kind(
    "xero",
    "intent-to-receive",
    "https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/",
    "WEBHOOK_KEY",
)
WORLDLINE = Kind(
    "worldline",
    "endpoint-verification",
    "https://docs.connect.worldline-solutions.com/documentation/webhooks/",
)

KINDS: tuple[Kind, ...] = (
    SLACK, ZOOM, META, TWITTER, DROPBOX, TWITCH, MSGRAPH, ASANA, OKTA, DISCORD, XERO, WORLDLINE
)  # fmt: skip
#: how `ls` shows each handshake in its provider/event column
LABELS: frozenset[str] = frozenset(k.label for k in KINDS)
#: providers whose secret a handshake uses (accepted by `listen --secret` even before the
#: provider has a signature scheme of its own)
SECRET_PROVIDERS: frozenset[str] = frozenset(k.provider for k in KINDS if k.secret)
