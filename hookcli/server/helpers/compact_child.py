"""The compaction helper's child half (its parent half: compact.py), run as

    python -m hookcli.server.helpers.compact_child STORE REPLY_FD

Compacts STORE on each `compact` request line and replies `done`, `busy` or
`error TEXT` (process.py's protocol); ends when stdin closes."""

from __future__ import annotations

import sys
from pathlib import Path

from hookcli.server.helpers.process import ChildEnd


def main(argv: list[str]) -> int:
    from hookcli.store import Store

    end, args = ChildEnd.from_argv(argv)
    store = Store(Path(args[1]))
    end.ready()
    for line in end.requests():
        if line.strip() != b"compact":
            continue
        try:
            reply = "done" if store.compact(wait=False, full_check=False) is not None else "busy"
        except Exception as e:  # said to the listener, which reports it
            reply = "error " + " ".join(str(e).split())
        finally:
            # forget what was read: the next compaction starts from the index's last line
            # (O(1) under the store's lock) instead of reading every line appended since
            store.close()
        end.reply(reply)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
