"""The `ls` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from hookcli.model.escape import visible
from hookcli.model.units import human_size


def _when(iso: str) -> str:
    t = datetime.fromisoformat(iso).astimezone()
    if t.date() == datetime.now().astimezone().date():
        return t.strftime("%H:%M:%S")
    return t.strftime("%Y-%m-%d %H:%M")


def _signature(state: str | None) -> Text:
    if not state:
        return Text("")
    style = {"valid": "green", "invalid": "red"}.get(state, "yellow")
    return Text(state, style=style)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def summaries_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold", padding=(0, 2, 0, 0))
    id_width = max([2, *(len(str(s["id"])) for s in rows)])
    table.add_column("ID", justify="right", style="bold", no_wrap=True, min_width=id_width)
    table.add_column("TIME", style="dim", no_wrap=True, min_width=8)
    table.add_column("METHOD", no_wrap=True)
    table.add_column("PATH", overflow="fold", min_width=12, ratio=1)
    table.add_column("SIZE", justify="right", no_wrap=True)
    table.add_column("PROVIDER/EVENT", style="cyan", no_wrap=True)
    # the signature column appears when some row has a state (a secret was configured)
    with_signature = any(s.get("signature") for s in rows)
    if with_signature:
        table.add_column("SIGNATURE", no_wrap=True)
    for s in rows:
        target = s["path"] + (f"?{s['query']}" if s.get("query") else "")
        provider = s.get("provider") or ""
        if s.get("event_type"):
            provider = f"{provider} {s['event_type']}".strip()
        cells: list[RenderableType] = [
            str(s["id"]),
            _when(s["received_at"]),
            Text(visible(s["method"])),
            Text(visible(target)),
            human_size(int(s.get("body_size") or 0)),
            Text(_clip(visible(provider), 34)),
        ]
        if with_signature:
            cells.append(_signature(s.get("signature")))
        table.add_row(*cells)
    return table
