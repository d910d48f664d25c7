"""GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``.

The legacy ``X-Hub-Signature: sha1=<hex>`` is still sent and is accepted when it is the
only one; when the SHA-256 header is present it alone decides (no downgrade). The full
``sha256=<lowercase hex>`` string is compared, as GitHub's docs and octokit do.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from hookcli.model import headers as hdr
from hookcli.model.headers import HeaderList
from hookcli.signing.base import Scheme, Verdict, missing, no_match, same

HEADER_256 = "X-Hub-Signature-256"
HEADER_SHA1 = "X-Hub-Signature"
_ALGS = {HEADER_256: ("sha256", hashlib.sha256), HEADER_SHA1: ("sha1", hashlib.sha1)}


def _signature(header: str, secret: str, body: bytes) -> str:
    prefix, digest = _ALGS[header]
    return f"{prefix}=" + hmac.new(secret.encode("utf-8"), body, digest).hexdigest()


class GitHubScheme(Scheme):
    name = "github"
    title = "GitHub (sha256=<hex HMAC-SHA256>, legacy sha1)"
    headers = (HEADER_256, HEADER_SHA1)
    detect_headers = ("x-hub-signature-256", "x-hub-signature", "x-github-event")
    delivery_id_headers = ("x-github-delivery",)

    def sign(
        self,
        body: bytes,
        secret: str,
        now: int,
        url: str | None = None,
        msg_id: str | None = None,
    ) -> HeaderList:
        return [
            (HEADER_SHA1, _signature(HEADER_SHA1, secret, body)),
            (HEADER_256, _signature(HEADER_256, secret, body)),
        ]

    def _verify(
        self,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        secret: str,
        now: int,
        tolerance: int | None,
        url: str | None,
    ) -> Verdict:
        for name in (HEADER_256, HEADER_SHA1):
            value = hdr.get(headers, name)
            if value is not None and value.strip():
                return self._check(name, value.strip(), body, secret)
        return missing(HEADER_256)

    @staticmethod
    def _check(name: str, value: str, body: bytes, secret: str) -> Verdict:
        prefix = _ALGS[name][0] + "="
        if not value.startswith(prefix):
            return Verdict.fail(
                "malformed_header", f"malformed {name} header: value does not start with {prefix}"
            )

        def matches(payload: bytes) -> bool:
            return same(_signature(name, secret, payload), value)

        if matches(body):
            legacy = " (legacy SHA-1 header)" if name == HEADER_SHA1 else ""
            return Verdict.valid(f"signature valid{legacy}")
        return no_match(f"{name} does not match the body", body, matches)
