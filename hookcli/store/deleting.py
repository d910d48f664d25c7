"""The store's deleting side, mixed into `Store`: deleting captures (`delete`, `prune`,
`retain`) and giving the space back (`compact`, `clear`).

Deleting appends a `del` line; the bytes come back when the store compacts (compact.py),
which a deleting process does by itself once deleted captures hold more than half the log
and more than 1 MiB. A deletion or compaction the user asked for first runs the whole of
`store check` (`require_sound`): a damaged store is refused, byte for byte untouched.
Retention (`retain`, `add(keep=)`) and `clear` do not: the first runs beside ingest, the
second is how one starts afresh."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hookcli.store import compact
from hookcli.store import format as fmt
from hookcli.store.compact import Compacted
from hookcli.store.log import access
from hookcli.store.walk import beyond, weigh, weighted

if TYPE_CHECKING:
    from pathlib import Path

    from hookcli.store.log import LogFiles


class Deleting:
    if TYPE_CHECKING:  # what Store provides
        root: Path

        @property
        def _files(self) -> LogFiles: ...

        def exists(self) -> bool: ...

    def require_sound(self) -> None:
        """Refuse (StoreCorrupt, naming the file and byte) a store `store check` finds
        damaged: before a change the user asked for (rm, prune, compact) and
        `store info`, which report on or change the whole store. O(store)."""
        from hookcli.store.check import require_sound

        with access(self.root, writing=False):
            require_sound(self.root)

    def retain(self, keep: int) -> list[int]:
        """Delete the captures beyond the KEEP newest (what `listen --keep` does as it
        starts); return their ids."""
        if not self.exists():
            return []
        files = self._files
        with access(self.root, writing=True), files.locked():
            files.track_live()
            files.sync()
            ops = beyond(files.live, keep, [])
            files.append(ops)
        return [cid for op in ops for cid in op["ids"]]

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Remove the captures with these ids that exist; return those removed."""
        wanted = set(ids)
        if not wanted:
            return []
        self.require_sound()
        files = self._files
        with access(self.root, writing=True), files.locked():
            files.sync()
            _, end = files.view()
            present, freed = weigh(files, end, min(wanted), wanted.__contains__)
            if present:
                files.append([fmt.del_op(sorted(present), freed)])
        self.compact_if_due()
        return sorted(present)

    def prune(
        self, keep: int | None = None, older_than: datetime | None = None, dry_run: bool = False
    ) -> list[int]:
        """Delete all but the KEEP newest captures and those received before OLDER_THAN
        (the union); return their ids, ascending. DRY_RUN deletes nothing (and, like any
        reading, creates nothing)."""
        if not self.exists():
            return []
        files = self._files

        def doomed(entries: Iterator[fmt.IndexEntry]) -> dict[int, int]:
            out: dict[int, int] = {}  # id -> log bytes
            for rank, (entry, size) in enumerate(weighted(entries)):
                s = entry["s"]
                if (keep is not None and rank >= keep) or (
                    older_than is not None and _received(s) < older_than
                ):
                    out[s["id"]] = size
            return out

        if dry_run:
            with access(self.root, files.writable):
                _, end = files.snapshot()
                return sorted(doomed(files.index_backward(end)))
        self.require_sound()
        with access(self.root, writing=True), files.locked():
            files.sync()
            _, end = files.view()
            victims = doomed(files.index_backward(end))
            if victims:
                ids = sorted(victims)
                files.append([fmt.del_op(ids, sum(victims.values()))])
        self.compact_if_due()
        return sorted(victims)

    def compact(self, wait: bool = True, full_check: bool = True) -> Compacted | None:
        """Rewrite the store without its deleted captures (see compact.py); safe while
        others write. None when there is no store, or (WAIT false) when another
        compaction is running. FULL_CHECK (`store compact`): refuse a damaged store as
        `store check` finds it first, O(store). Without it (the automatic compactions:
        after rm or prune, which checked before deleting, and listen's, which must not read
        the whole store again and again) the rewrite refuses only the index lines it cannot
        read, as ingest does."""
        if not self.exists():
            return None
        if full_check:
            self.require_sound()
        files = self._files
        with access(self.root, writing=True), compact.exclusive(files, wait) as mine:
            return compact.compact(files) if mine else None

    def compaction_due(self) -> bool:
        """Whether deleted captures hold more than half the log (and more than 1 MiB), as
        of this thread's last read or write. Costs nothing while less than AUTO_MIN_GARBAGE
        is deleted, else a stat() and two fstat()."""
        files = self._files
        if not files.writable or not compact.worth_a_look(files.garbage):
            return False  # no system call: ingest asks after every batch it writes
        # files replaced since (a compaction just ended): the totals read are stale
        return not files.replaced() and compact.due(files.stats())

    def compact_if_due(self) -> Compacted | None:
        """Compact now if due and no other compaction runs (a deleting command calls this
        after its deletion)."""
        return self.compact(wait=False, full_check=False) if self.compaction_due() else None

    def clear(self) -> int:
        """Remove every capture and give the space back. Ids keep counting up. With no
        store at `root`, there is nothing to remove and nothing is created."""
        if not self.exists():
            return 0
        files = self._files
        with access(self.root, writing=True), compact.exclusive(files), files.locked():
            files.sync()
            count = files.stats().captures
            files.rewrite([])
        return count


def _received(summary: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(summary["received_at"]))
