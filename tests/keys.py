"""Keys for the public-key providers in tests: what signs (``fabricate --secret``) and what
the receiver holds (``verify --secret``), fixed so that runs are reproducible."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hookcli.signing import pubkey
from hookcli.signing.discord import public_key_hex

DISCORD_SEED = hashlib.sha256(b"hookcli-tests-discord-seed").hexdigest()
TELNYX_SEED = hashlib.sha256(b"hookcli-tests-telnyx-seed").hexdigest()
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256 = ec.derive_private_key(
    int.from_bytes(hashlib.sha256(b"hookcli-tests-sendgrid-key").digest()) % _P256_ORDER,
    ec.SECP256R1(),
)
SENDGRID_PEM = _P256.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode("ascii")

#: provider -> (signing secret, receiving secret)
ASYMMETRIC: dict[str, tuple[str, str]] = {
    "discord": (DISCORD_SEED, public_key_hex(DISCORD_SEED)),
    "telnyx": (
        TELNYX_SEED,
        pubkey.ed25519_public_b64(pubkey.ed25519_private(TELNYX_SEED, "telnyx", "")),
    ),
    "sendgrid": (SENDGRID_PEM, pubkey.spki_b64(_P256)),
}

_OTHER_P256 = ec.derive_private_key(7, ec.SECP256R1())
#: a well-formed receiving key that did not sign: verify says invalid (exit 1), not a usage error
WRONG_RECEIVING: dict[str, str] = {
    "discord": "00" * 32,
    "telnyx": pubkey.ed25519_public_b64(pubkey.ed25519_private("01" * 32, "telnyx", "")),
    "sendgrid": pubkey.spki_b64(_OTHER_P256),
}


def signing(provider: str, default: str) -> str:
    return ASYMMETRIC[provider][0] if provider in ASYMMETRIC else default


def receiving(provider: str, default: str) -> str:
    return ASYMMETRIC[provider][1] if provider in ASYMMETRIC else default
