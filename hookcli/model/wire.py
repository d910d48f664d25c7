"""Raw HTTP/1.1 rendering of a request: what `show --raw` and `fabricate --print` print."""

from __future__ import annotations

from collections.abc import Sequence

# Framing headers that no longer describe the stored body; Content-Length replaces them.
_FRAMING = {"transfer-encoding", "content-length"}


def render_request(
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    http_version: str = "1.1",
) -> bytes:
    """Request line, headers in order, blank line, body. A chunked upload is rendered with
    Content-Length in place of Transfer-Encoding so the output can be sent again as is."""
    lines = [f"{method} {target} HTTP/{http_version}"]
    had_length = False
    for k, v in headers:
        low = k.lower()
        if low in _FRAMING:
            if body and not had_length:
                lines.append(f"Content-Length: {len(body)}")
            had_length = True
            continue
        lines.append(f"{k}: {v}")
    if body and not had_length:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("utf-8", errors="surrogateescape") + body
