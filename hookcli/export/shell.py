"""What the curl and httpie formats share: the target URL, shell quoting, and how a body
gets into the command byte-exact.

Commands are for bash and zsh. They are safe to show in a terminal and to paste: an
argument with a control character or bytes that are not UTF-8 is written in ANSI-C
quoting (`$'...\\x1b...'`), and a body that is not printable text, or too large for one
argument (Linux limits one argument to 128 KiB), is piped in as base64 from a here-document
(`base64 -d <<'HOOKCLI_BODY' | curl ... --data-binary @-`), which carries any bytes, NUL
included, and shows only base64 on screen."""

from __future__ import annotations

import base64
import shlex

from hookcli.delivery.prepare import end_to_end, join_url, origin
from hookcli.model import headers as hdr
from hookcli.model.capture import Capture

#: bodies up to this size that are printable text go in the command line itself
LITERAL_MAX = 64 * 1024
DELIMITER = "HOOKCLI_BODY"


def default_base(c: Capture) -> str:
    """The capture's original host: scheme and host the sender used (X-Forwarded-Proto and
    -Host when a proxy or tunnel set them, else the Host header)."""
    from hookcli.signing.classify import request_url

    return origin(request_url(c))


def target_url(c: Capture, base: str | None) -> str:
    """BASE joined with the captured path and query by the URL rule (as `replay --to`)."""
    return join_url(base or default_base(c), c.path, c.query)


def sent_headers(c: Capture) -> list[tuple[str, str]]:
    """The headers a command sends: hop-by-hop and transport headers (Host, Content-Length,
    ...) are left to the tool to compute for the new connection, as replay does."""
    return end_to_end(c.headers)


def printable(text: str) -> bool:
    return all(ch.isprintable() or ch in "\n\t" for ch in text)


def quote(data: bytes) -> str:
    """One shell word for DATA: plain single quotes when it is printable UTF-8 (newlines and
    tabs allowed), else ANSI-C quoting with every other byte as \\xHH."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and printable(text):
        return shlex.quote(text)
    out = []
    for b in data:
        ch = chr(b)
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{b:02x}")
    return "$'" + "".join(out) + "'"


def qtext(text: str) -> str:
    return quote(text.encode("utf-8"))


def qheader(c: Capture, text: str) -> str:
    """One shell word for header text of C: its bytes as captured (`headers_encoding`:
    latin-1 text maps back to the bytes that were not UTF-8)."""
    return quote(hdr.encode([(text, "")], c.headers_encoding)[0][0])


def literal_body(body: bytes) -> bool:
    """Whether BODY can be one argument of the command (else it is piped in)."""
    if len(body) > LITERAL_MAX:
        return False
    try:
        return printable(body.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def piped(command: str, body: bytes) -> str:
    """COMMAND (which reads its body from stdin) fed BODY exactly through base64."""
    encoded = base64.encodebytes(body).decode("ascii")  # lines of 76 characters
    return f"base64 -d <<'{DELIMITER}' | {command}\n{encoded}{DELIMITER}"


def comment(c: Capture) -> str:
    """A shell comment naming the capture, control characters shown escaped."""
    from hookcli.model.escape import visible

    about = " ".join(p for p in (c.provider, c.event_type) if p)
    return visible(f"# capture {c.id}: {c.method} {c.target}" + (f" ({about})" if about else ""))


def layout(head: list[str], options: list[list[str]]) -> str:
    """The command over several lines: HEAD (up to the URL) first, then one line for each
    option with its argument."""
    return " \\\n  ".join([" ".join(head), *(" ".join(o) for o in options)])
