"""Fabricate: template -> placeholders -> --data -> --set -> bytes -> signed request.

Pure: nothing is sent or stored here; the CLI sends and records the result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from hookcli.errors import UsageError
from hookcli.events import catalog
from hookcli.events.placeholders import Placeholders
from hookcli.model import headers as hdr
from hookcli.model import jsonedit
from hookcli.model.headers import HeaderList
from hookcli.signing import registry, twilio

DEFAULT_BASE_URL = "http://127.0.0.1:9000"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class FabricatedRequest:
    method: str
    url: str
    headers: HeaderList
    body: bytes
    provider: str
    event_type: str | None  # as detected from the signed request: what `ls` will show
    event: str = ""  # the template it was made from: what the user asked for
    #: what the user must configure on the receiving side, when not the secret itself
    #: (Discord: the public key of the private seed that signed)
    note: str | None = None


def _is_form(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == FORM


def _parse_data(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"--data is not valid JSON: {exc}") from None


def _form_fields(doc: Any, what: str) -> list[tuple[str, str]]:
    if not isinstance(doc, dict):
        raise UsageError(f"{what} must be a JSON object of form fields for a form-encoded body")
    out = []
    for k, v in doc.items():
        if isinstance(v, dict | list):
            raise UsageError(f"{what}: form field {k!r} must be a scalar, not {type(v).__name__}")
        out.append((k, _form_value(v)))
    return out


def _form_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def _apply_form_sets(fields: dict[str, Any], sets: Sequence[str]) -> dict[str, Any]:
    out = dict(fields)
    for expr in sets:
        path, value = jsonedit.parse_set(expr)
        if len(path) != 1:
            raise UsageError(
                f"--set {expr!r}: the body is form-encoded, so only a field name can be set, "
                f"not the path {jsonedit.format_path(path)}"
            )
        out[str(path[0])] = _form_value(value)
    return out


def _apply_json_sets(doc: Any, sets: Sequence[str]) -> Any:
    if not isinstance(doc, dict | list):
        raise UsageError(f"--set needs a JSON object or array body, not {type(doc).__name__}")
    return jsonedit.apply_sets(doc, sets)


def _serialize(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _body(template_body: Any, content_type: str, data: bytes | None, sets: Sequence[str]) -> bytes:
    if data is not None and not data.strip() and not sets:
        return data  # --data '': an empty body, on purpose (what does the app do with one?)
    doc = template_body if data is None else _parse_data(data)
    if _is_form(content_type):
        fields = dict(_form_fields(doc, "--data" if data is not None else "the template body"))
        return urlencode(list(_apply_form_sets(fields, sets).items())).encode("ascii")
    if data is not None and not sets:
        return data  # the user's bytes, exactly as given
    if sets:
        doc = _apply_json_sets(doc, sets)
    return _serialize(doc)


def build(
    provider: str,
    event: str | None = None,
    *,
    secret: str,
    url: str | None = None,
    now: int | None = None,
    data: bytes | None = None,
    sets: Sequence[str] = (),
    extra_headers: Sequence[tuple[str, str]] = (),
    template_dirs: Sequence[Path] = (),
    hmac_options: Mapping[str, Any] | None = None,
) -> FabricatedRequest:
    """A realistic, signed request for EVENT of PROVIDER, ready to send to URL.

    ``data`` (raw JSON) replaces the template body and is sent byte-exact unless ``sets``
    edit it; ``extra_headers`` add or replace headers after signing (so they can also
    override a signature on purpose). For Twilio the signature covers URL, so the request
    must be sent to exactly the URL returned; a non-form body gets ``bodySHA256`` added.
    """
    key = registry.canonical(provider)
    scheme = registry.get(key, hmac_options)
    event = event or catalog.default_event(key, template_dirs)
    template = catalog.load(key, event, template_dirs)
    if not secret:
        raise UsageError(f"no secret for {key}", "pass --secret or set it in config")
    moment = int(time.time()) if now is None else now
    rendered = Placeholders(moment, event, key, template.source).render(template.data)
    content_type = str(rendered.get("content_type", "application/json"))
    headers: HeaderList = [(str(k), str(v)) for k, v in rendered["headers"]]
    if catalog.is_generic(template):
        headers, rendered["body"] = scheme.with_event(headers, rendered["body"], event)
    body = scheme.prepare_body(_body(rendered["body"], content_type, data, sets), secret, moment)

    target = url or DEFAULT_BASE_URL + str(rendered.get("path", "/"))
    if key == "twilio" and not _is_form(content_type):
        target = twilio.url_for_body(target, body)

    if not hdr.has(headers, "Content-Type"):
        headers.insert(0, ("Content-Type", content_type))
    method = str(rendered.get("method", "POST")).upper()
    signed = scheme.sign_request(body, secret, moment, url=target, method=method, headers=headers)
    headers = hdr.replace(headers, signed)
    headers = hdr.replace(headers, extra_headers)
    kind = registry.event_type(key, headers, body) or event
    note = scheme.signing_note(secret)
    return FabricatedRequest(method, target, headers, body, key, kind, event, note)


def list_events(provider: str, template_dirs: Sequence[Path] = ()) -> list[str]:
    """The events ``fabricate PROVIDER --list`` shows."""
    return catalog.list_events(provider, template_dirs)
