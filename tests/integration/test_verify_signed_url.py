"""verify takes the URL a signature covers from where hookcli sent the capture: a Twilio
event fabricated to an https URL verifies without --url (the Host header alone would
rebuild http://...)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from tests.conftest import run, run_json
from tests.receiver import TlsReceiver

TOKEN = "twilio-auth-token"


def test_fabricated_twilio_event_to_https_verifies_as_sent(tmp_path: Path) -> None:
    from twilio.request_validator import RequestValidator

    store = tmp_path / "store"
    tls = TlsReceiver(tmp_path)
    try:
        url = f"{tls.url}/sms/status?acct=1"
        r = run(
            store,
            "fabricate",
            "twilio",
            "message_status",
            "--to",
            url,
            "--secret",
            TOKEN,
            SSL_CERT_FILE=str(tls.ca_file),
        )
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout.decode().startswith(f"#1 twilio message_status -> {url}: 200 OK")
        seen = tls.inner.wait(1)[-1]
    finally:
        tls.stop()
    # the app behind https got a request that Twilio's own validator accepts for that URL
    params = dict(parse_qsl(seen.body.decode(), keep_blank_values=True))
    assert RequestValidator(TOKEN).validate(url, params, seen.header("X-Twilio-Signature"))

    verdict = run_json(store, "verify", "last", "--secret", TOKEN)
    assert verdict["valid"] is True, verdict
    http_url = url.replace("https://", "http://")
    r = run(store, "verify", "last", "--secret", TOKEN, "--url", http_url)
    assert r.returncode == 1 and f"does not match {http_url}" in r.stdout.decode()
