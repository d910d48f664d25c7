"""A helper child for tests/integration/test_helpers.py, run as
`python -m tests.helper_child MODE REPLY_FD` by the real helper mechanism
(hookcli/server/helpers/process.py):

- `echo`: ready, then replies each request line upper-cased; ends with stdin
- `exit`: ready, then exits 3
- `die`: exits 1 before it is ready
- `mute`: never ready (waits until killed, 60 s at most)
- `deaf`: ready, then reads nothing and ignores the end of stdin (killed, 60 s at most)
"""

from __future__ import annotations

import sys
import threading

from hookcli.server.helpers.process import ChildEnd


def main(argv: list[str]) -> int:
    end, args = ChildEnd.from_argv(argv)
    mode = args[1]
    if mode == "die":
        return 1
    if mode == "mute":
        threading.Event().wait(60)
        return 0
    end.ready()
    if mode == "exit":
        return 3
    if mode == "deaf":
        threading.Event().wait(60)
        return 0
    for line in end.requests():
        end.reply(line.decode().upper())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
