"""A classic hex dump: offset, 16 bytes in hex, the printable ASCII beside them."""

from __future__ import annotations


def hexdump(data: bytes, limit: int = 4096) -> str:
    lines = []
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off : off + 16]
        hexpart = (
            " ".join(f"{b:02x}" for b in chunk[:8]) + "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        )
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:08x}  {hexpart:<48}  |{text}|")
    if len(data) > limit:
        lines.append(f"... {len(data) - limit} more bytes (hookcli show ID --body to get them all)")
    return "\n".join(lines)
