"""The `curl` format: a command that sends a capture again, byte-exact.

Same method, path and query (joined to `--to` by the URL rule, `--globoff` and
`--path-as-is` when curl would otherwise rewrite them), the captured end-to-end headers in
their order with their case and duplicates, and the exact body. curl's own additions are
switched off when the capture did not have them: `User-Agent` and `Accept`, the form
`Content-Type` it gives `--data`, and `Expect: 100-continue` on large bodies. The body is
`--data-raw` (never read as `@file`) or piped in (see shell.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hookcli.export import shell
from hookcli.model import headers as hdr
from hookcli.model.capture import Capture

_EXPECT_FROM = 1024  # curl asks for 100-continue above this many bytes


def to_curl(c: Capture, base: str | None = None) -> str:
    """A curl command for C against BASE (default: the capture's original host)."""
    url = shell.target_url(c, base)
    words = ["curl"]
    if any(ch in url for ch in "[]{}"):
        words.append("--globoff")
    if "/." in c.path:
        words.append("--path-as-is")
    if c.method == "HEAD":
        words.append("--head")
    elif not ((c.method == "GET" and not c.body) or (c.method == "POST" and c.body)):
        words += ["-X", shell.qtext(c.method)]
    words.append(shell.qtext(url))
    headers = shell.sent_headers(c)
    # curl reads "Name:" as "remove Name" and "Name;" as "send Name empty"
    sent = [f"{k}: {v}" if v else f"{k};" for k, v in headers]
    off = [f"{n}:" for n in ("User-Agent", "Accept") if not hdr.has(headers, n)]
    if c.body:
        if not hdr.has(headers, "Content-Type"):
            off.append("Content-Type:")
        if len(c.body) > _EXPECT_FROM:
            off.append("Expect:")
    elif c.method in ("POST", "PUT", "PATCH"):
        off.append("Content-Length: 0")
    options = [["-H", shell.qheader(c, h)] for h in sent]
    if off:
        options.append([w for h in off for w in ("-H", shell.qtext(h))])
    if not c.body:
        return shell.layout(words, options)
    if shell.literal_body(c.body):
        return shell.layout(words, [*options, ["--data-raw", shell.quote(c.body)]])
    return shell.piped(shell.layout(words, [*options, ["--data-binary", "@-"]]), c.body)


def export(captures: Iterable[Capture], to: str | None = None) -> Iterator[tuple[None, bytes]]:
    for c in captures:
        yield None, f"{shell.comment(c)}\n{to_curl(c, to)}\n\n".encode()
