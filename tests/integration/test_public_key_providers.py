"""Telnyx (Ed25519) and SendGrid (ECDSA P-256) through the CLI: `fabricate --secret` takes
the private key (`@key.pem`, the PEM text, or an Ed25519 seed in hex) and prints the public
key in the provider's dashboard format, which `verify --secret` takes and the provider's
own verifier accepts; keys that cannot be one are usage errors naming what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests import keys, official
from tests.conftest import run
from tests.receiver import Receiver


def _pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize("provider", ["telnyx", "sendgrid"])
def test_fabricate_from_a_pem_file_prints_the_public_key_that_verifies(
    store: Path, receiver: Receiver, tmp_path: Path, provider: str
) -> None:
    import base64

    if provider == "telnyx":
        key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
            ed25519.Ed25519PrivateKey.generate()
        )
        public = base64.b64encode(key.public_key().public_bytes_raw()).decode()  # type: ignore[union-attr]
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        public = base64.b64encode(der).decode()
    pem = tmp_path / "key.pem"
    pem.write_bytes(_pem(key))
    r = run(store, "fabricate", provider, "--secret", f"@{pem}", "--to", receiver.url + "/h")
    assert r.returncode == 0, r.stderr.decode()
    assert f"note: {provider} " in r.stderr.decode() and public in r.stderr.decode()
    seen = receiver.wait(1)[-1]
    assert official.accepts(provider, seen.headers, seen.body, public) is True
    assert official.accepts(provider, seen.headers, seen.body + b" ", public) is False
    assert run(store, "verify", "last", "--secret", public).returncode == 0
    wrong = keys.WRONG_RECEIVING[provider]
    r = run(store, "verify", "last", "--secret", wrong)
    assert r.returncode == 1 and b"invalid: " in r.stdout


@pytest.mark.parametrize(
    ("provider", "bad", "expected"),
    [
        ("telnyx", "abc", "base64 of 32 bytes"),
        ("telnyx", keys.DISCORD_SEED, "base64 of 32 bytes"),
        ("sendgrid", "not-base64!", "base64 DER of an ECDSA P-256 public key"),
        ("sendgrid", keys.ASYMMETRIC["telnyx"][1], "base64 DER of an ECDSA P-256 public key"),
    ],
)
def test_a_wrong_public_key_is_a_usage_error(
    store: Path, receiver: Receiver, provider: str, bad: str, expected: str
) -> None:
    secret = keys.signing(provider, "")
    r = run(store, "fabricate", provider, "--secret", secret, "--to", receiver.url + "/h")
    assert r.returncode == 0, r.stderr.decode()
    r = run(store, "verify", "last", "--secret", bad)
    err = r.stderr.decode()
    assert r.returncode == 2 and expected in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("provider", "bad", "expected"),
    [
        ("telnyx", "zz" * 32, "Ed25519 PEM key or a 32-byte seed"),
        ("telnyx", "@/nonexistent/key.pem", "cannot read /nonexistent/key.pem"),
        ("sendgrid", keys.TELNYX_SEED, "P-256 key in PEM"),
        ("sendgrid", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "PEM"),
    ],
)
def test_a_wrong_private_key_is_a_usage_error(
    store: Path, provider: str, bad: str, expected: str
) -> None:
    r = run(store, "fabricate", provider, "--secret", bad, "--print")
    err = r.stderr.decode()
    assert r.returncode == 2 and expected in err and "Traceback" not in err


def test_an_ed25519_pem_is_not_a_sendgrid_key(store: Path, tmp_path: Path) -> None:
    pem = tmp_path / "ed.pem"
    pem.write_bytes(_pem(ed25519.Ed25519PrivateKey.generate()))
    r = run(store, "fabricate", "sendgrid", "--secret", f"@{pem}", "--print")
    assert r.returncode == 2 and b"must be an ECDSA P-256 key" in r.stderr
