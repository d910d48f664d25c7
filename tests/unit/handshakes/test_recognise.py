"""What is and is not a handshake: only the shapes the providers document, so that an
ordinary request that merely looks like one keeps the usual answer."""

from __future__ import annotations

import pytest

from hookcli.handshakes import names
from hookcli.handshakes.recognise import recognise
from hookcli.model.capture import Capture


def capture(
    method: str, target: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None
) -> Capture:
    path, _, query = target.partition("?")
    return Capture(method=method, path=path, query=query, headers=headers or [], body=body)


ZOOM_BODY = b'{"event": "endpoint.url_validation", "payload": {"plainToken": "p"}}'
WORLDLINE = [("X-GCS-Webhooks-Endpoint-Verification", "w")]
SHAPES = [
    (capture("POST", "/", b'{"type": "url_verification", "challenge": "c1"}'), names.SLACK, "c1"),
    (capture("POST", "/", ZOOM_BODY), names.ZOOM, "p"),
    (capture("GET", "/?hub.mode=subscribe&hub.challenge=9&hub.verify_token=t"), names.META, "9"),
    (capture("GET", "/?crc_token=a%2Bb"), names.TWITTER, "a+b"),
    (capture("GET", "/?challenge=d"), names.DROPBOX, "d"),
    (capture("POST", "/?validationToken=Validation%3a+x"), names.MSGRAPH, "Validation: x"),
    (capture("POST", "/", headers=[("x-hook-secret", "s")]), names.ASANA, "s"),
    (capture("GET", "/", headers=[("X-Okta-Verification-Challenge", "o")]), names.OKTA, "o"),
    (capture("GET", "/", headers=WORLDLINE), names.WORLDLINE, "w"),
]


@pytest.mark.parametrize(("request_", "kind", "value"), SHAPES)
def test_each_documented_shape_is_recognised(
    request_: Capture, kind: names.Kind, value: str
) -> None:
    found = recognise(request_)
    assert found is not None and (found.kind, found.value) == (kind, value)


@pytest.mark.parametrize(
    "request_",
    [
        capture("POST", "/", b'{"challenge": "no type"}'),
        capture("POST", "/", b'{"type": "url_verification", "challenge": 5}'),
        capture("POST", "/", b'{"type": "event_callback", "event": {"type": "url_verification"}}'),
        capture("GET", "/?hub.mode=unsubscribe&hub.challenge=1"),
        capture("POST", "/?challenge=d"),  # Dropbox's is a GET
        capture("GET", "/?validationToken=t"),  # Graph's is a POST
        capture("POST", "/", b'{"type": 2}', [("X-Signature-Ed25519", "00")]),
        capture("POST", "/", b'{"type": 1}'),  # a PING without Discord's signature header
        capture("POST", "/", b'{"events": [{"eventType": "CREATE"}], "entropy": "e"}',
                [("x-xero-signature", "s")]),
        capture("POST", "/", b"", [("Twitch-Eventsub-Message-Type", "notification")]),
        capture("POST", "/", b"not json url_verification"),
    ],
)  # fmt: skip
def test_lookalikes_are_not_handshakes(request_: Capture) -> None:
    assert recognise(request_) is None
