"""`store check`: read every line of the store and say what is wrong, changing nothing.

Opening a store reads only the index's last line, so damage in the middle of a file shows
up only when something reads there. This reads both files to the end: every log line must
be a known operation with the fields it needs, capture ids must ascend, and every index
line must describe its log line (same operation, id, offsets). The rules for one line
are format.py's (`load_index`, `log_problem`, `out_of_order`, records.py's `capture_of`), which the
readers apply to the lines they read: one owner each. Crash residue that the
next write repairs by itself (a torn last line, an index behind or ahead of the log) is
reported as a note, not a problem.

Nothing is created or opened for writing: the lock (if the store has one) is taken shared
only long enough to note the files' sizes; the files are append-only up to those sizes."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, cast

from hookcli.paths import check_private_dir, open_readonly
from hookcli.store import format as fmt
from hookcli.store import records
from hookcli.store.files import StoreCorrupt, StoreUnavailable
from hookcli.store.log import INDEX_NAME, LOCK_NAME, LOG_NAME

_CHUNK = 4 << 20


@dataclass(frozen=True)
class Finding:
    file: Path
    offset: int
    message: str


@dataclass
class Report:
    root: Path
    exists: bool = True
    lines: int = 0  # complete log lines read
    captures: int = 0  # live captures
    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _LogLine(NamedTuple):  # a tuple: a frozen dataclass costs 1 us a line to make
    op: str
    cid: int | None
    start: int
    end: int


def check(root: Path) -> Report:
    report = Report(root)
    log_path, index_path = root / LOG_NAME, root / INDEX_NAME
    try:
        check_private_dir(root, writing=False)
        log_fd = open_readonly(log_path)
        idx_fd = open_readonly(index_path)
    except OSError as e:  # a symlink, another user's file, no permission: as every command
        raise StoreUnavailable(root, e, writing=False) from e
    try:
        if log_fd is None and idx_fd is None:
            report.exists = False
            return report
        log_size, idx_size = _sizes(root, log_fd, idx_fd)
        if log_fd is None:
            report.problems.append(Finding(log_path, 0, "the log is missing but its index is not"))
            return report
        lines = _check_log(log_fd, log_size, log_path, report)
        if idx_fd is None:
            report.notes.append(
                Finding(index_path, 0, "no index: the next write rebuilds it from the log")
            )
        else:
            _check_index(idx_fd, idx_size, index_path, log_path, lines, report)
    finally:
        for fd in (log_fd, idx_fd):
            if fd is not None:
                os.close(fd)
    return report


def require_sound(root: Path) -> None:
    """Raise StoreCorrupt naming the first problem `check` finds (file and byte), so a
    command that must not act on a damaged store decides as `store check` does. Reads
    both files: O(store), for commands that change what is there or report on all of it,
    not for ingest or `ls` (those check what they read, as they read it)."""
    report = check(root)
    if report.problems:
        first = report.problems[0]
        raise StoreCorrupt(first.file, f"byte {first.offset}: {first.message}")


def _sizes(root: Path, log_fd: int | None, idx_fd: int | None) -> tuple[int, int]:
    """The files' sizes under the shared lock: a writer is not halfway through an append."""
    lock = open_readonly(root / LOCK_NAME)
    try:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_SH)
        return _size(log_fd), _size(idx_fd)
    finally:
        if lock is not None:
            os.close(lock)


def _size(fd: int | None) -> int:
    return 0 if fd is None else os.fstat(fd).st_size


def _lines(fd: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(start, line without newline) of the complete lines; the torn tail last, as
    (start, bytes) with no newline only when the file does not end with one."""
    pos = 0
    rest = b""
    while pos < size:
        chunk = os.pread(fd, min(_CHUNK, size - pos), pos)
        if not chunk:
            break
        data = rest + chunk
        base = pos - len(rest)
        pos += len(chunk)
        cut = data.rfind(b"\n") + 1
        start = 0
        while start < cut:
            nl = data.index(b"\n", start)
            yield base + start, data[start:nl]
            start = nl + 1
        rest = data[cut:]
    if rest:
        yield size - len(rest), rest


def _check_log(fd: int, size: int, path: Path, report: Report) -> list[_LogLine]:
    out: list[_LogLine] = []
    live: set[int] = set()
    last_put = 0
    for start, line in _lines(fd, size):
        end = start + len(line) + 1
        if end > size:
            report.notes.append(
                Finding(
                    path,
                    start,
                    f"an unfinished last line ({len(line)} bytes): a write cut short, never"
                    " acknowledged; the next write removes it",
                )
            )
            break
        try:
            op = fmt.loads(line)
        except fmt.FormatError as e:
            detail = f" ({e.detail})" if e.detail else ""
            found = f"expected a JSON object, found {_excerpt(line)}{detail}"
            report.problems.append(Finding(path, start, found))
            out.append(_LogLine("?", None, start, end))
            continue
        kind = op.get("op")
        cid = op.get("id") if kind in ("put", "attempt") else None
        out.append(_LogLine(str(kind), cid if isinstance(cid, int) else None, start, end))
        problem = fmt.log_problem(op, start == 0)
        if problem is None and kind == "put":
            problem = fmt.out_of_order(op["id"], last_put) or _capture_problem(op["doc"])
        if problem is not None:
            report.problems.append(Finding(path, start, problem))
        elif kind == "put":
            last_put = op["id"]
            live.add(op["id"])
        elif kind == "del":
            live.difference_update(op["ids"])
    report.lines = len(out)
    report.captures = len(live)
    return out


def _capture_problem(doc: dict[str, Any]) -> str | None:
    """What `show` would find wrong making the record into a Capture, or None."""
    try:
        records.capture_of(cast(fmt.CaptureRecord, doc))  # put_problem checked its fields
    except fmt.FormatError as e:
        return str(e)
    return None


def _check_index(
    fd: int, size: int, path: Path, log_path: Path, log: list[_LogLine], report: Report
) -> None:
    """Index line i describes log line i (a meta line included); the last line's totals
    match the log's."""
    i = 0
    entry: dict[str, Any] = {}
    for start, line in _lines(fd, size):
        if start + len(line) + 1 > size:
            report.notes.append(
                Finding(path, start, "an unfinished last line: the next write removes it")
            )
            return
        if i >= len(log) and not log:
            report.problems.append(Finding(log_path, 0, "the log is empty but its index is not"))
            return
        if i >= len(log) and (found := _not_index(fd, start, size, log[-1].end)) is not None:
            # a power cut keeps whole index lines the log lacks, never lines that do not
            # parse: every command refuses those, so this says so too
            at, problem = found
            report.problems.append(Finding(path, at, problem))
            return
        if i >= len(log):
            report.notes.append(
                Finding(
                    path,
                    start,
                    f"{_count(size, start, fd)} lines past the log's end (a power cut kept"
                    " them, not the log lines): they are ignored, and the next write cuts"
                    " them off",
                )
            )
            return
        want = log[i]
        i += 1
        try:  # the fields each op needs, "end" and "n" among them (format.py's rule)
            entry = fmt.load_index(line)  # type: ignore[assignment]
        except fmt.FormatError as e:
            report.problems.append(
                Finding(path, start, f"expected an index entry, found {_excerpt(line)} ({e})")
            )
            continue
        if want.op == "?":
            continue  # the log line itself was reported
        op, end = entry["op"], entry["end"]
        wrong = None
        if op != want.op or end != want.end:
            wrong = (
                f"describes a {op} line ending at log byte {end}; the log has a"
                f" {want.op} line at bytes {want.start}-{want.end}"
            )
        elif op in ("put", "attempt") and entry.get("id") != want.cid:
            wrong = f"names capture {entry.get('id')}; the log line {want.cid}"
        elif op == "put" and (entry.get("off"), entry.get("len")) != (
            want.start,
            want.end - want.start,
        ):
            wrong = f"gives the wrong byte range for capture {want.cid}"
        if wrong is not None:  # the lines after it are out of step too: one report
            report.problems.append(
                Finding(path, start, wrong + "; the index no longer matches the log from here")
            )
            return
    if i == len(log) and fmt.has_totals(entry) and entry["c"] != report.captures:  # type: ignore[arg-type]
        report.problems.append(
            Finding(
                path,
                size,
                f"the last line counts {entry['c']} live captures; the log holds {report.captures}",
            )
        )
    if i < len(log) and all(line.op != "?" for line in log[i:]):
        report.notes.append(
            Finding(
                path,
                size,
                f"the index lacks the last {len(log) - i} log lines (a crash between the two"
                " writes): readers work around it, and the next write adds them",
            )
        )


def _not_index(fd: int, start: int, size: int, covered: int) -> tuple[int, str] | None:
    """(offset, what) of the first whole line from START that is not what a power cut
    leaves past the log's end (COVERED): index entries of log lines the log lacks, each
    ending further on."""
    for at, line in _lines(fd, size):
        if at < start or at + len(line) + 1 > size:
            continue
        try:
            end = fmt.load_index(line)["end"]
        except fmt.FormatError as e:
            return at, f"expected an index entry, found {_excerpt(line)} ({e})"
        if end <= covered:
            return at, (
                f"describes a line ending at log byte {end}, not past the last one"
                f" ({covered}): the index no longer matches the log from here"
            )
        covered = end
    return None


def _count(size: int, start: int, fd: int) -> int:
    return os.pread(fd, size - start, start).count(b"\n")


def _excerpt(line: bytes, width: int = 40) -> str:
    text = line[:width].decode("utf-8", errors="backslashreplace")
    return repr(text + ("..." if len(line) > width else ""))


def scan_log(fd: int, size: int, path: Path) -> tuple[Report, list[tuple[int, int]]]:
    """The first SIZE bytes of the log FD checked as `check` does, and the byte spans
    (start, end; each line with its newline) of the lines it found damaged, a torn last
    line included: what `store repair` moves aside."""
    report = Report(path.parent)
    lines = _check_log(fd, size, path, report)
    bad = {f.offset for f in report.problems}
    spans = [(line.start, line.end) for line in lines if line.start in bad]
    complete = lines[-1].end if lines else 0
    if complete < size:  # bytes after the last newline
        spans.append((complete, size))
    return report, spans
