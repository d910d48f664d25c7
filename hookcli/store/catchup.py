"""Catching up with the other processes writing the store: after taking the lock, a
process reads what was appended since it last looked (O(what was appended)), and a writer
repairs what a crash left (a torn tail, log lines the index lacks, index lines past what
the log kept after a power cut). A reader repairs nothing: it works around the same
things in memory, so reading creates and changes nothing.

Every change is an append made with one write() per file, so a SIGKILL the instant after
it returns loses nothing and concurrent processes never overwrite each other. A last line
without its newline (a crash mid-write, never acknowledged) is ignored by readers and cut
off by the next writer. After a power cut the index may describe more than the log kept
(only the log is synced, see durable.py): its lines past the log's end are ignored and
cut off the same way. Any other line that does not parse makes the store unreadable: it
is reported with its path and left as it is."""

from __future__ import annotations

import os
from dataclasses import replace

from hookcli.store import format as fmt
from hookcli.store.disk import inode, write_all
from hookcli.store.files import Cursor, StoreCorrupt, StoreFiles
from hookcli.store.live import LiveIds
from hookcli.store.reading import lines_backward, lines_forward


class CatchUp(StoreFiles):
    """The catching-up half of LogFiles (log.py)."""

    def sync(self) -> None:
        """Bring this process's view up to date; a writer also repairs what a crash left.
        Hold the lock. Costs O(what other processes appended since the last call)."""
        ino = (inode(self.log_path), inode(self.index_path))
        kept: tuple[LiveIds, int] | None = None
        if self._log_fd < 0 or ino != self._cur.ino:
            if ino[1] >= 0 and os.path.getsize(self.index_path) > 0:
                if ino[0] < 0:
                    raise StoreCorrupt(self.log_path, "the log is missing but its index is not")
                if os.path.getsize(self.log_path) == 0:
                    raise StoreCorrupt(self.log_path, "the log is empty but its index is not")
            if self._live is not None:
                kept = (self._live, self._cur.next_id)
            self._reopen()
            self._start_from_index_tail()
        self._read_index_tail()
        self._read_log_tail()
        if kept is not None and self._same_live(*kept):
            self._live = kept[0]
        if self._tracking and self._live is None and self._write:
            self._live = self._fold()

    def _same_live(self, live: LiveIds, next_id: int) -> bool:
        """Whether files just reopened hold exactly the captures LIVE holds, byte for byte,
        besides garbage: what a compaction leaves of a store nobody else wrote to since
        this process last read it (the lines this process appended while it ran are copied
        as they are, deletions included: their bytes are the new garbage). Then the live
        ids need not be folded from the whole index again (under `--keep` a compaction
        comes every N or so captures). Anything another process appended (a capture, a
        deletion, an attempt) before, during or after the compaction changes the next id,
        the live count or the log's size."""
        cur = self._cur
        if cur.next_id != next_id or cur.live != len(live) or self._idx_fd < 0:
            return False
        first = os.pread(self._idx_fd, 256, 0)
        if not first.startswith(fmt.META):
            return False
        try:
            meta_end = int(self.parse_index(first[: first.index(b"\n")], 0)["end"])
        except (ValueError, KeyError, TypeError, StoreCorrupt):
            return False
        size = os.fstat(self._log_fd).st_size
        return size == cur.log_end == meta_end + live.total + cur.garbage

    def _start_from_index_tail(self) -> None:
        """Fresh open: take the state from the index's last complete line (O(1))."""
        if self._idx_fd < 0:
            return  # read-only and no index: everything is read from the log
        size = os.fstat(self._idx_fd).st_size
        log_size = os.fstat(self._log_fd).st_size if self._log_fd >= 0 else 0
        for start, last in lines_backward(self._idx_fd, size):
            entry = self.parse_index(last, start)
            try:
                covered, next_id = int(entry["end"]), int(entry["n"])
            except (KeyError, TypeError, ValueError) as e:
                raise StoreCorrupt(self.index_path, f"bad line at byte {start} ({e})") from e
            if covered <= log_size:
                break
            # a power cut kept index lines whose log lines never reached the disk (only the
            # log is synced): they describe nothing; _read_index_tail skips (or cuts) them
        else:
            return  # no line within the log: everything is read from the log
        self._cur.idx_end = start + len(last) + 1
        self._cur.covered = covered
        self._cur.log_end = covered
        self._cur.next_id = next_id
        if not self._cur.take_totals(entry):  # an index from before the totals
            totals = Cursor()
            self._fold(totals)
            self._cur.live, self._cur.garbage = totals.live, totals.garbage
            self._cur.changes = totals.changes

    def _fold(self, totals: Cursor | None = None) -> LiveIds:
        """Live ids and totals from the whole index as read so far: O(store), done when a
        process first needs the ids (retention) or opens an index without totals."""
        live = LiveIds()
        prev = 0
        for at, line in lines_forward(self._idx_fd, 0, self._cur.idx_end):
            brief = fmt.brief(line)
            if brief is not None:  # a put or attempt: its bytes say enough
                op, end = brief.op, brief.end
                length = end - prev
                dropped = live.add(brief.id, length, op == "put")
            else:
                entry = self.parse_index(line, at)
                op, end = entry["op"], int(entry["end"])
                length = end - prev
                if op == "meta":
                    live = LiveIds()
                dropped = live.apply(entry, length)
            if totals is not None:
                totals.live = len(live)
                totals.garbage = 0 if op == "meta" else totals.garbage + dropped
                totals.changes += op in ("del", "attempt")
            prev = end
        return live

    def _read_index_tail(self) -> None:
        if self._idx_fd < 0:
            return
        size = os.fstat(self._idx_fd).st_size
        if size == self._cur.idx_end:
            return
        log_size = os.fstat(self._log_fd).st_size if self._log_fd >= 0 else 0
        data = os.pread(self._idx_fd, size - self._cur.idx_end, self._cur.idx_end)
        complete = data.rfind(b"\n") + 1
        cur = self._cur
        # without live ids to follow, the last whole line alone may do (see _take_last)
        if not (self._live is None and complete and self._take_last(data, complete, log_size)):
            for line in data[:complete].splitlines():
                entry = self.parse_index(line, cur.idx_end)
                try:
                    end = int(entry["end"])
                    if end > log_size:  # past what the log kept (a power cut): see above
                        complete = -1
                        break
                    length = end - cur.covered
                    cur.covered = end
                    cur.next_id = max(cur.next_id, int(entry["n"]))
                    if not cur.take_totals(entry):
                        cur.count(entry, length)
                except (ValueError, KeyError, TypeError) as e:
                    raise StoreCorrupt(
                        self.index_path, f"bad line at byte {cur.idx_end} ({e})"
                    ) from e
                cur.idx_end += len(line) + 1
                if self._live is not None:
                    self._live.apply(entry, length)
        if complete < len(data) and self._write:  # torn tail, or lines past the log's end
            os.ftruncate(self._idx_fd, cur.idx_end)

    def _take_last(self, data: bytes, complete: int, log_size: int) -> bool:
        """Catch up over the whole lines DATA[:COMPLETE] from the last one alone, when it
        carries the running totals and lies within the log: every line before it then
        does too (they are written in order), and without live ids to follow nothing else
        is needed from them. So a process that only appends attempts (the forwarding
        helper) or reads does not parse the hundreds of lines a busy listener appends
        between two of its syncs, under the store's lock."""
        start = data.rfind(b"\n", 0, complete - 1) + 1
        last = data[start : complete - 1]
        at = fmt.stamps_at(last)
        if at < 0 or fmt.stamped_end(last, at) > log_size:
            return False
        entry = self.parse_index(last, self._cur.idx_end + start)
        if not fmt.has_totals(entry):
            return False
        cur = self._cur
        try:
            covered, next_id = int(entry["end"]), int(entry["n"])
            cur.take_totals(entry)
            cur.covered, cur.next_id = covered, max(cur.next_id, next_id)
        except (ValueError, KeyError, TypeError) as e:
            raise StoreCorrupt(self.index_path, f"bad line at byte {start} ({e})") from e
        cur.idx_end += complete
        return True

    def _read_log_tail(self) -> None:
        """Read log lines the index does not cover yet. A writer appends their index lines
        (and cuts a torn tail off); a reader keeps them in memory and changes nothing."""
        self._mem = []
        self._tip = self._cur
        if self._log_fd < 0:
            return
        size = os.fstat(self._log_fd).st_size
        start = self._cur.covered
        if size == start:
            self._cur.log_end = size
            return
        data = os.pread(self._log_fd, size - start, start)
        complete = data.rfind(b"\n") + 1
        if complete < len(data) and self._write:
            os.ftruncate(self._log_fd, start + complete)
        base = replace(self._cur)
        offset = start
        entries: list[fmt.IndexEntry] = []
        # ids ascend: a put past the index takes an id from the index's next one on (a
        # log read from its start, after a compaction, holds old ids after its meta line)
        last = self._cur.next_id - 1 if start > 0 else 0
        for line in data[:complete].splitlines(keepends=True):
            entry = self._index_entry(line, offset, last)
            if entry["op"] == "put":
                last = entry["id"]
            entries.append(entry)
            offset += len(line)
        if not self._write:  # the totals past the index are this process's alone
            self._mem, self._tip, self._cur = entries, self._cur, base
            return
        if entries:
            try:
                write_all(self._idx_fd, b"".join(fmt.dumps(e) for e in entries))
            except BaseException:
                self._forget()
                raise
            self._cur.idx_end = os.fstat(self._idx_fd).st_size
        self._cur.log_end = self._cur.covered = offset

    def _index_entry(self, line: bytes, off: int, last: int) -> fmt.IndexEntry:
        """The index entry of the log LINE at OFF, read from the log (see `_entry_of`), a
        put's id above LAST (the id of the put before it)."""
        try:
            op: fmt.LogOp = fmt.loads(line)  # type: ignore[assignment]
        except fmt.FormatError as e:
            raise StoreCorrupt(self.log_path, e.at(f" at byte {off}")) from e
        problem = fmt.log_problem(op, off == 0)
        if problem is None and op["op"] == "put":
            problem = fmt.out_of_order(op["id"], last)
        if problem is not None:  # as `store check` says it
            raise StoreCorrupt(self.log_path, f"byte {off}: {problem}")
        return self._entry_of(op, off, len(line))

    def _entry_of(self, op: fmt.LogOp, off: int, length: int) -> fmt.IndexEntry:
        """The index entry of the log line OP at OFF, LENGTH bytes, advancing the cursor
        (and live ids): for a line just encoded (log.py's append) and one read back."""
        try:
            entry = fmt.index_entry(op, off, length)
        except fmt.FormatError as e:
            raise StoreCorrupt(self.log_path, e.at(f" at byte {off}")) from e
        except (KeyError, TypeError, ValueError) as e:
            kind = op.get("op")
            raise StoreCorrupt(self.log_path, f"bad {kind} line at byte {off} ({e})") from e
        cur = self._cur
        if entry["op"] == "put":
            cur.next_id = max(cur.next_id, entry["id"] + 1)
        elif entry["op"] == "meta":
            cur.next_id = max(cur.next_id, int(op["next_id"]))
        cur.stamp(entry, off + length, length)
        if self._live is not None:
            self._live.apply(entry, length)
        return entry

    def track_live(self) -> None:
        """Keep the live ids up to date from now on (built at the next sync)."""
        self._tracking = True

    @property
    def live(self) -> LiveIds:
        """The live ids, oldest first, as of the last sync. After track_live()."""
        if self._live is None:
            raise RuntimeError("live ids not tracked: call track_live() before sync()")
        return self._live
