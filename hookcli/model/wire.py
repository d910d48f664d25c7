"""Raw HTTP/1.1 rendering of a request: what `show --raw` and `fabricate --print` print."""

from __future__ import annotations

from collections.abc import Sequence

from hookcli.model import headers as hdrs

# Framing headers that no longer describe the stored body; Content-Length replaces them.
_FRAMING = {"transfer-encoding", "content-length"}


def render_request(
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    http_version: str = "1.1",
    headers_encoding: str = hdrs.UTF8,
) -> bytes:
    """Request line, headers in order, blank line, body. A chunked upload is rendered with
    Content-Length in place of Transfer-Encoding so the output can be sent again as is.
    Header bytes are those received (HEADERS_ENCODING: the record's `headers_encoding`)."""
    head = head_lines(method, target, headers, body, http_version, headers_encoding)
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def head_lines(
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    http_version: str = "1.1",
    headers_encoding: str = hdrs.UTF8,
) -> list[bytes]:
    """The request line and each header line of render_request, without their CRLFs (a
    viewer draws them one a line, whatever bytes they hold)."""
    length = b"Content-Length: %d" % len(body)
    lines = [f"{method} {target} HTTP/{http_version}".encode("utf-8", errors="surrogateescape")]
    had_length = False
    for k, v in hdrs.encode(headers, headers_encoding):
        if k.lower().decode("latin-1") in _FRAMING:
            if body and not had_length:
                lines.append(length)
            had_length = True
            continue
        lines.append(k + b": " + v)
    if body and not had_length:
        lines.append(length)
    return lines
