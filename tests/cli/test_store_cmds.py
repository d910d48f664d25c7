"""`hookcli store info | compact | check` and `hookcli prune` as a user types them: what
they print, their JSON, and that on a path with no store they create nothing."""

from __future__ import annotations

from pathlib import Path

from hookcli.model.capture import Capture
from hookcli.store import Store
from tests.conftest import run, run_json


def _fill(store: Path, count: int, size: int = 100) -> None:
    Store(store).add([Capture("POST", f"/{i}", "", [], b"x" * size) for i in range(count)])


def test_store_info_json_and_text(store: Path) -> None:
    _fill(store, 10)
    Store(store).delete([1, 2])
    info = run_json(store, "store", "info")
    assert set(info) == {
        "path",
        "captures",
        "bytes",
        "deleted_bytes",
        "oldest",
        "newest",
        "next_id",
    }
    assert info["path"] == str(store) and info["captures"] == 8 and info["next_id"] == 11
    assert info["oldest"]["id"] == 3 and info["newest"]["id"] == 10
    on_disk = sum(p.stat().st_size for p in store.glob("*.jsonl"))
    assert info["bytes"] == on_disk and 0 < info["deleted_bytes"] < on_disk
    text = run(store, "store", "info").stdout.decode()
    assert str(store) in text and "Captures  8" in text and "Next id   11" in text


def test_compact_prints_bytes_before_and_after(store: Path) -> None:
    _fill(store, 20)
    Store(store).delete(range(1, 16))
    before = run_json(store, "store", "info")
    done = run_json(store, "store", "compact")
    assert done["bytes_before"] == before["bytes"] and done["captures"] == 5
    assert done["bytes_after"] < before["bytes"] - before["deleted_bytes"] + 200
    assert run_json(store, "store", "info")["deleted_bytes"] == 0
    text = run(store, "store", "compact").stdout.decode()
    assert text.startswith(f"Compacted {store}: ") and "(5 captures)" in text


def test_prune_dry_run_names_the_ids_and_deletes_nothing(store: Path) -> None:
    _fill(store, 6)
    r = run(store, "prune", "--keep", "2", "--dry-run")
    assert r.returncode == 0
    assert r.stdout.decode() == "Would delete 4 captures: 1-4 (dry run: nothing deleted).\n"
    assert run_json(store, "prune", "--keep", "2", "--dry-run") == {"deleted": [1, 2, 3, 4]}
    assert len(run_json(store, "ls")) == 6
    r = run(store, "prune", "--keep", "2")
    assert r.stdout.decode().startswith("Deleted 4 captures: 1-4. 2 left, ")
    assert [x["id"] for x in run_json(store, "ls")] == [6, 5]
    assert run_json(store, "prune", "--older-than", "1d") == {"deleted": []}


def test_check_of_a_sound_store(store: Path) -> None:
    _fill(store, 3)
    r = run(store, "store", "check")
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout.decode() == f"ok: {store}: 3 captures in 3 log lines, no problems\n"


def test_commands_on_a_path_with_no_store_create_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nothing" / "here"
    for args, says in (
        (("store", "info"), "no store here yet"),
        (("store", "compact"), "nothing to compact"),
        (("store", "check"), "nothing to check"),
        (("prune", "--keep", "1"), "nothing to prune"),
    ):
        r = run(missing, *args)
        assert r.returncode == 0 and says in r.stdout.decode(), (args, r)
    assert run_json(missing, "store", "info")["captures"] == 0
    assert not (tmp_path / "nothing").exists()


def test_store_before_or_after_the_command_name_beats_the_environment(tmp_path: Path) -> None:
    a, b, env = tmp_path / "a", tmp_path / "b", tmp_path / "env"
    for root, count in ((a, 1), (b, 2), (env, 3)):
        _fill(root, count)

    def count(*args: str) -> int:
        return len(run_json(env, *args))  # HOOKCLI_STORE=env for every run

    assert count("ls") == 3
    assert count("--store", str(a), "ls") == 1, "before the command name, as git -C"
    assert count("ls", "--store", str(b)) == 2
    assert count("--store", str(a), "ls", "--store", str(b)) == 2, "the command's own wins"
    info = run_json(env, "--store", str(b), "store", "info")
    assert info["path"] == str(b) and info["captures"] == 2
