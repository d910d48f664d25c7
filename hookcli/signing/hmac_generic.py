"""A home-made HMAC scheme whose header, algorithm, encoding and prefix are configurable.

Defaults: ``X-Signature: <hex HMAC-SHA256(secret, body)>``. With ``timestamp_header`` set,
the timestamp is sent in that header and the signed content becomes
``timestamp + separator + body`` (separator ``.`` by default), checked against a tolerance
(300 s by default) in both directions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hookcli.errors import UsageError
from hookcli.signing.profile import Digest, Profile
from hookcli.signing.profile_scheme import ProfileScheme

# the [hmac] options keep their own, smaller choice (profiles have md5, sha384, base64url)
ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
OPTIONS = (
    "header",
    "algorithm",
    "encoding",
    "prefix",
    "timestamp_header",
    "separator",
    "tolerance",
)


class HmacScheme(ProfileScheme):
    """The ``[hmac]`` options of the config file, read as a profile that is never detected
    (its default header, X-Signature, is too common to name a sender)."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = dict(options or {})
        unknown = sorted(set(opts) - set(OPTIONS))
        if unknown:
            raise UsageError(
                f"unknown hmac option(s): {', '.join(unknown)}", f"known: {', '.join(OPTIONS)}"
            )
        header = _text(opts, "header", "X-Signature")
        ts_header = _text(opts, "timestamp_header", "", allow_empty=True)
        separator = _text(opts, "separator", ".", allow_empty=True)
        tol = opts.get("tolerance", 300)
        if isinstance(tol, bool) or not isinstance(tol, int) or tol < 0:
            raise UsageError(
                f"hmac option tolerance must be a whole number of seconds, not {tol!r}"
            )
        digest = Digest(
            (header,),
            _choice(opts, "algorithm", "sha256", ALGORITHMS),
            _choice(opts, "encoding", "hex", ENCODINGS),
            _text(opts, "prefix", "", allow_empty=True),
        )
        signed = ("{timestamp}", separator, "{body}") if ts_header else ("{body}",)
        super().__init__(
            Profile(
                name="hmac",
                digest=digest,
                title="Generic HMAC (configurable header, algorithm, encoding, prefix)",
                timestamp_header=ts_header,
                signed=tuple(p for p in signed if p),
                tolerance=tol,
                source="[hmac] options",
                hex_any_case=True,
            )
        )


def _text(opts: Mapping[str, Any], key: str, default: str, *, allow_empty: bool = False) -> str:
    value = opts.get(key, default)
    if not isinstance(value, str) or (not value and not allow_empty):
        raise UsageError(f"hmac option {key} must be a non-empty string, not {value!r}")
    return value


def _choice(opts: Mapping[str, Any], key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _text(opts, key, default).lower()
    if value not in allowed:
        raise UsageError(f"hmac option {key} must be one of {', '.join(allowed)}, not {value!r}")
    return value
