"""The `ls` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def summaries_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("ID", justify="right", style="bold")
    table.add_column("TIME", style="dim", no_wrap=True)
    table.add_column("METHOD", no_wrap=True)
    table.add_column("PATH", overflow="fold")
    table.add_column("SIZE", justify="right", no_wrap=True)
    table.add_column("PROVIDER/EVENT", style="cyan")
    table.add_column("SIGNATURE", no_wrap=True)
    for s in rows:
        target = s["path"] + (f"?{s['query']}" if s.get("query") else "")
        provider = s.get("provider") or ""
        if s.get("event_type"):
            provider = f"{provider} {s['event_type']}".strip()
        table.add_row(
            str(s["id"]),
            _when(s["received_at"]),
            Text(visible(s["method"])),
            Text(visible(target)),
            human_size(int(s.get("body_size") or 0)),
            Text(visible(provider)),
            _signature(s.get("signature")),
        )
    return table
