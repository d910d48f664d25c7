"""Which URL a capture's signature covers (Twilio signs the URL it calls)."""

from __future__ import annotations

from hookcli.model.capture import Attempt, Capture
from hookcli.signing.classify import signed_url


def _capture(source: str, headers: list[tuple[str, str]], sends: list[str]) -> Capture:
    return Capture(
        method="POST",
        path="/sms/status",
        query="a=1",
        headers=headers,
        body=b"MessageStatus=delivered",
        source=source,
        replays=[
            Attempt(at=f"2026-11-26T10:00:0{i}+00:00", target=t, status=200, latency_ms=1.0)
            for i, t in enumerate(sends)
        ],
    )


def test_a_fabricated_capture_was_signed_for_where_it_was_first_sent() -> None:
    cap = _capture(
        "fabricated",
        [("Host", "abc.ngrok.app")],
        ["https://abc.ngrok.app/sms/status?a=1", "http://localhost:3000/sms/status?a=1"],
    )
    # the Host header alone would give http://abc.ngrok.app/...; a later replay sent the same
    # stored bytes elsewhere, which does not change what they were signed for
    assert signed_url(cap) == "https://abc.ngrok.app/sms/status?a=1"


def test_a_received_capture_uses_host_and_forwarded_headers() -> None:
    headers = [
        ("Host", "localhost:9000"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "abc.ngrok.app"),
    ]
    cap = _capture("listen", headers, ["http://localhost:3000/sms/status?a=1"])
    assert signed_url(cap) == "https://abc.ngrok.app/sms/status?a=1"


def test_without_forwarded_headers_it_is_http_and_host() -> None:
    cap = _capture("listen", [("Host", "localhost:9000")], [])
    assert signed_url(cap) == "http://localhost:9000/sms/status?a=1"
