"""The profile language's shapes (structured headers, signature lists, numbered headers,
key decodings, timestamp formats, base64url, md5/sha384, {method} {path} {header:NAME},
plain hashes, tokens and HTTP Basic), each checked against an HMAC computed here by hand,
and every mistake reported as one error naming the file, the provider and the key."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from hookcli.errors import UsageError
from hookcli.signing.profile import ProfileError, parse
from hookcli.signing.profile_scheme import ProfileScheme

BODY = b'{"type":"order.paid","id":"ord_1"}'
NOW = 1_700_000_000


def scheme(**table: Any) -> ProfileScheme:
    return ProfileScheme(parse("acme", table, "test.toml"))


def mac(key: bytes, content: bytes, algo: str = "sha256") -> bytes:
    return hmac.new(key, content, algo).digest()


def test_structured_header_signs_and_verifies_with_spaces_and_several_signatures() -> None:
    s = scheme(
        signature_header="Acme-Signature",
        pair_separator=", ",
        timestamp_key="t",
        signature_key="v1",
        signed="{timestamp}.{body}",
    )
    (name, value), *_ = s.sign(BODY, "sec", NOW)
    good = mac(b"sec", f"{NOW}.".encode() + BODY).hex()
    assert (name, value) == ("Acme-Signature", f"t={NOW}, v1={good}")
    for header in (f"t={NOW},v1={good}", f" t = {NOW} ,v0=zz, v1=bad , v1={good}"):
        assert s.verify([("acme-signature", header)], BODY, "sec", NOW).ok, header
    bad = s.verify([("Acme-Signature", f"t={NOW},v1=bad")], BODY, "sec", NOW)
    assert bad.reason == "no_match"
    none = s.verify([("Acme-Signature", f"t={NOW},v0={good}")], BODY, "sec", NOW)
    assert none.reason == "malformed_header" and "v0=" in none.message
    no_ts = s.verify([("Acme-Signature", f"v1={good}")], BODY, "sec", NOW)
    assert no_ts.reason == "malformed_header" and "t=" in no_ts.message


def test_pairs_without_a_timestamp_and_a_space_separated_list() -> None:
    pairs = scheme(signature_header="X-Sig", pair_separator=",", signature_key=["v1", "v2"])
    good = mac(b"k", BODY).hex()
    assert pairs.verify([("X-Sig", f"v1=nope,v2={good}")], BODY, "k", NOW).ok
    spaced = scheme(signature_header="X-Sig", prefix="v1=", signature_separator=" ")
    assert spaced.verify([("X-Sig", f"v1=aa v1={good}")], BODY, "k", NOW).ok
    assert spaced.verify([("X-Sig", "v1=aa v1=bb")], BODY, "k", NOW).reason == "no_match"


def test_numbered_headers_any_may_match_and_resign_drops_them_all() -> None:
    s = scheme(signature_header="X-Sig-{n}", encoding="base64")
    good = base64.b64encode(mac(b"k", BODY)).decode()
    headers = [("X-Sig-1", "AAAA"), ("x-sig-2", good), ("X-Other", "1")]
    assert s.verify(headers, BODY, "k", NOW).ok
    assert s.verify(headers[:1], BODY, "k", NOW).reason == "no_match"
    assert s.verify([], BODY, "k", NOW).message == "missing X-Sig-1 header"
    fresh = s.resign(headers, BODY, "k", NOW)
    assert [k for k, _ in fresh] == ["X-Other", "X-Sig-1"]
    assert s.detect([("x-sig-1", "x")]) and s.headers == ("X-Sig-1",)


@pytest.mark.parametrize(
    ("key", "secret", "raw"),
    [
        ("utf8", "c2VjcmV0", b"c2VjcmV0"),
        ("base64", "c2VjcmV0", b"secret"),
        ("hex", "736563726574", b"secret"),
        ("whsec", "whsec_c2VjcmV0", b"secret"),
    ],
)
def test_key_decodings(key: str, secret: str, raw: bytes) -> None:
    s = scheme(signature_header="X-Sig", key=key)
    (_, value), *_ = s.sign(BODY, secret, NOW)
    assert value == mac(raw, BODY).hex()
    assert s.verify([("X-Sig", value)], BODY, secret, NOW).ok


def test_an_undecodable_key_is_a_bad_secret_and_a_usage_error_when_signing() -> None:
    s = scheme(signature_header="X-Sig", key="base64")
    verdict = s.verify([("X-Sig", "00")], BODY, "not base64!", NOW)
    assert verdict.reason == "bad_secret" and "base64" in (verdict.hint or "")
    with pytest.raises(UsageError):
        s.sign(BODY, "not base64!", NOW)


@pytest.mark.parametrize(
    ("fmt", "sent"),
    [
        ("unix", str(NOW)),
        ("unix_ms", str(NOW * 1000)),
        ("iso8601", "2023-11-14T22:13:20Z"),
    ],
)
def test_timestamp_formats_are_signed_as_sent(fmt: str, sent: str) -> None:
    s = scheme(
        signature_header="X-Sig",
        timestamp_header="X-Time",
        timestamp_format=fmt,
        signed="{timestamp}{body}",
    )
    headers = s.sign(BODY, "k", NOW)
    assert dict(headers)["X-Time"] == sent
    assert dict(headers)["X-Sig"] == mac(b"k", sent.encode() + BODY).hex()
    assert s.verify(headers, BODY, "k", NOW + 299).ok
    assert s.verify(headers, BODY, "k", NOW + 301).reason == "timestamp_too_old"


def test_iso_timestamps_with_offsets_and_nanoseconds() -> None:
    s = scheme(
        signature_header="X-Sig",
        timestamp_header="X-Time",
        timestamp_format="iso8601",
        signed="{timestamp}{body}",
    )
    for sent in ("2023-11-14T14:13:20-08:00", "2023-11-14T22:13:20.123456789Z"):
        good = mac(b"k", sent.encode() + BODY).hex()
        assert s.verify([("X-Sig", good), ("X-Time", sent)], BODY, "k", NOW).ok, sent
    bad = s.verify([("X-Sig", "00"), ("X-Time", "yesterday")], BODY, "k", NOW)
    assert bad.reason == "malformed_header" and "ISO-8601" in bad.message


def test_tolerance_rejects_old_only_or_both() -> None:
    table = {"signature_header": "X-Sig", "timestamp_header": "X-T", "signed": "{timestamp}{body}"}
    future = NOW + 3600
    both = scheme(**table)
    old = scheme(**table, tolerance_rejects="old")
    headers = both.sign(BODY, "k", future)
    assert both.verify(headers, BODY, "k", NOW).reason == "timestamp_too_new"
    assert old.verify(headers, BODY, "k", NOW).ok
    assert old.verify(headers, BODY, "k", future + 3600).reason == "timestamp_too_old"


@pytest.mark.parametrize("algo", ["md5", "sha384"])
def test_base64url_and_more_algorithms(algo: str) -> None:
    s = scheme(signature_header="X-Sig", algorithm=algo, encoding="base64url")
    (_, value), *_ = s.sign(BODY, "k", NOW)
    assert value == base64.urlsafe_b64encode(mac(b"k", BODY, algo)).decode().rstrip("=")
    assert s.verify([("X-Sig", value + "=" * (-len(value) % 4))], BODY, "k", NOW).ok


def test_method_path_and_header_placeholders() -> None:
    s = scheme(signature_header="X-Sig", signed="{method}\n{path}\n{header:X-Req}\n{body}")
    url = "https://h.example/hooks/a?b=1"
    headers = s.sign_request(BODY, "k", NOW, url=url, method="put", headers=[("X-Req", "r1")])
    expected = mac(b"k", b"PUT\n/hooks/a?b=1\nr1\n" + BODY).hex()
    assert headers == [("X-Sig", expected)]  # X-Req was there already
    request = [*headers, ("X-Req", "r1")]
    assert s.verify(request, BODY, "k", NOW, url=url, method="PUT").ok
    assert s.verify(request, BODY, "k", NOW, url=url).reason == "no_match"  # POST
    assert s.verify(headers, BODY, "k", NOW, url=url, method="PUT").reason == "missing_header"
    fabricated = s.sign(BODY, "k", NOW, url=url)
    assert [k for k, _ in fabricated] == ["X-Req", "X-Sig"]
    assert s.verify(fabricated, BODY, "k", NOW, url=url).ok


def test_plain_hash_mode() -> None:
    s = scheme(signature_header="X-Sig", mode="hash", signed="{secret}{body}")
    (_, value), *_ = s.sign(BODY, "k", NOW)
    assert value == hashlib.sha256(b"k" + BODY).hexdigest()
    assert s.verify([("X-Sig", value)], BODY, "k", NOW).ok
    assert s.verify([("X-Sig", value)], BODY, "other", NOW).reason == "no_match"


def test_token_and_basic_modes_compare_the_secret() -> None:
    token = scheme(signature_header="X-Token", mode="token")
    assert token.sign(BODY, "t0k", NOW) == [("X-Token", "t0k")]
    assert token.verify([("x-token", "t0k")], BODY, "t0k", NOW).ok
    assert token.verify([("x-token", "t0K")], BODY, "t0k", NOW).reason == "no_match"
    assert token.verify([], BODY, "t0k", NOW).reason == "missing_header"
    basic = scheme(mode="basic")
    (name, value), *_ = basic.sign(BODY, "user:pw", NOW)
    assert (name, value) == ("Authorization", "Basic dXNlcjpwdw==")
    assert basic.verify([(name, value)], BODY, "user:pw", NOW).ok
    assert basic.verify([(name, value)], BODY, "user:pX", NOW).reason == "no_match"
    assert basic.verify([(name, "Bearer x")], BODY, "user:pw", NOW).reason == "malformed_header"
    with pytest.raises(UsageError):
        basic.sign(BODY, "no-colon", NOW)


def test_legacy_signature_verifies_when_the_main_one_is_absent() -> None:
    s = scheme(
        signature_header="X-Sig-256",
        prefix="sha256=",
        legacy={"signature_header": "X-Sig", "algorithm": "sha1", "prefix": "sha1="},
    )
    headers = s.sign(BODY, "k", NOW)
    assert dict(headers)["X-Sig"] == "sha1=" + mac(b"k", BODY, "sha1").hex()
    verdict = s.verify([("X-Sig", dict(headers)["X-Sig"])], BODY, "k", NOW)
    assert verdict.ok and "legacy" in verdict.message


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"signature_header": "X", "mode": "rsa"}, "mode", "hmac, hash, token, basic"),
        ({"signature_header": "X", "key": "rot13"}, "key", "utf8, base64, hex, whsec"),
        ({"signature_header": "X", "encoding": "b32"}, "encoding", "base64url"),
        ({"signature_header": "X", "pair_separator": ","}, "pair_separator", "signature_key"),
        ({"signature_header": "X", "signature_key": "v1"}, "signature_key", "pair_separator"),
        ({"signature_header": "X", "timestamp_key": "t"}, "timestamp_key", "pair_separator"),
        (
            {"signature_header": "X", "pair_separator": ",", "signature_key": "v1="},
            "signature_key",
            "a key such as",
        ),
        (
            {
                "signature_header": "X",
                "pair_separator": ",",
                "signature_key": "v1",
                "timestamp_key": "t",
                "timestamp_header": "X-T",
            },
            "timestamp_key",
            "not both",
        ),
        ({"signature_header": "X", "timestamp_format": "iso8601"}, "timestamp_format", "no mean"),
        ({"signature_header": "X", "tolerance_rejects": "old"}, "tolerance_rejects", "no mean"),
        (
            {"signature_header": "X", "timestamp_header": "T", "tolerance_rejects": "new"},
            "tolerance_rejects",
            "both, old",
        ),
        ({"signature_header": "X", "mode": "hash"}, "signed", "{secret}"),
        ({"signature_header": "X", "signed": "{secret}{body}"}, "signed", "hash"),
        ({"signature_header": "X", "signed": "{header:}{body}"}, "signed", "does not name"),
        ({"signature_header": "X", "signed": "{verb}{body}"}, "signed", "{method}"),
        ({"signature_header": "X", "mode": "token", "signed": "{body}"}, "signed", "token"),
        ({"signature_header": "X", "mode": "basic", "algorithm": "sha1"}, "algorithm", "basic"),
        ({"signature_header": ["X-{n}", "Y"]}, "signature_header", "only name"),
        ({"signature_header": "X{m}"}, "signature_header", "not a header name"),
        ({"signature_header": "X", "pair_separator": ""}, "pair_separator", "separator"),
        (
            {"signature_header": "X", "legacy": {"signature_header": "Y-{n}"}},
            "legacy.signature_header",
            "not a header name",
        ),
    ],
)
def test_every_mistake_names_file_provider_and_key(
    table: dict[str, Any], key: str, words: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        parse("acme", table, "test.toml")
    message = caught.value.message
    assert message.startswith(f"test.toml: [providers.acme] {key}: "), message
    assert words in message + (caught.value.hint or ""), message
