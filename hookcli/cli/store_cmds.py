"""`hookcli store info | compact | check | repair` and `hookcli prune`: looking after the
store."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hookcli.cli.common import (
    REPAIR_HINT,
    JsonOpt,
    StoreOpt,
    handled,
    id_ranges,
    open_store,
    print_json,
    store_path,
)
from hookcli.errors import HookcliError, UsageError

if TYPE_CHECKING:
    from hookcli.store.check import Finding

store_app = typer.Typer(
    name="store",
    help="Look after the store: its size, compaction, a check of every line, repair.",
    no_args_is_help=True,
)


def info(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Where the store is, how many captures it holds, and the space they take."""
    from hookcli.model.units import human_size

    st = open_store(store)
    st.require_sound()  # a report on the whole store: what `store check` finds, it refuses
    got = st.info()
    stats = got.stats
    if json_out:
        print_json(
            {
                "path": str(st.root),
                "captures": stats.captures,
                "bytes": stats.log_bytes + stats.index_bytes,
                "deleted_bytes": stats.garbage,
                "oldest": _brief(got.oldest),
                "newest": _brief(got.newest),
                "next_id": stats.next_id,
            }
        )
        return
    out = [f"Store     {st.root}" + ("" if st.exists() else "  (no store here yet)")]
    out.append(f"Captures  {stats.captures:,}")
    for label, s in (("Oldest", got.oldest), ("Newest", got.newest)):
        if s is not None:
            out.append(f"{label:<9} {s['id']}  {_local(s['received_at'])}")
    size = stats.log_bytes + stats.index_bytes
    out.append(
        f"Size      {human_size(size)}  (log {human_size(stats.log_bytes)},"
        f" index {human_size(stats.index_bytes)})"
    )
    out.append(f"Deleted   {human_size(stats.garbage)} held by deleted captures")
    out.append(f"Next id   {stats.next_id}")
    sys.stdout.write("\n".join(out) + "\n")


def compact(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Rewrite the store without its deleted captures, giving the space back.

    Safe while `listen` writes to the store: nothing is lost and ids keep counting up.
    The store also compacts itself when deleted captures hold more than half of it (and
    more than 1 MiB)."""
    from hookcli.model.units import human_size

    st = open_store(store)
    done = st.compact()
    before, after, captures = (done.before, done.after, done.captures) if done else (0, 0, 0)
    if json_out:
        print_json(
            {
                "path": str(st.root),
                "bytes_before": before,
                "bytes_after": after,
                "captures": captures,
            }
        )
    elif done is None:
        sys.stdout.write(f"No store at {st.root}: nothing to compact.\n")
    else:
        noun = "capture" if captures == 1 else "captures"
        sys.stdout.write(
            f"Compacted {st.root}: {human_size(before)} -> {human_size(after)}"
            f" ({captures:,} {noun}).\n"
        )


def check(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Read every line of the store and report what is wrong; change nothing.

    Each problem names the file, the byte offset and what was expected; exit 1 if there
    is any. Crash residue the next write repairs by itself is a note, not a problem."""
    from hookcli.render.colors import terminal_width
    from hookcli.render.row import fold
    from hookcli.store.check import check as check_store

    width = terminal_width(sys.stdout)
    root = store_path(store)
    report = check_store(root)
    if json_out:
        print_json(
            {
                "path": str(root),
                "ok": report.ok,
                "lines": report.lines,
                "captures": report.captures,
                "problems": [_finding(f) for f in report.problems],
                "notes": [_finding(f) for f in report.notes],
            }
        )
    else:
        if not report.exists:
            sys.stdout.write(f"No store at {root}: nothing to check.\n")
        for f in report.problems:
            sys.stdout.write(fold(f"{f.file}: byte {f.offset}: {f.message}", width(), 2) + "\n")
        for f in report.notes:
            note = f"note: {f.file}: byte {f.offset}: {f.message}"
            sys.stdout.write(fold(note, width(), 6) + "\n")
        if report.ok and report.exists:
            sys.stdout.write(
                f"ok: {root}: {report.captures:,} captures in {report.lines:,} log lines,"
                " no problems\n"
            )
    if not report.ok:
        count = len(report.problems)
        raise HookcliError(
            f"{count} problem{'s' if count != 1 else ''} in the store {root}; nothing was changed",
            REPAIR_HINT,
        )


def repair(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Move damaged lines aside so the store can be read and written again.

    What `store check` reports as damaged (and a torn last line) is moved, byte for byte,
    into quarantine-STAMP.log in the store's directory; an index that no longer matches is
    moved to quarantine-STAMP.index and rebuilt from the log. Nothing is deleted."""
    from hookcli.render.colors import terminal_width
    from hookcli.render.row import fold
    from hookcli.store.repair import repair as repair_store

    root = store_path(store)
    done = repair_store(root)
    if not done.before.exists:
        sys.stdout.write(f"No store at {root}: nothing to repair.\n")
        return
    if json_out:
        print_json(
            {
                "path": str(root),
                "changed": done.changed,
                "quarantine": str(done.quarantine) if done.quarantine else None,
                "moved": [{"offset": a, "bytes": b - a} for a, b in done.moved],
                "old_index": str(done.old_index) if done.old_index else None,
                "ok": done.after.ok,
                "captures": done.after.captures,
            }
        )
    elif not done.changed:
        sys.stdout.write(f"ok: {root}: nothing to repair\n")
    else:
        out = []
        if done.quarantine is not None:
            n = len(done.moved)
            where = ", ".join(f"byte {a}" for a, _ in done.moved[:5])
            more = f" and {n - 5} more" if n > 5 else ""
            out.append(
                f"Moved {n} damaged line{'s' if n != 1 else ''} ({done.moved_bytes:,} bytes,"
                f" at {where}{more}) to {done.quarantine}"
            )
        if done.old_index is not None:
            out.append(f"Rebuilt the index from the log (the old one is {done.old_index})")
        out.append(
            f"{'ok' if done.after.ok else 'still damaged'}: {root}: {done.after.captures:,}"
            f" captures in {done.after.lines:,} log lines"
        )
        width = terminal_width(sys.stdout)()
        sys.stdout.write("\n".join(fold(line, width, 2) for line in out) + "\n")
    if not done.after.ok:
        raise HookcliError(f"the store {root} still has problems after the repair")


def prune(
    keep: Annotated[
        int | None,
        typer.Option("--keep", metavar="N", help="Delete all but the N newest captures."),
    ] = None,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Delete the captures older than this: 12h, 7d, 30m, 1h30m.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Delete nothing; name what would be deleted.")
    ] = False,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete old captures: all but the N newest, or those older than a duration.

    With both options, the union is deleted. Ids are never given out again; the space
    comes back as the store compacts itself."""
    from hookcli.model.units import human_size, parse_duration

    forms = "`hookcli prune --keep 1000` or `hookcli prune --older-than 7d`"
    if keep is None and older_than is None:
        raise UsageError("prune needs --keep N, --older-than DURATION, or both", f"e.g. {forms}")
    if keep is not None and keep < 1:
        raise UsageError(f"--keep must be 1 or more, got {keep}", f"e.g. {forms}")
    cutoff = None
    if older_than is not None:
        try:
            cutoff = datetime.now(UTC) - timedelta(seconds=parse_duration(older_than))
        except ValueError as e:
            raise UsageError(f"--older-than: {e}") from None
    st = open_store(store)
    ids = st.prune(keep=keep, older_than=cutoff, dry_run=dry_run)
    if json_out:
        print_json({"deleted": ids})
        return
    if not st.exists():
        sys.stdout.write(f"No store at {st.root}: nothing to prune.\n")
        return
    noun = "capture" if len(ids) == 1 else "captures"
    listed = f": {_few(id_ranges(ids))}" if ids else ""
    if dry_run:
        sys.stdout.write(f"Would delete {len(ids):,} {noun}{listed} (dry run: nothing deleted).\n")
    else:
        stats = st.info().stats
        size = human_size(stats.log_bytes + stats.index_bytes)
        sys.stdout.write(
            f"Deleted {len(ids):,} {noun}{listed}. {stats.captures:,} left, {size} on disk.\n"
        )


def _few(ranges: str, most: int = 8) -> str:
    """The first MOST ranges of a list like "1-3, 7, 9-12": a prune may name thousands."""
    parts = ranges.split(", ")
    if len(parts) <= most:
        return ranges
    return ", ".join(parts[:most]) + f" and {len(parts) - most:,} more ranges"


def _brief(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {"id": summary["id"], "received_at": summary["received_at"]}


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _finding(f: Finding) -> dict[str, Any]:
    return {"file": str(f.file), "offset": f.offset, "message": f.message}


def register(app: typer.Typer) -> None:
    for fn in (info, compact, check, repair):
        store_app.command(fn.__name__)(handled(fn))
    app.add_typer(store_app)
    app.command()(handled(prune))
