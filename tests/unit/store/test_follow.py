"""Following the store as the TUI does: read everything once with a mark, then only what
other writers appended after it; a compaction or clear says "read again"."""

from __future__ import annotations

from pathlib import Path

from hookcli.model.capture import Attempt, Capture
from hookcli.store import Store


def cap(path: str) -> Capture:
    return Capture("POST", path, "", [], b"{}")


def test_changes_since_gives_only_what_others_appended(tmp_path: Path) -> None:
    writer, reader = Store(tmp_path / "s"), Store(tmp_path / "s")
    writer.add([cap("/1"), cap("/2")])
    mark, rows = reader.summaries_marked()
    assert [s["path"] for s in rows] == ["/2", "/1"]

    got = reader.changes_since(mark)
    assert got is not None and got[1] == []
    writer.add([cap("/3")])
    writer.delete([1])
    writer.add_attempt(2, "replays", Attempt("2026-01-01T00:00:00+00:00", "http://t/", 200, 1.0))
    got = reader.changes_since(mark)
    assert got is not None
    mark, entries = got
    assert [(e["op"], e.get("id"), e.get("ids")) for e in entries] == [
        ("put", 3, None),
        ("del", None, [1]),
        ("attempt", 2, None),
    ]
    assert entries[0]["s"]["path"] == "/3"
    again = reader.changes_since(mark)
    assert again is not None and again[1] == [], "the mark moved past what was read"


def test_a_replaced_store_asks_for_a_fresh_read(tmp_path: Path) -> None:
    writer, reader = Store(tmp_path / "s"), Store(tmp_path / "s")
    writer.add([cap("/1")])
    mark, _ = reader.summaries_marked()
    writer.clear()
    writer.add([cap("/2")])
    assert reader.changes_since(mark) is None
    _, rows = reader.summaries_marked()
    assert [s["id"] for s in rows] == [2]


def test_a_follower_on_a_missing_store_creates_nothing_and_sees_it_appear(
    tmp_path: Path,
) -> None:
    root = tmp_path / "later"
    reader = Store(root)
    mark, rows = reader.summaries_marked()
    assert list(rows) == []
    got = reader.changes_since(mark)
    assert got is not None and got[1] == []
    assert not root.exists(), "reading creates nothing"
    Store(root).add([cap("/first")])
    assert reader.changes_since(mark) is None, "a new store: read it from the start"
    _, rows = reader.summaries_marked()
    assert [s["path"] for s in rows] == ["/first"]
