"""Which captures are live, oldest first, and how many log bytes each holds.

Retention (`listen --keep N`) must name the oldest live captures as each batch arrives,
and a `del` line records how many log bytes it frees, so that every index line can carry
the store's running totals (live captures, reclaimable bytes) and `store info` and the
decision to compact cost O(1). Both need, per live capture, the bytes of its `put` line
plus its `attempt` lines: that is what this keeps, fed one index entry at a time."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hookcli.store.format import IndexEntry


class LiveIds:
    """Live capture ids in arrival order with their log bytes. Deleting from the middle
    (`rm`) is O(1); the id stays in the queue until it reaches the front."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()
        self._bytes: dict[int, int] = {}
        self.total = 0  # log bytes held by live captures

    def __len__(self) -> int:
        return len(self._bytes)

    def __contains__(self, cid: object) -> bool:
        return cid in self._bytes

    def apply(self, entry: IndexEntry, length: int) -> int:
        """Take one index entry whose log line is LENGTH bytes; return the log bytes it
        made reclaimable (a deletion, or an attempt on a capture that is gone)."""
        op = entry["op"]
        if op in ("put", "attempt"):
            return self.add(int(entry["id"]), length, op == "put")
        if op == "del":
            return length + self.remove(entry["ids"])
        return 0

    def add(self, cid: int, length: int, put: bool) -> int:
        """Take a put (PUT) or an attempt line of capture CID, LENGTH bytes; return the
        log bytes it made reclaimable (an attempt on a capture that is gone)."""
        if put:
            self._order.append(cid)
            self._bytes[cid] = length
            self.total += length
            return 0
        if cid in self._bytes:
            self._bytes[cid] += length
            self.total += length
            return 0
        return length

    def weight(self, ids: Iterable[int]) -> int:
        """Log bytes the live captures among IDS hold."""
        return sum(self._bytes.get(cid, 0) for cid in ids)

    def remove(self, ids: Iterable[int]) -> int:
        freed = 0
        for cid in ids:
            size = self._bytes.pop(cid, None)
            if size is not None:
                freed += size
        self.total -= freed
        return freed

    def oldest(self, count: int) -> list[int]:
        """The COUNT oldest live ids (fewer if there are fewer), oldest first."""
        order = self._order
        while order and order[0] not in self._bytes:
            order.popleft()  # deleted already: nothing refers to it any more
        out: list[int] = []
        if count <= 0:
            return out
        for cid in order:
            if cid in self._bytes:
                out.append(cid)
                if len(out) == count:
                    break
        return out

    def newest_first(self) -> Iterable[int]:
        return (cid for cid in reversed(self._order) if cid in self._bytes)
