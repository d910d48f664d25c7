"""Discord interactions: Ed25519, not HMAC.

``X-Signature-Ed25519: <hex signature of timestamp + body>`` and
``X-Signature-Timestamp: <timestamp>``, with no separator between timestamp and body. The
receiver holds only the application's PUBLIC key (hex, 32 bytes: Developer Portal >
General Information > Public Key), so for ``verify`` the secret is that public key; to sign
(``fabricate``, re-signing) the secret is a 32-byte PRIVATE seed in hex, whose public key is
printed for the user to configure. Ed25519 comes from the ``cryptography`` package: the
standard library has none. No freshness check by default, as in discord-interactions.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

from hookcli.errors import UsageError
from hookcli.model.headers import HeaderList
from hookcli.signing.base import (
    Scheme,
    Verdict,
    field,
    json_object,
    judged,
    signature_and_timestamp,
)

SIG_HEADER = "X-Signature-Ed25519"
TS_HEADER = "X-Signature-Timestamp"
KEY_BYTES = 32
_INTERACTION_TYPES = {
    1: "ping",
    2: "application_command",
    3: "message_component",
    4: "application_command_autocomplete",
    5: "modal_submit",
}


def key_bytes(secret: str, what: str) -> bytes:
    """The 32 bytes of a hex key; UsageError (exit 2) naming WHAT otherwise."""
    text = secret.strip()
    problem = f"{len(text)} digits"
    if len(text) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(text)
        except ValueError:
            problem = "characters that are not hex digits"
    raise UsageError(
        f"the discord {what} must be {KEY_BYTES} bytes of hex (64 hex digits), not {problem}",
        _hint(what),
    )


def _hint(what: str) -> str:
    if what == "public key":
        return "verify takes the application's Public Key from the Discord Developer Portal"
    return (
        "fabricate takes a private seed, e.g. `python -c 'import os; print(os.urandom(32).hex())'`"
    )


def public_key_hex(seed_hex: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(key_bytes(seed_hex, "private seed"))
    return private.public_key().public_bytes_raw().hex()


class DiscordScheme(Scheme):
    name = "discord"
    title = "Discord interactions (Ed25519 over timestamp+body; verify: public key hex)"
    public_key = True
    docs = (
        "https://discord.com/developers/docs/interactions/overview"
        "#setting-up-an-endpoint-validating-security-request-headers"
    )
    headers = (SIG_HEADER, TS_HEADER)
    detect_headers = ("x-signature-ed25519",)
    default_tolerance = None

    def secret_problem(self, secret: str) -> Verdict | None:
        key_bytes(secret, "public key")  # a wrong key is a usage error, not a verdict
        return None

    def signing_note(self, secret: str) -> str | None:
        return f"discord public key for this seed: {public_key_hex(secret)}"

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.from_private_bytes(key_bytes(secret, "private seed"))
        ts = str(now)
        return [(SIG_HEADER, private.sign(ts.encode() + body).hex()), (TS_HEADER, ts)]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        pair = signature_and_timestamp(headers, SIG_HEADER, TS_HEADER)
        if isinstance(pair, Verdict):
            return pair
        sig_text, ts_text = pair
        try:
            sig = binascii.unhexlify(sig_text)
        except (binascii.Error, ValueError):
            sig = b""
        if len(sig) != 64:
            return Verdict.fail(
                "malformed_header",
                f"malformed {SIG_HEADER} header: not 64 bytes of hex (an Ed25519 signature)",
            )
        public = Ed25519PublicKey.from_public_bytes(key_bytes(secret, "public key"))

        def matches(payload: bytes) -> bool:
            try:
                public.verify(sig, ts_text.encode() + payload)
            except InvalidSignature:
                return False
            return True

        return judged(
            matches,
            body,
            ts_text,
            TS_HEADER,
            now,
            self.tolerance_for(tolerance),
            f"{SIG_HEADER} is not a valid signature of timestamp + body",
            "wrong public key, or the body or timestamp changed after signing",
        )

    def event_type(self, headers: Sequence[tuple[str, str]], body: bytes) -> str | None:
        kind = field(json_object(body), "type")
        if isinstance(kind, int) and not isinstance(kind, bool):
            return _INTERACTION_TYPES.get(kind, str(kind))
        return None
