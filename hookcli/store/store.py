"""The store's API: add captures and attempts, list summaries, read, delete.

Costs do not depend on the store's size: `add` is O(1) (the index's last line gives the
next id), `summaries` reads the index newest first and stops at its limit, `get("last")`
reads one record, `get(N)` bisects the index, `info` reads the index's last line. Safe
to use from several processes at once (see log.py).

Deleting (`delete`, `prune`, retention in `add`) appends; the space comes back when the
store compacts (compact.py), which a deleting process does by itself once deleted
captures hold more than half the log and more than 1 MiB.

Reading methods (`summaries`, `get`, `resolve`) create nothing and change no file or mode:
on a path with no store they see an empty one. Only writing methods create the store.
Problems with the files themselves (permissions, a file in the path, a full disk) are
StoreUnavailable errors naming the path."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import orjson

from hookcli.errors import HookcliError, UsageError
from hookcli.model.capture import Attempt, Capture
from hookcli.store import compact
from hookcli.store import format as fmt
from hookcli.store.compact import Compacted
from hookcli.store.files import StoreCorrupt
from hookcli.store.log import LogFiles, Prepared, Stats, access
from hookcli.store.snapshot import Snapshot, Stored, stored
from hookcli.store.walk import beyond, live_puts, weigh, weighted
from hookcli.store.walk import oldest as oldest_live

Summary = dict[str, Any]
SummaryFilter = Callable[[Summary], bool]
RecordFilter = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class IndexMark:
    """How far a follower has read the index: which files (by inode) and up to which
    byte."""

    files: tuple[int, int]
    offset: int


class NotFound(HookcliError):
    def __init__(self, what: str, root: Path, exists: bool = True):
        message = f"no capture {what} in {root}"
        if what == "yet":
            message = f"no captures yet in {root}"
        if not exists:
            hint = "no store there: check --store and HOOKCLI_STORE, or run `hookcli listen`"
        elif what == "yet":  # an empty store: there are no ids to look up
            hint = "`hookcli listen` records into it; --store or HOOKCLI_STORE picks another"
        else:
            hint = "run `hookcli ls` to see the ids"
        super().__init__(message, hint)


@dataclass(frozen=True)
class Info:
    """`store info`: the totals, and the oldest and newest live summaries."""

    root: Path
    stats: Stats
    oldest: Summary | None
    newest: Summary | None


class Store:
    def __init__(self, root: Path):
        self.root = root
        # file descriptors and cursors are per thread: the server writes from its loop,
        # the TUI reads from a worker
        self._local = threading.local()

    @property
    def _files(self) -> LogFiles:
        files: LogFiles | None = getattr(self._local, "files", None)
        if files is None:
            files = self._local.files = LogFiles(self.root)
        return files

    def close(self) -> None:
        files: LogFiles | None = getattr(self._local, "files", None)
        if files is not None:
            files.close()
            self._local.files = None

    def exists(self) -> bool:
        """Whether a store is at `root`; reading commands never create one."""
        with access(self.root, writing=False):
            return self._files.exists()

    def check(self) -> int:
        """Open the store for writing (creating it, repairing a torn tail) and return the
        next id. Raises StoreCorrupt when it cannot be read."""
        files = self._files
        with access(self.root, writing=True), files.locked():
            files.sync()
            return files.next_id

    def require_sound(self) -> None:
        """Refuse (StoreCorrupt, naming the file and byte) a store `store check` finds
        damaged: before a change the user asked for (rm, prune, compact) and
        `store info`, which report on or change the whole store. O(store)."""
        from hookcli.store.check import require_sound

        with access(self.root, writing=False):
            require_sound(self.root)

    def _not_found(self, what: str) -> NotFound:
        return NotFound(what, self.root, self.exists())

    # -- writing --------------------------------------------------------------------------

    def add(self, captures: list[Capture], keep: int | None = None) -> list[int]:
        """Give each capture the next id and append them all in one locked step. When this
        returns, the captures are in the file: a SIGKILL now loses none of them. With KEEP
        (retention), the same append deletes the captures beyond the KEEP newest."""
        if not captures:
            return []
        files = self._files
        with access(self.root, writing=True), files.locked():
            if keep is not None:
                files.track_live()
            files.sync()
            ids = files.take_ids(len(captures))
            for cid, cap in zip(ids, captures, strict=True):
                cap.id = cid
            ops = [fmt.put_op(c.id, c.to_record()) for c in captures]
            if keep is not None:
                ops += beyond(files.live, keep, ids)
            files.append(ops)
        return ids

    @property
    def log_inode(self) -> int:
        """The inode of the log this thread last wrote to (a compaction replaces the log):
        what a sync of the captures just added must sync."""
        return self._files.generation[0]

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

    def add_attempt(self, capture_id: int, kind: str, attempt: Attempt) -> None:
        self.add_attempts([(capture_id, kind, attempt)])

    def add_attempts(self, items: Iterable[tuple[int, str, Attempt]]) -> None:
        """Record forward/replay attempts, all in one locked append (a busy forwarder or a
        `replay --repeat` writes them in batches, not one lock per attempt)."""
        ops = []
        # an attempt shared by several captures (a flood's skips) is encoded once; each is
        # kept here with its bytes, so that no id() is reused while this runs
        encoded: dict[int, tuple[Attempt, bytes]] = {}
        for capture_id, kind, attempt in items:
            if kind not in ("forwards", "replays"):
                raise ValueError(kind)
            done = encoded.get(id(attempt))
            if done is None:
                done = encoded[id(attempt)] = (attempt, orjson.dumps(attempt.to_record()))
            ops.append(Prepared.attempt(capture_id, kind, done[1]))
        if not ops:
            return
        files = self._files
        with access(self.root, writing=True), files.locked():
            files.sync()
            files.append(ops)

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

        if not dry_run:
            self.require_sound()
        if dry_run:
            with access(self.root, files.writable):
                _, end = files.snapshot()
                return sorted(doomed(files.index_backward(end)))
        with access(self.root, writing=True), files.locked():
            files.sync()
            _, end = files.view()
            victims = doomed(files.index_backward(end))
            if victims:
                ids = sorted(victims)
                files.append([fmt.del_op(ids, sum(victims.values()))])
        self.compact_if_due()
        return sorted(victims)

    # -- compaction -----------------------------------------------------------------------

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

    # -- reading --------------------------------------------------------------------------

    def summaries(
        self,
        match: SummaryFilter | None = None,
        limit: int | None = None,
        record_match: RecordFilter | None = None,
        stop: SummaryFilter | None = None,
    ) -> Iterator[Summary]:
        """Summaries newest first. MATCH filters on the summary; RECORD_MATCH (costlier)
        on the full record; STOP ends the walk at the first summary it accepts (e.g. one
        older than --since: ids are in arrival order)."""
        if limit is not None and limit <= 0:
            return
        files = self._files
        with access(self.root, files.writable):
            fd, end = files.snapshot()
            count = 0
            for entry in live_puts(files, end):
                s: Summary = entry["s"]
                if stop is not None and stop(s):
                    return
                if match is not None and not match(s):
                    continue
                if record_match is not None and not record_match(
                    files.read_doc(fd, entry["off"], entry["len"], entry["id"])
                ):
                    continue
                yield s
                count += 1
                if limit is not None and count >= limit:
                    return

    def get(self, ref: int | str) -> Capture:
        """The capture with this id, or the newest for "last", attempts included."""
        target = None if ref == "last" else parse_id(str(ref))
        files = self._files
        if target is not None:
            with access(self.root, files.writable):
                fd, end = files.snapshot()
                put, later = files.lookup(target, end)
                if put is not None:
                    cap = _capture(files, fd, put)
                    for entry in later:
                        getattr(cap, entry["kind"]).append(Attempt.from_record(entry["a"]))
                    return cap
            raise self._not_found(str(target))
        with access(self.root, files.writable):
            fd, end = files.snapshot()
            attempts: dict[int, list[tuple[str, dict[str, Any]]]] = {}
            deleted: set[int] = set()
            for entry in files.index_backward(end):
                op = entry["op"]
                if op == "attempt":
                    attempts.setdefault(entry["id"], []).append((entry["kind"], entry["a"]))
                elif op == "del":
                    deleted.update(entry["ids"])
                elif op == "put" and entry["id"] not in deleted:
                    cap = _capture(files, fd, entry)
                    for kind, a in reversed(attempts.get(entry["id"], [])):
                        getattr(cap, kind).append(Attempt.from_record(a))
                    return cap
                elif op == "meta":
                    break
        raise self._not_found("yet")

    def resolve(self, refs: Iterable[str]) -> list[int]:
        """Ids named by REFS ("12", "3-7", "last") that exist, ascending. An id or `last`
        that names nothing, or a range with nothing in it, is an error."""
        singles: set[int] = set()
        ranges: list[tuple[int, int]] = []
        want_last = False
        for ref in refs:
            ref = ref.strip()
            if ref == "last":
                want_last = True
            elif "-" in ref.strip("-"):
                lo_s, _, hi_s = ref.partition("-")
                lo, hi = parse_id(lo_s), parse_id(hi_s)
                if lo > hi:
                    raise UsageError(f"bad range {ref!r}: {lo} is greater than {hi}")
                ranges.append((lo, hi))
            else:
                singles.add(parse_id(ref))
        out: set[int] = set()
        if want_last:
            out.add(self.get("last").id)
        files = self._files
        with access(self.root, files.writable):
            _, end = files.snapshot()
        wanted_min = min([*singles, *(lo for lo, _ in ranges)], default=None)
        present: set[int] = set()
        if wanted_min is not None:
            with access(self.root, files.writable):
                present, _ = weigh(
                    files,
                    end,
                    wanted_min,
                    lambda cid: cid in singles or any(lo <= cid <= hi for lo, hi in ranges),
                )
        missing = sorted(singles - present)
        if missing:
            raise self._not_found(", ".join(map(str, missing)))
        for lo, hi in ranges:
            if not any(lo <= cid <= hi for cid in present):
                raise self._not_found(f"in {lo}-{hi}")
        return sorted(out | present)

    def records(
        self,
        ids: Collection[int] | None = None,
        match: SummaryFilter | None = None,
        record_match: RecordFilter | None = None,
        stop: SummaryFilter | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Full records (attempts not included) of the live captures that pass the filters,
        oldest first: what `export` streams. One walk of the index keeps only the byte
        ranges of the wanted records, then each is read once, so the cost is O(store),
        never O(store) per capture as a `get` per id would be. IDS limits the walk (it ends
        below the smallest); MATCH, RECORD_MATCH and STOP are as in `summaries`."""
        files = self._files
        with access(self.root, files.writable):
            fd, end = files.snapshot()
            low = min(ids) if ids else None
            ranges: list[tuple[int, int, int]] = []
            for entry in live_puts(files, end):
                s: Summary = entry["s"]
                if (low is not None and s["id"] < low) or (stop is not None and stop(s)):
                    break
                if (ids is None or s["id"] in ids) and (match is None or match(s)):
                    ranges.append((entry["off"], entry["len"], s["id"]))
            for off, length, cid in reversed(ranges):
                doc = files.read_doc(fd, off, length, cid)
                if record_match is None or record_match(doc):
                    yield doc

    def stored_by_id(self, ids: Collection[int]) -> list[Stored]:
        """The live captures among IDS, oldest first, as their index summaries, each
        record read only when asked for: what the forwarding helper takes for each batch
        the listener names. Costs O(log n) reads plus a byte scan of the index from the
        smallest id on (see LogFiles.put_entries), whatever lies between the end and the
        ids. Ask for the records before this Store writes again (a write may reopen the
        files), or use `reading()`, which makes that hold by itself."""
        files = self._files
        with access(self.root, files.writable):
            fd, end = files.snapshot()
        return stored(self.root, files, fd, end, set(ids), self._records_of)

    def _records_of(self, ids: set[int]) -> Iterator[dict[str, Any]]:
        return self.records(ids=ids)

    @contextmanager
    def reading(self, release: bool = False) -> Iterator[Snapshot]:
        """The store as of now, for a block of reads (see snapshot.py): what it hands out
        stays readable whatever this thread writes meanwhile, and nothing after. RELEASE
        (a worker thread's reads): the block's end closes this thread's descriptors, as
        `close()` would, so none outlives it."""
        files = self._files
        try:
            with access(self.root, files.writable):
                view = files.snapshot()
                snap = Snapshot(self.root, files, view.index_end, self._records_of)
            try:
                yield snap
            finally:
                snap.close()
        finally:
            if release:
                self.close()

    # -- following the store (the TUI) -----------------------------------------------------

    def summaries_marked(self) -> tuple[IndexMark, Iterator[Summary]]:
        """All live summaries, newest first, and the mark they were read up to: a follower
        continues from it with `changes_since`, reading only what was appended after."""
        files = self._files
        with access(self.root, files.writable):
            _, end = files.snapshot()
        return IndexMark(files.generation, end), self._marked_rows(files, end)

    def _marked_rows(self, files: LogFiles, end: int) -> Iterator[Summary]:
        with access(self.root, files.writable):
            for entry in live_puts(files, end):
                yield entry["s"]

    def changes_since(self, mark: IndexMark) -> tuple[IndexMark, list[dict[str, Any]]] | None:
        """Index entries appended after MARK, oldest first (`put` with its summary in "s",
        `del` with "ids", `attempt` with "id"), and the mark after them. None when the
        files were replaced since (compaction, clear, or a store created where there was
        none): read the summaries again."""
        files = self._files
        with access(self.root, files.writable):
            _, end = files.snapshot()
            if files.generation != mark.files:
                return None
            entries: list[dict[str, Any]] = []
            offset = mark.offset
            for after, entry in files.index_forward(mark.offset):
                if after > end:
                    break
                entries.append(cast(dict[str, Any], entry))
                offset = after
        return IndexMark(mark.files, offset), entries

    # -- helpers --------------------------------------------------------------------------

    def info(self) -> Info:
        """Totals from the index's last line, the newest capture from its end and the
        oldest from its start (past the deleted ones, found by a byte search)."""
        files = self._files
        with access(self.root, files.writable):
            _, end = files.snapshot()
            stats = files.stats()
            newest = next((e["s"] for e in live_puts(files, end)), None)
            oldest = oldest_live(files, end) if newest is not None else None
        return Info(self.root, stats, oldest, newest)


def _capture(files: LogFiles, fd: int, put: fmt.IndexEntry) -> Capture:
    """The capture of the put entry PUT; a record it cannot be made from is damage."""
    doc = files.read_doc(fd, put["off"], put["len"], put["id"])
    try:
        return Capture.from_record(doc)
    except (KeyError, TypeError, ValueError) as e:
        raise StoreCorrupt(files.log_path, f"bad record at byte {put['off']} ({e})") from e


def _received(summary: Summary) -> datetime:
    return datetime.fromisoformat(str(summary["received_at"]))


def parse_id(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) <= 0:
        raise UsageError(
            f"bad capture id {text!r}", "ids are positive integers, ranges like 3-7, or last"
        )
    return int(text)
