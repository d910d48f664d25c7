"""The configurable generic HMAC scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from hookcli.errors import UsageError
from hookcli.signing.hmac_generic import HmacScheme

BODY = b'{"a":1}'


def test_defaults_are_hex_sha256_in_x_signature() -> None:
    headers = HmacScheme().sign(BODY, "k", 0)
    assert headers == [("X-Signature", hmac.new(b"k", BODY, hashlib.sha256).hexdigest())]


@pytest.mark.parametrize("alg", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("enc", ["hex", "base64"])
def test_algorithm_encoding_prefix(alg: str, enc: str) -> None:
    scheme = HmacScheme(
        {"header": "X-Hook-Sig", "algorithm": alg, "encoding": enc, "prefix": f"{alg}="}
    )
    mac = hmac.new(b"k", BODY, alg).digest()
    text = mac.hex() if enc == "hex" else base64.b64encode(mac).decode()
    assert scheme.sign(BODY, "k", 0) == [("X-Hook-Sig", f"{alg}={text}")]
    assert scheme.verify([("x-hook-sig", f"{alg}={text}")], BODY, "k", 0).ok


def test_timestamp_header_signs_timestamp_and_checks_tolerance() -> None:
    scheme = HmacScheme({"timestamp_header": "X-Timestamp", "tolerance": 60})
    headers = scheme.sign(BODY, "k", 1000)
    expected = hmac.new(b"k", b"1000." + BODY, hashlib.sha256).hexdigest()
    assert headers == [("X-Timestamp", "1000"), ("X-Signature", expected)]
    assert scheme.verify(headers, BODY, "k", 1060).ok
    assert scheme.verify(headers, BODY, "k", 1061).reason == "timestamp_too_old"
    assert scheme.verify(headers, BODY, "k", 939).reason == "timestamp_too_new"
    assert scheme.verify(headers[1:], BODY, "k", 1000).reason == "missing_header"


def test_wrong_prefix_is_malformed() -> None:
    scheme = HmacScheme({"prefix": "sha256="})
    v = scheme.verify([("X-Signature", "abc")], BODY, "k", 0)
    assert v.reason == "malformed_header" and "sha256=" in v.message


def test_hex_comparison_ignores_case() -> None:
    (name, value), *_ = HmacScheme().sign(BODY, "k", 0)
    assert HmacScheme().verify([(name, value.upper())], BODY, "k", 0).ok


@pytest.mark.parametrize(
    "options",
    [
        {"algorithm": "md5"},
        {"encoding": "base32"},
        {"header": ""},
        {"tolerance": "soon"},
        {"colour": "blue"},
    ],
)
def test_bad_options_are_usage_errors(options: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        HmacScheme(options)
