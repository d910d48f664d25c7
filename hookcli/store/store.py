"""The store's API: add captures and attempts, list summaries, read, delete.

Costs do not depend on the store's size: `add` is O(1) (the index's last line gives the
next id), `summaries` reads the index newest first and stops at its limit, `get("last")`
reads one record. Safe to use from several processes at once (see log.py).

Reading methods (`summaries`, `get`, `resolve`) create nothing and change no file or mode:
on a path with no store they see an empty one. Only writing methods create the store.
Problems with the files themselves (permissions, a file in the path, a full disk) are
StoreUnavailable errors naming the path."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hookcli.errors import HookcliError, UsageError
from hookcli.model.capture import Attempt, Capture
from hookcli.store.log import LogFiles, access

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

    def _not_found(self, what: str) -> NotFound:
        return NotFound(what, self.root, self.exists())

    # -- writing --------------------------------------------------------------------------

    def add(self, captures: list[Capture]) -> list[int]:
        """Give each capture the next id and append them all in one locked step. When this
        returns, the captures are in the file: a SIGKILL now loses none of them."""
        if not captures:
            return []
        files = self._files
        with access(self.root, writing=True), files.locked():
            files.sync()
            ids = files.take_ids(len(captures))
            for cid, cap in zip(ids, captures, strict=True):
                cap.id = cid
            files.append([{"op": "put", "id": c.id, "doc": c.to_record()} for c in captures])
        return ids

    def add_attempt(self, capture_id: int, kind: str, attempt: Attempt) -> None:
        self.add_attempts([(capture_id, kind, attempt)])

    def add_attempts(self, items: Iterable[tuple[int, str, Attempt]]) -> None:
        """Record forward/replay attempts, all in one locked append (a busy forwarder or a
        `replay --repeat` writes them in batches, not one lock per attempt)."""
        ops = []
        for capture_id, kind, attempt in items:
            if kind not in ("forwards", "replays"):
                raise ValueError(kind)
            ops.append(
                {"op": "attempt", "id": capture_id, "kind": kind, "attempt": attempt.to_record()}
            )
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
        files = self._files
        with access(self.root, writing=True), files.locked():
            files.sync()
            _, end = files.view()
            present = self._present(files, end, min(wanted), wanted.__contains__)
            if present:
                files.append([{"op": "del", "ids": sorted(present)}])
        return sorted(present)

    def clear(self) -> int:
        """Remove every capture and give the space back. Ids keep counting up. With no
        store at `root`, there is nothing to remove and nothing is created."""
        if not self.exists():
            return 0
        files = self._files
        with access(self.root, writing=True), files.locked():
            files.sync()
            _, end = files.view()
            count = sum(1 for _ in self._live_puts(files, end))
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
            for entry in self._live_puts(files, end):
                s: Summary = entry["s"]
                if stop is not None and stop(s):
                    return
                if match is not None and not match(s):
                    continue
                if record_match is not None and not record_match(
                    files.read_doc(fd, entry["off"], entry["len"])
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
                elif op == "put":
                    cid = entry["id"]
                    if cid in deleted or (target is not None and cid != target):
                        if target is not None and cid < target:
                            break
                        continue
                    cap = Capture.from_record(files.read_doc(fd, entry["off"], entry["len"]))
                    for kind, a in reversed(attempts.get(cid, [])):
                        getattr(cap, kind).append(Attempt.from_record(a))
                    return cap
                elif op == "meta":
                    break
        raise self._not_found("yet" if target is None else str(target))

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
                present = self._present(
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
            ranges: list[tuple[int, int]] = []
            for entry in self._live_puts(files, end):
                s: Summary = entry["s"]
                if (low is not None and s["id"] < low) or (stop is not None and stop(s)):
                    break
                if (ids is None or s["id"] in ids) and (match is None or match(s)):
                    ranges.append((entry["off"], entry["len"]))
            for off, length in reversed(ranges):
                doc = files.read_doc(fd, off, length)
                if record_match is None or record_match(doc):
                    yield doc

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
            for entry in self._live_puts(files, end):
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
                entries.append(entry)
                offset = after
        return IndexMark(mark.files, offset), entries

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _live_puts(files: LogFiles, end: int) -> Iterator[dict[str, Any]]:
        """Index put entries not deleted, newest first."""
        deleted: set[int] = set()
        for entry in files.index_backward(end):
            op = entry["op"]
            if op == "put":
                if entry["id"] not in deleted:
                    yield entry
            elif op == "del":
                deleted.update(entry["ids"])
            elif op == "meta":
                return

    def _present(
        self, files: LogFiles, end: int, low: int, wanted: Callable[[int], bool]
    ) -> set[int]:
        """Ids of live captures, none below LOW, that WANTED accepts: the walk stops at
        the first id below LOW (ids are in file order)."""
        found: set[int] = set()
        for entry in self._live_puts(files, end):
            if entry["id"] < low:
                break
            if wanted(entry["id"]):
                found.add(entry["id"])
        return found


def parse_id(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) <= 0:
        raise UsageError(
            f"bad capture id {text!r}", "ids are positive integers, ranges like 3-7, or last"
        )
    return int(text)
