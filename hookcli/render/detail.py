"""`hookcli show` (and the TUI's detail tabs): request line, headers, pretty body,
attempts, each a section of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from hookcli.model import body as bodycodec
from hookcli.model import headers as hdrs
from hookcli.model.capture import Attempt, Capture
from hookcli.model.escape import visible, visible_block
from hookcli.model.units import human_size
from hookcli.render.hexdump import hexdump

if TYPE_CHECKING:
    from rich.syntax import Syntax


def render_capture(c: Capture) -> Iterator[RenderableType]:
    yield from heading(c)
    yield Text("")
    yield Text("Headers", style="bold underline")
    yield headers_table(c)
    yield Text("")
    yield from body_parts(c)
    for title, attempts in attempt_groups(c):
        yield Text("")
        yield Text(title, style="bold underline")
        yield attempts_table(attempts)


def heading(c: Capture) -> Iterator[Text]:
    """The request line, and a line of facts: when, from where, source, size, provider."""
    when = datetime.fromisoformat(c.received_at).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    line = Text()
    line.append(f"#{c.id} ", style="bold")
    line.append(visible(c.method), style="bold")
    line.append(" " + visible(c.target) + f" HTTP/{c.http_version}")
    yield line
    facts = [f"received {when}"]
    if c.remote_addr:
        facts.append(f"from {visible(c.remote_addr)}")
    facts.append(f"source {c.source}")
    facts.append(human_size(c.body_size))
    if c.provider:
        facts.append(visible(f"{c.provider} {c.event_type or ''}".strip()))
    if c.signature:
        facts.append(f"signature {c.signature}")
    if c.response.get("status"):
        facts.append(f"answered {c.response['status']}")
    yield Text(" · ".join(facts), style="dim")


def headers_table(c: Capture) -> RenderableType:
    if not c.headers:
        return Text("(none)", style="dim")
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in c.headers:
        table.add_row(Text(visible(k)), Text(visible(v)))
    return table


def attempt_groups(c: Capture) -> list[tuple[str, list[Attempt]]]:
    """(title, attempts) for the forwards and replays the capture has."""
    # a fabricated capture's first "replay" is the send that made it
    sent = "Sent and replays" if c.source == "fabricated" else "Replays"
    return [(t, a) for t, a in (("Forwards", c.forwards), (sent, c.replays)) if a]


@dataclass(frozen=True)
class ShownBody:
    """A body as shown: content-decoded for viewing, with its kind."""

    data: bytes
    kind: bodycodec.BodyKind
    decoded_from: str | None


def shown_body(c: Capture) -> ShownBody:
    data, decoded_from = bodycodec.content_decoded(c.body, hdrs.get(c.headers, "content-encoding"))
    return ShownBody(data, bodycodec.kind(data, hdrs.get(c.headers, "content-type")), decoded_from)


def body_title(b: ShownBody) -> Text:
    title = Text("Body", style="bold underline")
    note = f" ({b.kind}, {human_size(len(b.data))}"
    if b.decoded_from:
        note += f", shown decoded from {b.decoded_from}; --body gives the wire bytes"
    title.append(note + ")", style="dim")
    return title


def pretty_json(data: bytes) -> str:
    """A JSON body indented, with control characters escaped: ready to highlight."""
    return visible_block(json.dumps(json.loads(data), indent=2, ensure_ascii=False))


JSON_THEME = "ansi_dark"


def json_syntax(pretty: str) -> Syntax:
    from rich.syntax import Syntax

    return Syntax(pretty, "json", theme=JSON_THEME, word_wrap=True)


def body_parts(c: Capture) -> Iterator[RenderableType]:
    b = shown_body(c)
    yield body_title(b)
    if b.kind == "empty":
        yield Text("(empty)", style="dim")
    elif b.kind == "json":
        yield json_syntax(pretty_json(b.data))
    elif b.kind == "form":
        table = Table(box=None, show_header=True, pad_edge=False, header_style="bold")
        table.add_column("FIELD", style="cyan")
        table.add_column("VALUE", overflow="fold")
        for k, v in parse_qsl(b.data.decode("utf-8"), keep_blank_values=True):
            table.add_row(Text(visible(k)), Text(visible(v)))
        yield table
    elif b.kind == "text":
        yield Text(visible_block(b.data.decode("utf-8")))
    else:
        yield Text(hexdump(b.data))


def attempts_table(attempts: list[Attempt]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("AT", "TARGET", "STATUS", "LATENCY", "ERROR / RESPONSE"):
        table.add_column(col, overflow="fold")
    for a in attempts:
        status = Text(str(a.status) if a.status is not None else "-")
        if a.status is not None:
            status.stylize("green" if 200 <= a.status < 300 else "red")
        table.add_row(
            datetime.fromisoformat(a.at).astimezone().strftime("%H:%M:%S"),
            Text(visible(a.target)),
            status,
            f"{a.latency_ms:.0f} ms",
            Text(visible(a.error or a.response_excerpt)),
        )
    return table
