"""Redaction: credentials and signatures out, names and order kept, named body fields
replaced wherever they are, nothing else touched."""

from __future__ import annotations

import json

import pytest

from hookcli.errors import UsageError
from hookcli.export.redact import PLACEHOLDER, Redactor, signature_headers
from hookcli.model.capture import Capture

HEADERS = [
    ("Host", "example.test"),
    ("Authorization", "Bearer sk_live_1"),
    ("cookie", "a=b"),
    ("Set-Cookie", "c=d"),
    ("X-API-Key", "k"),
    ("X-Shopify-Access-Token", "shpat"),
    ("X-Hub-Signature-256", "sha256=ab"),
    ("webhook-timestamp", "1700000000"),
    ("X-Request-Id", "r-1"),
    ("Content-Type", "application/json"),
]


def redactor(*fields: str) -> Redactor:
    return Redactor(fields, signature_headers({"header": "X-Acme-Sig"}))


def test_credential_and_signature_headers_keep_name_and_place() -> None:
    c = Capture("POST", "/h", "", [*HEADERS, ("X-Acme-Sig", "deadbeef")], b"{}")
    out = redactor()(c)
    assert [k for k, _ in out.headers] == [k for k, _ in c.headers]
    kept = {"Host", "X-Request-Id", "Content-Type"}
    for (k, v), (_, before) in zip(out.headers, c.headers, strict=True):
        assert v == (before if k in kept else PLACEHOLDER), k
    assert out.body == b"{}" and c.headers[1][1] == "Bearer sk_live_1", "the original is untouched"


def test_every_provider_signature_header_is_known() -> None:
    names = signature_headers()
    for name in (
        "stripe-signature",
        "x-hub-signature",
        "x-slack-signature",
        "webhook-signature",
        "svix-signature",
        "x-twilio-signature",
        "x-shopify-hmac-sha256",
        "x-signature",
    ):
        assert name in names


def test_credential_query_parameters() -> None:
    c = Capture("GET", "/h", "a=1&token=t&api_key=k&key=x&sig=s&b=2&flag", [], b"")
    assert redactor()(c).query == (
        f"a=1&token={PLACEHOLDER}&api_key={PLACEHOLDER}&key={PLACEHOLDER}&sig={PLACEHOLDER}"
        "&b=2&flag"
    )


def test_json_body_fields_with_wildcards() -> None:
    doc = {"data": {"items": [{"email": "a@x", "n": 1}, {"email": "b@x"}], "email": "c@x"}}
    c = Capture("POST", "/h", "", [("Content-Type", "application/json")], json.dumps(doc).encode())
    r = redactor("body.data.items.*.email", "body.data.email", "body.missing.path")
    out = json.loads(r(c).body)
    assert out["data"]["items"] == [{"email": PLACEHOLDER, "n": 1}, {"email": PLACEHOLDER}]
    assert out["data"]["email"] == PLACEHOLDER
    assert "missing" not in out, "a path that matches nothing creates nothing"
    assert r.matched == {"body.data.items.*.email": 2, "body.data.email": 1, "body.missing.path": 0}


def test_form_body_fields_and_untouched_bodies_keep_their_bytes() -> None:
    form = Capture(
        "POST",
        "/sms",
        "",
        [("Content-Type", "application/x-www-form-urlencoded")],
        b"From=%2B1555&Body=hi+there&To=x",
    )
    assert redactor("body.Body")(form).body == f"From=%2B1555&Body={PLACEHOLDER}&To=x".encode()
    pretty = b'{\n  "a": 1\n}\n'
    c = Capture("POST", "/h", "", [], pretty)
    assert redactor("body.b")(c).body == pretty
    binary = Capture("POST", "/h", "", [], b"\xff\x00")
    assert redactor("body.a")(binary).body == b"\xff\x00"


@pytest.mark.parametrize("field", ["data.email", "body", "body.", "headers.x"])
def test_a_field_must_name_the_body(field: str) -> None:
    with pytest.raises(UsageError, match=r"body\.PATH"):
        redactor(field)
