"""`hookcli store repair`: a store with damaged bytes, made by the real store code and then
broken as a disk or a stray editor breaks files, is mended by moving the damage into a
quarantine file beside it, byte for byte; `store check`, commands that hit the damage and
a running listener all point to it."""

from __future__ import annotations

import json
from pathlib import Path

from hookcli.model.capture import Capture
from hookcli.store import Store
from tests.conftest import Listener, run, send

GARBAGE = b'{"op":"put","id":2,"doc":{"id"\x00\xffnot json at all'


def filled(store: Path, count: int = 3) -> None:
    st = Store(store)
    try:
        st.add([Capture("POST", f"/{i}", "", [("A", "b")], b"x" * 50) for i in range(count)])
    finally:
        st.close()


def damage_line(store: Path, index: int) -> tuple[bytes, bytes]:
    """Log line INDEX replaced by garbage; (the whole log before, the damaged line)."""
    log = store / "captures.jsonl"
    before = log.read_bytes()
    lines = before.split(b"\n")
    lines[index] = GARBAGE
    log.write_bytes(b"\n".join(lines))
    return before, GARBAGE + b"\n"


def test_check_and_show_point_to_repair(store: Path) -> None:
    filled(store)
    damage_line(store, 1)
    checked = run(store, "store", "check")
    assert checked.returncode == 1
    assert "`hookcli store repair` moves the damaged lines" in checked.stderr.decode()
    shown = run(store, "show", "2")
    assert shown.returncode == 1, shown
    err = shown.stderr.decode()
    assert "cannot be read" in err and "hookcli store repair" in err, err


def test_repair_moves_the_damage_aside_and_deletes_nothing(store: Path) -> None:
    filled(store)
    index_before = (store / "index.jsonl").read_bytes()
    _, bad = damage_line(store, 1)
    damaged_log = (store / "captures.jsonl").read_bytes()
    r = run(store, "store", "repair")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    (quarantine,) = store.glob("quarantine-*.log")
    (old_index,) = store.glob("quarantine-*.index")
    start = damaged_log.index(bad)
    assert out.startswith(
        f"Moved 1 damaged line ({len(bad)} bytes, at byte {start}) to {quarantine}"
    )
    assert f"the old one is {old_index}" in out
    assert out.endswith(f"ok: {store}: 2 captures in 2 log lines\n")
    # every byte is somewhere: the new log and the quarantine make up the damaged log
    repaired = (store / "captures.jsonl").read_bytes()
    assert quarantine.read_bytes() == bad
    assert repaired[:start] + bad + repaired[start:] == damaged_log
    assert old_index.read_bytes() == index_before
    assert run(store, "store", "check").returncode == 0
    listed = json.loads(run(store, "ls", "--json").stdout)
    assert [row["id"] for row in listed] == [3, 1]
    again = run(store, "store", "repair")
    assert again.returncode == 0 and again.stdout.decode() == f"ok: {store}: nothing to repair\n"


def test_repair_keeps_a_torn_last_line_and_the_store_takes_new_captures(store: Path) -> None:
    filled(store, 2)
    log = store / "captures.jsonl"
    with log.open("ab") as f:
        f.write(b'{"op":"put","id":3,"doc":{"id":3,"recei')  # a write cut short
    r = run(store, "store", "repair", "--json")
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["ok"] and done["captures"] == 2 and done["changed"]
    assert Path(done["quarantine"]).read_bytes() == b'{"op":"put","id":3,"doc":{"id":3,"recei'
    st = Store(store)
    try:
        (new_id,) = st.add([Capture("POST", "/after", "", [], b"")])
    finally:
        st.close()
    assert new_id == 3


def test_a_listener_on_a_store_damaged_under_it_points_to_repair(store: Path) -> None:
    filled(store, 1)
    lst = Listener(store, json_lines=False)
    try:
        with (store / "index.jsonl").open("ab") as f:
            f.write(b"not an index entry\n")  # a stray write by another program
        status, _, _ = send(lst.url, "POST", "/after", b"{}")
        line = lst.wait_stderr("not recorded")
    finally:
        lst.stop()
    assert status == 500
    assert "`hookcli store repair` moves the damaged lines" in line, line


def test_repair_of_no_store_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nothing" / "here"
    r = run(missing, "store", "repair")
    assert r.returncode == 0 and "nothing to repair" in r.stdout.decode()
    assert not (tmp_path / "nothing").exists()
