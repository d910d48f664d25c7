"""The keys of the public-key schemes (Telnyx's Ed25519, SendGrid's ECDSA P-256).

The provider keeps the private key, so hookcli signs with one of the user's (``fabricate
--secret``: ``@key.pem``, the PEM text itself, or for Ed25519 a 32-byte seed in hex) and
says which public key goes with it, in the format the provider's dashboard shows; the
receiver holds that public key (``verify --secret``). A key that cannot be one is a usage
error naming the provider and the format expected, never a verdict.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import TYPE_CHECKING

from hookcli.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import (
        EllipticCurvePrivateKey,
        EllipticCurvePublicKey,
    )
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

PEM = "-----BEGIN"


def key_text(secret: str, provider: str) -> str:
    """SECRET itself, or the content of the file ``@PATH`` names."""
    text = secret.strip()
    if not text.startswith("@"):
        return text
    path = Path(text[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not a text (PEM) file"
        raise UsageError(f"{provider} key: cannot read {path}: {problem}") from None


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


# --- Ed25519 (Telnyx) -------------------------------------------------------------------


def ed25519_private(secret: str, provider: str, hint: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM (PKCS#8) key or a 32-byte seed in hex."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    text = key_text(secret, provider)
    if text.startswith(PEM):
        key = _pem_private(text, provider, hint)
        if isinstance(key, Ed25519PrivateKey):
            return key
        raise UsageError(f"the {provider} private key must be an Ed25519 key", hint)
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise UsageError(
            f"the {provider} private key must be an Ed25519 PEM key or a 32-byte seed in hex "
            f"(64 hex digits)",
            hint,
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def ed25519_public(secret: str, provider: str, hint: str) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 of its raw 32 bytes (or a PEM public key)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = key_text(secret, provider)
    if text.startswith(PEM):
        key = _pem_public(text, provider, hint)
        if isinstance(key, Ed25519PublicKey):
            return key
        raise UsageError(f"the {provider} public key must be an Ed25519 key", hint)
    raw = _b64(text)
    if raw is None or len(raw) != 32:
        raise UsageError(
            f"the {provider} public key must be base64 of 32 bytes (an Ed25519 key)", hint
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def ed25519_public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode("ascii")


# --- ECDSA P-256 (SendGrid) -------------------------------------------------------------


def p256_private(secret: str, provider: str, hint: str) -> EllipticCurvePrivateKey:
    """An ECDSA P-256 private key from PEM (``@key.pem`` or the PEM text)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    text = key_text(secret, provider)
    if not text.startswith(PEM):
        raise UsageError(f"the {provider} private key must be a P-256 key in PEM", hint)
    key = _pem_private(text, provider, hint)
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise UsageError(f"the {provider} private key must be an ECDSA P-256 key", hint)


def p256_public(secret: str, provider: str, hint: str) -> EllipticCurvePublicKey:
    """An ECDSA P-256 public key from base64 DER SubjectPublicKeyInfo (or PEM)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    text = key_text(secret, provider)
    if text.startswith(PEM):
        key = _pem_public(text, provider, hint)
    else:
        der = _b64(text)
        try:
            key = load_der_public_key(der) if der else None
        except (ValueError, TypeError):
            key = None
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise UsageError(
        f"the {provider} public key must be base64 DER of an ECDSA P-256 public key", hint
    )


def spki_b64(key: EllipticCurvePrivateKey) -> str:
    """The public key of KEY as base64 DER SubjectPublicKeyInfo, on one line."""
    from cryptography.hazmat.primitives import serialization

    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def _pem_private(text: str, provider: str, hint: str) -> object:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(text.encode("utf-8"), password=None)
    except (ValueError, TypeError) as exc:
        problem = f"the {provider} private key is not a usable PEM key: {exc}"
        raise UsageError(problem, hint) from None


def _pem_public(text: str, provider: str, hint: str) -> object:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        return load_pem_public_key(text.encode("utf-8"))
    except (ValueError, TypeError) as exc:
        problem = f"the {provider} public key is not a usable PEM key: {exc}"
        raise UsageError(problem, hint) from None
