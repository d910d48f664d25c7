"""Damaged stores: `store check` and every other command decide alike, and nothing writes
to a damaged store (docs/store.md: "Any other damage makes the store unreadable: commands
exit 1 naming the file, and leave it byte-for-byte untouched").

The files are damaged with plain byte edits; the commands are the real CLI."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from hookcli.store.store import Store
from tests.conftest import run

COUNT = 15


def _fill(root: Path, count: int = COUNT) -> Path:
    st = Store(root)
    st.add([Capture("POST", f"/{i}", "", [], b'{"n":%d}' % i) for i in range(count)])
    st.close()
    return root


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


def _check(root: Path) -> tuple[int, dict[str, object]]:
    r = run(root, "store", "check", "--json")
    return r.returncode, json.loads(r.stdout)


def _error(r: object) -> str:
    err: str = r.stderr.decode()  # type: ignore[attr-defined]
    assert r.returncode == 1, err  # type: ignore[attr-defined]
    assert err.startswith("error: ") and "Traceback" not in err, err
    assert "hookcli store repair" in err, err
    return err


def _refuses_to_write(root: Path) -> None:
    """rm, prune and compact exit 1 naming a store file, and change no byte."""
    before = _files(root)
    for args in (["rm", "3"], ["prune", "--keep", "2"], ["store", "compact"]):
        err = _error(run(root, *args))
        assert str(root) in err, (args, err)
        assert _files(root) == before, args


# -- the eight cases ------------------------------------------------------------------


def test_two_swapped_log_lines(tmp_path: Path) -> None:
    root = _fill(tmp_path / "s")
    log = root / "captures.jsonl"
    lines = _lines(log)
    lines[10], lines[11] = lines[11], lines[10]  # captures 11 and 12
    log.write_bytes(b"".join(lines))
    code, report = _check(root)
    assert code == 1 and "ids must ascend" in json.dumps(report["problems"])
    err = _error(run(root, "show", "11"))
    assert str(log) in err and "#12" not in err
    assert run(root, "show", "11").stdout == b""
    _refuses_to_write(root)


def _offset_of_problem(root: Path) -> int:
    code, report = _check(root)
    assert code == 1
    problems = report["problems"]
    assert isinstance(problems, list) and problems
    offset: int = problems[0]["offset"]
    return offset


@pytest.mark.parametrize("where", ["unparseable", "bad utf-8"])
def test_damage_in_a_middle_log_line(tmp_path: Path, where: str) -> None:
    root = _fill(tmp_path / "s")
    log = root / "captures.jsonl"
    lines = _lines(log)
    if where == "unparseable":  # same length: the index still lines up byte for byte
        lines[5] = lines[5][:20] + b"#" * (len(lines[5]) - 21) + b"\n"
    else:
        at = lines[5].index(b'"/5"') + 2
        lines[5] = lines[5][:at] + b"\xff" + lines[5][at + 1 :]
    log.write_bytes(b"".join(lines))
    offset = _offset_of_problem(root)
    assert offset == sum(map(len, lines[:5]))
    for args in (["store", "info"], ["show", "6"]):
        err = _error(run(root, *args))
        assert str(log) in err and f"byte {offset}" in err, (args, err)
    _refuses_to_write(root)


@pytest.mark.parametrize("damage", ["off one byte wrong", "misspelt key"])
def test_damage_in_a_middle_index_line(tmp_path: Path, damage: str) -> None:
    root = _fill(tmp_path / "s")
    index = root / "index.jsonl"
    lines = _lines(index)
    if damage == "misspelt key":
        lines[5] = lines[5].replace(b'"off":', b'"ofv":')
    else:
        m = re.search(rb'"off":(\d+)', lines[5])
        assert m is not None
        lines[5] = lines[5].replace(m.group(0), b'"off":%d' % (int(m.group(1)) + 1))
    index.write_bytes(b"".join(lines))
    offset = _offset_of_problem(root)
    assert offset == sum(map(len, lines[:5]))
    for args in (["ls"], ["store", "info"], ["show", "6"]):
        err = _error(run(root, *args))
        assert str(index) in err and f"byte {offset}" in err, (args, err)
    _refuses_to_write(root)


def test_a_duplicated_last_log_line(tmp_path: Path) -> None:
    root = _fill(tmp_path / "s")
    log = root / "captures.jsonl"
    lines = _lines(log)
    log.write_bytes(b"".join([*lines, lines[-1]]))
    offset = _offset_of_problem(root)
    assert offset == sum(map(len, lines))
    for args in (["ls"], ["show", "last"], ["store", "info"]):
        err = _error(run(root, *args))
        assert str(log) in err and f"byte {offset}" in err, (args, err)
    _refuses_to_write(root)
    assert len(_lines(root / "index.jsonl")) == COUNT, "the index never counts the duplicate"


def test_garbage_at_the_end_of_the_index(tmp_path: Path) -> None:
    """Whole lines that do not parse are not what a power cut leaves (it keeps whole index
    lines the log lacks): a problem for `check`, as for every other command."""
    root = _fill(tmp_path / "s")
    index = root / "index.jsonl"
    size = index.stat().st_size
    with index.open("ab") as f:
        f.write(b"garbage garbage\n")
    assert _offset_of_problem(root) == size
    for args in (["ls"], ["show", "last"], ["store", "info"]):
        err = _error(run(root, *args))
        assert str(index) in err and f"byte {size}" in err, (args, err)
    _refuses_to_write(root)


def test_the_log_emptied_with_its_index_intact(tmp_path: Path) -> None:
    root = _fill(tmp_path / "s")
    (root / "captures.jsonl").write_bytes(b"")
    code, report = _check(root)
    assert code == 1 and "the log is empty" in json.dumps(report["problems"])
    for args in (["ls"], ["show", "last"], ["store", "info"]):
        err = _error(run(root, *args))
        assert "the log is empty but its index is not" in err, (args, err)
    _refuses_to_write(root)


def test_crash_residue_is_still_repaired_not_refused(tmp_path: Path) -> None:
    """What a crash leaves (a torn last line; index lines past the log after a power cut)
    stays a note for `check` and is worked around by readers."""
    root = _fill(tmp_path / "s")
    log = root / "captures.jsonl"
    lines = _lines(log)
    log.write_bytes(b"".join(lines[:-1]))  # the last capture's log line never got to disk
    with log.open("ab") as f:
        f.write(b'{"op":"put","id":99')  # and a torn one
    code, report = _check(root)
    assert code == 0 and report["notes"], report
    r = run(root, "ls", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == COUNT - 1
    assert run(root, "rm", "3").returncode == 0
    assert _check(root)[0] == 0


# -- one owner per rule: the readers apply the rules `check` applies --------------------


def test_a_record_holding_another_capture_id(tmp_path: Path) -> None:
    """The log line of capture 6 whose record says id 7 (same length: the index still lines
    up): `check` says so, and `show` and `export` refuse it rather than print #7."""
    root = _fill(tmp_path / "s")
    log = root / "captures.jsonl"
    lines = _lines(log)
    assert b'"doc":{"id":6,' in lines[5]
    lines[5] = lines[5].replace(b'"doc":{"id":6,', b'"doc":{"id":7,')
    log.write_bytes(b"".join(lines))
    offset = _offset_of_problem(root)
    assert offset == sum(map(len, lines[:5]))
    for args in (["show", "6"], ["export", "6", "--format", "curl"]):
        r = run(root, *args)
        err = _error(r)
        assert str(log) in err and f"byte {offset}" in err, (args, err)
        assert b"/6" not in r.stdout, args
    _refuses_to_write(root)


def test_a_record_that_makes_no_capture(tmp_path: Path) -> None:
    """Capture 6's record with a body_encoding nobody writes (same length): `check` says
    it cannot be read, and `show` and `export` refuse it at the same byte, the same way
    (not as an unexpected error)."""
    root = _fill(tmp_path / "s")
    log = root / "captures.jsonl"
    lines = _lines(log)
    lines[5] = lines[5].replace(b'"body_encoding":"utf-8"', b'"body_encoding":"utf-9"')
    log.write_bytes(b"".join(lines))
    offset = _offset_of_problem(root)
    assert offset == sum(map(len, lines[:5]))
    for args in (["show", "6"], ["export", "6", "--format", "curl"]):
        err = _error(run(root, *args))
        assert str(log) in err and f"byte {offset}" in err and "unexpected" not in err, args


@pytest.mark.parametrize(
    "line",
    [
        b'{"op":"attempt","id":3,"kind":"forwardz","attempt":{}}\n',  # an unknown kind
        b'{"op":"meta","next_id":99}\n',  # a meta line after the log's start
        b'{"op":"put","id":4,"doc":{"id":4}}\n',  # an old id, and a record without fields
    ],
    ids=["attempt-kind", "meta-mid-log", "put-old-id"],
)
def test_a_log_line_past_the_index_is_checked_as_check_checks_it(
    tmp_path: Path, line: bytes
) -> None:
    """Log lines the index lacks (a crash between the two writes) are read back by every
    command: one that `check` calls a problem is refused by them all, at the same byte,
    and never indexed."""
    root = _fill(tmp_path / "s")
    log = root / "captures.jsonl"
    size = log.stat().st_size
    with log.open("ab") as f:
        f.write(line)
    assert _offset_of_problem(root) == size
    for args in (["ls"], ["show", "last"], ["store", "info"]):
        err = _error(run(root, *args))
        assert str(log) in err and f"byte {size}" in err, (args, err)
    _refuses_to_write(root)
    assert len(_lines(root / "index.jsonl")) == COUNT, "the index never counts the line"


# -- random damage ----------------------------------------------------------------------

Damage = Callable[[random.Random, Path], None]


def _pick(rng: random.Random, root: Path) -> Path:
    return root / rng.choice(["captures.jsonl", "index.jsonl"])


def _swap(rng: random.Random, root: Path) -> None:
    path = _pick(rng, root)
    lines = _lines(path)
    i = rng.randrange(len(lines) - 1)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    path.write_bytes(b"".join(lines))


def _truncate(rng: random.Random, root: Path) -> None:
    path = _pick(rng, root)
    data = path.read_bytes()
    path.write_bytes(data[: rng.randrange(len(data))])


def _flip(rng: random.Random, root: Path) -> None:
    path = _pick(rng, root)
    data = bytearray(path.read_bytes())
    at = rng.randrange(len(data))
    data[at] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


def _duplicate(rng: random.Random, root: Path) -> None:
    path = _pick(rng, root)
    lines = _lines(path)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    path.write_bytes(b"".join(lines))


def _empty(rng: random.Random, root: Path) -> None:
    _pick(rng, root).write_bytes(b"")


def _garbage(rng: random.Random, root: Path) -> None:
    path = _pick(rng, root)
    data = path.read_bytes()
    at = rng.choice([len(data), rng.randrange(len(data))])
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
    path.write_bytes(data[:at] + junk + data[at:])


DAMAGES: list[Damage] = [_swap, _truncate, _flip, _duplicate, _empty, _garbage]
READERS = (["ls"], ["show", "last"], ["store", "info"])


@pytest.mark.parametrize("seed", range(12))
def test_random_damage_check_and_commands_agree(tmp_path: Path, seed: int) -> None:
    """For each damaged store: when `check` finds a problem, `store info` refuses and
    nothing that writes changes a byte; when a reading command refuses, `check` finds a
    problem too; when `check` finds none, every command works."""
    rng = random.Random(seed)
    for case in range(4):
        root = _fill(tmp_path / f"s{case}", count=rng.randrange(3, 9))
        damage = rng.choice(DAMAGES)
        damage(rng, root)
        code, report = _check(root)
        assert code in (0, 1), report
        before = _files(root)
        results = {tuple(args): run(root, *args) for args in READERS}
        for args, r in results.items():
            assert b"Traceback" not in r.stderr, (damage.__name__, args, r.stderr)
            if r.returncode != 0:
                what = (damage.__name__, args, r.stderr, report)
                if b"no captures yet" not in r.stderr:
                    assert code == 1, what  # a refusal `check` does not back
        assert _files(root) == before, (damage.__name__, "a reading command wrote")
        if code == 1:
            assert results[("store", "info")].returncode == 1, (damage.__name__, report)
            for args in (["rm", "1"], ["prune", "--keep", "1"], ["store", "compact"]):
                r = run(root, *args)
                assert r.returncode == 1, (damage.__name__, args, r.stdout, report)
                assert _files(root) == before, (damage.__name__, args, "wrote")
        else:
            r = run(root, "rm", "1")
            assert r.returncode in (0, 1) and b"Traceback" not in r.stderr, r.stderr
            assert _check(root)[0] == 0, (damage.__name__, "rm damaged a sound store")
