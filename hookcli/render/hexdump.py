"""A classic hex dump: offset, the bytes in hex, the printable ASCII beside them."""

from __future__ import annotations


def hexdump(data: bytes, limit: int = 4096, per_line: int = 16) -> str:
    """PER_LINE bytes a line (16, the classic 78-column dump; 8 fits 60 columns)."""
    half = per_line // 2
    lines = []
    for off in range(0, min(len(data), limit), per_line):
        chunk = data[off : off + per_line]
        hexpart = (
            " ".join(f"{b:02x}" for b in chunk[:half])
            + "  "
            + " ".join(f"{b:02x}" for b in chunk[half:])
        )
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:08x}  {hexpart:<{per_line * 3}}  |{text}|")
    if len(data) > limit:
        lines.append(f"... {len(data) - limit} more bytes (hookcli show ID --body to get them all)")
    return "\n".join(lines)
