"""The helper-process mechanism (hookcli/server/helpers/process.py) with real processes:
requests and replies as lines after the `ready` line, a helper's end seen with its exit
status and told once, a helper that cannot start or is never ready given up on, a full
pipe that never blocks the listener, and a stop that kills what does not finish. The
children are tests/helper_child.py and the real compaction child."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from hookcli.server.helpers.compact import CompactHelper
from hookcli.server.helpers.process import Helper, Loss
from hookcli.store import Store
from tests.receiver import Receiver

CHILD = "tests.helper_child"


class Seen:
    """What a helper told: its losses and replies, each awaitable."""

    def __init__(self) -> None:
        self.losses: list[Loss] = []
        self.replies: list[str] = []
        self._changed = asyncio.Event()

    def lost(self, loss: Loss) -> None:
        self.losses.append(loss)
        self._changed.set()

    def reply(self, line: str) -> None:
        self.replies.append(line)
        self._changed.set()

    async def until(self, done: Callable[[], bool]) -> None:
        while not done():
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), 30)


@pytest.fixture(autouse=True)
def _children_find_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper runs `python -P -m MODULE`: the working directory is not on its path,
    so the test child (`tests.helper_child`) is found through PYTHONPATH."""
    root = str(Path(__file__).resolve().parents[2])
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    )


def helper(mode: str, seen: Seen) -> Helper:
    return Helper(CHILD, [mode], seen.lost, seen.reply)


def test_requests_and_replies_are_lines_after_ready() -> None:
    async def main() -> None:
        seen = Seen()
        h = helper("echo", seen)
        assert h.start()
        await h.ready(30)
        h.send(b"one\ntwo\n")
        h.send(b"thr")
        h.send(b"ee\n")
        await seen.until(lambda: len(seen.replies) == 3)
        assert seen.replies == ["ONE", "TWO", "THREE"]
        proc = h._proc
        await h.stop(30)
        assert proc is not None and proc.returncode == 0  # it ended with its stdin
        assert seen.losses == []  # a stop is not a loss

    asyncio.run(main())


def test_a_helper_that_exits_is_lost_once_with_its_exit_status() -> None:
    async def main() -> None:
        seen = Seen()
        h = helper("exit", seen)
        assert h.start()
        await h.ready(30)
        await seen.until(lambda: bool(seen.losses))
        h.send(b"anyone there?\n")  # neither blocks nor raises, nor tells again
        await h.stop(1)
        assert seen.losses == [Loss("ended", exit=3)]
        assert seen.losses[0].started

    asyncio.run(main())


def test_a_killed_helper_is_lost_with_the_signal() -> None:
    async def main() -> None:
        seen = Seen()
        h = helper("echo", seen)
        assert h.start()
        await h.ready(30)
        assert h.pid is not None
        os.kill(h.pid, signal.SIGKILL)
        await seen.until(lambda: bool(seen.losses))
        await h.stop(1)
        assert seen.losses == [Loss("ended", exit=-signal.SIGKILL)]

    asyncio.run(main())


def test_a_helper_that_ends_before_ready_is_lost_at_start() -> None:
    async def main() -> None:
        seen = Seen()
        h = helper("die", seen)
        assert h.start()
        await h.ready(30)  # returns as it ends
        assert seen.losses == [Loss("ended", exit=1, before_ready=True)]
        await h.stop(1)

    asyncio.run(main())


def test_a_helper_that_cannot_start_is_lost_as_not_started(tmp_path: Path) -> None:
    async def main() -> None:
        seen = Seen()
        h = helper("echo", seen)
        h.argv = [str(tmp_path / "no-such-python")]
        assert not h.start()
        await h.ready(30)
        h.send(b"x\n")
        await h.stop(1)
        (loss,) = seen.losses
        assert loss.kind == "start" and isinstance(loss.error, FileNotFoundError)
        assert not loss.started

    asyncio.run(main())


def test_a_helper_never_ready_is_killed_and_lost_as_slow() -> None:
    async def main() -> None:
        seen = Seen()
        h = helper("mute", seen)
        assert h.start()
        await h.ready(0.2)
        proc = h._proc
        await h.stop(1)
        assert seen.losses == [Loss("slow")]
        assert proc is not None and proc.returncode == -signal.SIGKILL

    asyncio.run(main())


def test_a_full_pipe_never_blocks_and_a_stop_kills_what_does_not_finish() -> None:
    async def main() -> None:
        seen = Seen()
        h = helper("deaf", seen)
        assert h.start()
        await h.ready(30)
        h.send(b"0123456789abcde\n" * (1 << 16))  # 1 MiB: far more than a pipe holds
        assert 0 < h.backlog < 1 << 20
        proc = h._proc
        await h.stop(0.2)  # the helper reads nothing, ignores its stdin's end: killed
        assert proc is not None and proc.returncode == -signal.SIGKILL
        assert seen.losses == []

    asyncio.run(main())


@pytest.mark.parametrize("die", [False, True])
def test_compaction_helper_compacts_and_tells_once_when_gone(tmp_path: Path, die: bool) -> None:
    store = Store(tmp_path / "s")
    ids = store.add([Capture("POST", f"/c/{n}", "", [], b"{}") for n in range(20)])
    store.delete(ids[:15])
    store.close()
    done: list[str | None] = []
    lost: list[str] = []

    async def main() -> None:
        finished = asyncio.Event()

        def compacted(error: str | None) -> None:
            done.append(error)
            finished.set()

        def gone(why: str) -> None:
            lost.append(why)
            finished.set()

        c = CompactHelper(store.root, compacted, gone)
        assert c.request()
        await asyncio.wait_for(finished.wait(), 30)
        if die:
            assert c.pid is not None
            os.kill(c.pid, signal.SIGKILL)
            finished.clear()
            await asyncio.wait_for(finished.wait(), 30)
            assert not c.request()  # it is gone: the caller compacts itself
        await c.close(1)

    asyncio.run(main())
    assert done == [None]
    assert lost == (["the compaction process ended"] if die else [])
    log = (tmp_path / "s" / "captures.jsonl").read_bytes()
    assert log.startswith(b'{"op":"meta"'), "compacted"
    reopened = Store(tmp_path / "s")
    assert sorted(s["id"] for s in reopened.summaries()) == ids[15:]
    reopened.close()


def test_forwarding_that_cannot_start_its_helper_forwards_in_the_loop_and_says_so_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    from hookcli.delivery.routes import Routes
    from hookcli.server.forward import Forwarder, ForwardOptions
    from hookcli.server.helpers.forward import ForwardHelper
    from hookcli.server.helpers.forward_child import ForwardSetup

    store = Store(tmp_path / "s")
    caps = [Capture("POST", f"/f/{n}", "", [], b"{}") for n in range(2)]
    store.add(caps)
    routes = Routes([], [receiver.url])
    warned: list[str] = []

    async def main() -> None:
        def in_loop() -> Forwarder:
            fwd = Forwarder(routes, store, lambda batch: None, ForwardOptions(timeout=5))
            fwd.start()
            return fwd

        setup = ForwardSetup(store.root, False, routes, ForwardOptions(timeout=5), 0.5)
        fh = ForwardHelper(setup, in_loop, warned.append)
        fh._helper.argv = [str(tmp_path / "no-such-python")]
        fh.start()
        await fh.ready()
        for c in caps:
            fh.submit(c)
        await asyncio.to_thread(receiver.wait, 2)
        await fh.close(0.5)

    asyncio.run(main())
    store.close()
    assert len(warned) == 1
    assert warned[0].startswith("the forwarding process could not start ([Errno 2] ")
    assert warned[0].endswith(": the listener forwards captures itself")
    assert sorted(r.path_qs for r in receiver.wait(2)) == ["/f/0", "/f/1"]


def test_a_helper_runs_the_installed_module_not_one_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m` puts the working directory first on the path: a `tests` (or `hookcli`)
    package there, a clone of another version or anything so named, would be what the
    helper runs. Here the working directory holds a `tests.helper_child` that exits at
    once: the real one must answer."""
    shadow = tmp_path / "tests"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    (shadow / "helper_child.py").write_text("raise SystemExit(7)\n")
    monkeypatch.chdir(tmp_path)

    async def main() -> None:
        seen = Seen()
        h = helper("echo", seen)
        assert h.start()
        await h.ready(30)
        h.send(b"one\n")
        await seen.until(lambda: bool(seen.replies) or bool(seen.losses))
        assert seen.replies == ["ONE"], seen.losses
        await h.stop(5)

    asyncio.run(main())
