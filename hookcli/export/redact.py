"""Take credentials and chosen personal data out of a capture before it leaves the store.

Fixtures and HAR files end up in repositories and bug reports, so `export` redacts them by
default: credential headers (Authorization, Cookie, Set-Cookie, API keys and tokens),
every provider's signature headers (tests re-sign with their own secret, so the captured
signature is worth nothing there), credential-like query parameters, and the JSON or form
body fields the user names with `--redact-field body.PATH`. What is redacted keeps its
place and name; only the value becomes PLACEHOLDER, so header order and provider detection
(which looks at names) survive."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hookcli.errors import UsageError
from hookcli.model import headers as hdr
from hookcli.model import jsonedit
from hookcli.model.capture import Capture

PLACEHOLDER = "REDACTED"

#: header and query parameter names that carry credentials, matched case-insensitively
#: anywhere in the name (X-Api-Key, X-Auth-Token, X-Gitlab-Token, X-Shopify-Access-Token,
#: X-Hub-Signature-256, X-Shopify-Hmac-Sha256, Proxy-Authorization, ...)
_CREDENTIAL = re.compile(
    r"auth|cookie|token|secret|passw|api[-_]?key|signature|hmac|session|credential|private",
    re.IGNORECASE,
)
#: short query parameter names that are credentials by convention (?key=, ?sig=)
_QUERY_NAMES = frozenset({"key", "sig", "code", "access_token"})


def signature_headers(hmac_options: Mapping[str, Any] | None = None) -> frozenset[str]:
    """Lower-cased names of every provider's signature headers (the configured generic
    HMAC header too): from the signing registry, so a new provider is covered at once."""
    from hookcli.signing import registry

    names: set[str] = set()
    for name in registry.NAMES:
        scheme = registry.get(name, hmac_options if name == "hmac" else None)
        names.update(n.lower() for n in scheme.signature_header_names())
    return frozenset(names)


def parse_field(text: str) -> list[jsonedit.PathPart | None]:
    """`body.a.*.b` -> ["a", None, "b"]: None (`*`) matches every key or index."""
    head, dot, rest = text.partition(".")
    if head != "body" or not dot or not rest:
        raise UsageError(
            f"--redact-field {text!r}: name a body field as body.PATH",
            "e.g. --redact-field body.data.object.email (`*` matches any key or index)",
        )
    return [None if p == "*" else p for p in jsonedit.parse_path(rest)]


@dataclass
class Redactor:
    """Redacts captures; counts what each body field matched so the CLI can say when a
    --redact-field matched nothing (a typo would otherwise leak the data it meant to hide)."""

    fields: Sequence[str] = ()
    signature_names: frozenset[str] = frozenset()
    matched: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._paths = [(f, parse_field(f)) for f in self.fields]
        self.matched = {f: 0 for f in self.fields}

    def secret_header(self, name: str) -> bool:
        low = name.lower()
        return low in self.signature_names or _CREDENTIAL.search(low) is not None

    def __call__(self, capture: Capture) -> Capture:
        headers = [(k, PLACEHOLDER if self.secret_header(k) else v) for k, v in capture.headers]
        return replace(
            capture,
            headers=headers,
            query=_redact_query(capture.query),
            body=self._body(capture),
        )

    def _body(self, capture: Capture) -> bytes:
        if not self._paths or not capture.body:
            return capture.body
        ctype = (hdr.get(capture.headers, "Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            return self._form(capture.body)
        try:
            doc = json.loads(capture.body)
        except (ValueError, UnicodeDecodeError):
            return capture.body
        hits = 0
        for name, path in self._paths:
            n = _redact_path(doc, path)
            self.matched[name] += n
            hits += n
        if not hits:
            return capture.body  # untouched: keep the bytes exactly as they came
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _form(self, body: bytes) -> bytes:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return body
        hits = 0
        out = []
        for k, v in pairs:
            for name, path in self._paths:
                if len(path) == 1 and path[0] in (None, k):
                    self.matched[name] += 1
                    hits += 1
                    v = PLACEHOLDER
            out.append((k, v))
        return urlencode(out).encode("ascii") if hits else body


def _redact_path(node: Any, path: Sequence[jsonedit.PathPart | None]) -> int:
    """Replace what PATH reaches in NODE with the placeholder; how many values it reached.
    A path that reaches nothing changes nothing (no keys are created)."""
    if not path:
        return 0
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        keys: Iterable[Any] = list(node) if head is None else [str(head)]
    elif isinstance(node, list):
        if head is None:
            keys = range(len(node))
        elif isinstance(head, int) and head < len(node):
            keys = [head]
        else:
            return 0
    else:
        return 0
    hits = 0
    for key in keys:
        if isinstance(node, dict) and key not in node:
            continue
        if rest:
            hits += _redact_path(node[key], rest)
        else:
            node[key] = PLACEHOLDER
            hits += 1
    return hits


def _redact_query(query: str) -> str:
    if not query:
        return query
    parts = []
    for item in query.split("&"):
        name, eq, _ = item.partition("=")
        if eq and (name.lower() in _QUERY_NAMES or _CREDENTIAL.search(name)):
            item = f"{name}={PLACEHOLDER}"
        parts.append(item)
    return "&".join(parts)
