"""Shared test helpers: the real `hookcli` command line (in this process, or in a
subprocess where the process is the point), a real catch server on 127.0.0.1 port 0, and a
raw HTTP client with exact control over what is sent.

`run()` runs a command line in this process, as httpie's suite does: hookcli's own `main()`
with the same argv, environment and stdin a subprocess would get, stdout and stderr
captured as bytes, the exit code from SystemExit. It is the same code path as the
`hookcli` executable without the interpreter start and imports (0.3 s of CPU a run).
`listen` always runs in a subprocess (it serves until a signal and starts children), and
so does every command when HOOKCLI_TEST_PROCESS=1 is set, to check that the two ways agree:
`HOOKCLI_TEST_PROCESS=1 python3 -m pytest`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HOOKCLI = [sys.executable, "-m", "hookcli"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): one worker more than the cores. A fifth of a
    worker's time is spent waiting (for a listener to start or stop, a target's answer,
    a child process), which a third worker fills on two cores: README's line on a quiet
    2-core machine, pytest alone, 227 s with two workers against 170 s with three
    (docs/development.md)."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` first, the rest in their order: pytest-xdist hands each worker
    its share of the list from the front and steals from the back, so the long ones start
    at once and the run ends with short tests on every worker, not one worker finishing a
    long test while the others wait. (Every worker sorts alike, as xdist requires.)"""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def cli_env(store: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HOOKCLI_STORE=str(store), NO_COLOR="1", TERM="dumb", COLUMNS="200")
    env.pop("HOOKCLI_DEBUG", None)
    env.update(extra)
    return env


#: every run() in a subprocess (the end-to-end way), e.g. to compare with the in-process way
ALWAYS_PROCESS = os.environ.get("HOOKCLI_TEST_PROCESS", "") not in ("", "0")
#: commands whose process is the point: they serve until a signal and start children
PROCESS_COMMANDS = frozenset({"listen"})


def run(
    store: Path, *args: str, input: bytes | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """`hookcli ARGS` with HOOKCLI_STORE=STORE (and ENV): in this process unless the command
    needs its own (PROCESS_COMMANDS); the result is the same either way."""
    if ALWAYS_PROCESS or _command(args) in PROCESS_COMMANDS:
        return run_process(store, *args, input=input, timeout=timeout, **env)
    return run_in_process(store, *args, input=input, **env)


def run_process(
    store: Path, *args: str, input: bytes | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """`python -m hookcli ARGS` in a real subprocess: for tests where the process matters."""
    return subprocess.run(
        [*HOOKCLI, *args],
        input=input,
        capture_output=True,
        timeout=timeout,
        env=cli_env(store, **env),
    )


def _command(args: tuple[str, ...]) -> str | None:
    """The command name in ARGS, past the root options (`--store PATH`, `--debug`)."""
    words = iter(args)
    for word in words:
        if word == "--store":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


#: one in-process command line at a time: argv, environment and streams are the process's
_ONE_AT_A_TIME = threading.Lock()


class _Captured(io.BytesIO):
    """What a stream wrote; survives the text layer over it being closed or collected."""

    def close(self) -> None:
        pass


def run_in_process(
    store: Path, *args: str, input: bytes | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """`hookcli ARGS` through hookcli's main() in this process, with what a subprocess gets:
    argv, the environment of cli_env(), STDIN (empty when None), and stdout/stderr that are
    pipes (not terminals), UTF-8, stderr with backslashreplace as Python's own. Threads
    that call it take turns."""
    with _ONE_AT_A_TIME:
        return _run_in_process(store, args, input, env)


def _run_in_process(
    store: Path, args: tuple[str, ...], input: bytes | None, env: dict[str, str]
) -> subprocess.CompletedProcess[bytes]:
    from hookcli.cli.main import main

    out, err = _Captured(), _Captured()
    streams = (
        io.TextIOWrapper(io.BytesIO(input or b""), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8"),
        io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", line_buffering=True),
    )
    environ = cli_env(store, **env)
    saved = (sys.stdin, sys.stdout, sys.stderr, sys.argv, dict(os.environ))
    os.environ.clear()
    os.environ.update(environ)
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.argv = ["hookcli", *args]
    _forget_loaded_config()
    code = 0
    try:
        with _command_built_once():
            main()
    except SystemExit as e:
        code = _exit_status(e.code)
    except KeyboardInterrupt:
        raise
    except BaseException:  # as the interpreter reports an exception nothing caught
        traceback.print_exc()
        code = 1
    finally:
        for stream in streams[1:]:
            with contextlib.suppress(ValueError):  # closed by the command
                stream.flush()
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved[:4]
        os.environ.clear()
        os.environ.update(saved[4])
        _forget_loaded_config()
    return subprocess.CompletedProcess([*HOOKCLI, *args], code, out.getvalue(), err.getvalue())


#: the click command typer builds from hookcli's app (typer.main.get_command), by app: it
#: describes the command line and holds nothing of a run (click makes a new Context for
#: each), and building it costs more CPU than most commands (about 25 ms), so this process
#: builds it once, as each `hookcli` process does
_BUILT: dict[int, tuple[object, Any]] = {}


@contextlib.contextmanager
def _command_built_once() -> Any:
    import typer.main

    build = typer.main.get_command

    def get_command(typer_instance: Any) -> Any:
        key = id(typer_instance)
        if key not in _BUILT:  # the app is kept with it: its id is not reused
            _BUILT[key] = (typer_instance, build(typer_instance))
        return _BUILT[key][1]

    typer.main.get_command = get_command
    try:
        yield
    finally:
        typer.main.get_command = build


def _exit_status(code: object) -> int:
    """The process exit status sys.exit(CODE) gives: None is 0, a message goes to stderr
    with status 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _forget_loaded_config() -> None:
    """The config files a command loaded are read again by the next (a process reads them
    once; tests change them between runs)."""
    registry = sys.modules.get("hookcli.signing.registry")
    if registry is not None:
        registry.forget()


def run_json(store: Path, *args: str) -> Any:
    r = run(store, *args, "--json")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return json.loads(r.stdout)


class Listener:
    """`hookcli listen --port 0 --json ...` in a subprocess; its JSON lines in a queue."""

    def __init__(
        self,
        store: Path,
        *extra: str,
        json_lines: bool = True,
        preexec_fn: Callable[[], None] | None = None,
    ):
        self.store = store
        args = [*HOOKCLI, "listen", "--port", "0", *extra]
        if json_lines:
            args.append("--json")
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(store),
            preexec_fn=preexec_fn,  # e.g. a low resource limit for the listener alone
        )
        self.lines: list[str] = []
        self.err: list[str] = []
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._printed = threading.Condition()  # notified for every line, and at the end
        self._open = 2  # stdout and stderr, until each reaches its end
        self._stdout_ended = False
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        self.url = ""
        deadline = time.monotonic() + 30
        if json_lines:
            with contextlib.suppress(AssertionError):
                self.url = self.wait_event("listening", timeout=30)["url"]
        else:
            with contextlib.suppress(AssertionError):
                line = self._wait_line(self.lines, "Listening on ", deadline)
                self.url = line.split("Listening on ")[1].split()[0]
        if not self.url:
            self.stop()
            raise AssertionError(f"listen did not start: {self.lines} {self.err}")
        self.port = int(self.url.rsplit(":", 1)[1])

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self._printed:
                self.lines.append(line)
                self._printed.notify_all()
            with contextlib.suppress(ValueError):
                self.events.put(json.loads(line))
        self._stdout_ended = True
        self._closed()

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            with self._printed:
                self.err.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
                self._printed.notify_all()
        self._closed()

    def _closed(self) -> None:
        with self._printed:
            self._open -= 1
            self._printed.notify_all()

    def wait_event(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        """The next KIND event on stdout (events before it are passed over)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:  # wakes at once for an event; every 0.5 s to see whether stdout ended
                ev = self.events.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self._stdout_ended and self.events.empty():  # no more events to come
                    break
                continue
            if ev.get("event") == kind:
                return ev
        raise AssertionError(f"no {kind} event; lines: {self.lines[-5:]}")

    def wait_stderr(self, text: str, timeout: float = 10) -> str:
        return self._wait_line(self.err, text, time.monotonic() + timeout)

    def _wait_line(self, lines: list[str], text: str, deadline: float) -> str:
        """The first of LINES with TEXT in it, as soon as it is printed."""

        def found() -> str | None:
            return next((line for line in lines if text in line), None)

        with self._printed:
            self._printed.wait_for(
                lambda: found() is not None or self._open == 0, deadline - time.monotonic()
            )
            line = found()
        if line is None:
            where = "stderr" if lines is self.err else "stdout"
            raise AssertionError(f"{text!r} not on {where}: {lines}")
        return line

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def add(store: Path, *caps: Any) -> list[int]:
    """Write captures into STORE with the real store code, as another process would."""
    from hookcli.store import Store

    st = Store(store)
    try:
        return st.add(list(caps))
    finally:
        st.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def listener(store: Path):  # type: ignore[no-untyped-def]
    lst = Listener(store)
    yield lst
    lst.stop()


def send(
    url: str,
    method: str = "POST",
    target: str = "/",
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    timeout: float = 30,
) -> tuple[int, bytes, list[tuple[str, str]]]:
    """One request with exact control of header order, case and duplicates."""
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    conn.putrequest(method, target, skip_accept_encoding=True)
    for k, v in headers or []:
        conn.putheader(k, v)
    if body or method in ("POST", "PUT", "PATCH"):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data, resp.getheaders()


def raw_exchange(port: int, data: bytes, timeout: float = 10, close_after: bool = False) -> bytes:
    """Write DATA on a fresh socket; return what the server answers before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if close_after:
            return b""
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and out.startswith(b"HTTP/1."):
                    head, _, rest = out.partition(b"\r\n\r\n")
                    for line in head.split(b"\r\n"):
                        low = line.lower()
                        if low.startswith(b"content-length:") and len(rest) >= int(low[15:]):
                            return out
        except TimeoutError:
            pass
        return out


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    from tests.receiver import Receiver

    r = Receiver().start()
    yield r
    r.stop()


class FakeNgrok:
    """tests/fake_ngrok.py behind an executable named `ngrok`, its mode and record file
    baked into the wrapper so that it works however the agent is started."""

    def __init__(self, root: Path, mode: str = ""):
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / "ngrok"
        self.record = root / "record.jsonl"
        fake = Path(__file__).with_name("fake_ngrok.py")
        self.path.write_text(
            "#!/bin/sh\n"
            f"FAKE_NGROK_RECORD='{self.record}' FAKE_NGROK_MODE='{mode}' "
            f"exec '{sys.executable}' '{fake}' \"$@\"\n"
        )
        self.path.chmod(0o755)

    def facts(self, key: str) -> list[Any]:
        if not self.record.exists():
            return []
        lines = [json.loads(x) for x in self.record.read_text().splitlines()]
        return [fact for fact in lines if key in fact]

    def fact(self, key: str) -> dict[str, Any]:
        found = self.facts(key)
        assert len(found) == 1, (key, self.record.read_text() if self.record.exists() else "")
        return found[0]

    def agent_gone(self, timeout: float = 5) -> bool:
        """Every agent this fake started has exited."""
        deadline = time.time() + timeout
        pids = [f["pid"] for f in self.facts("pid")]
        while time.time() < deadline:
            if not any(_running(pid) for pid in pids):
                return True
            time.sleep(0.05)
        return False


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child nobody has reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


@pytest.fixture
def fake_ngrok(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A factory: fake_ngrok(mode="") -> FakeNgrok in a fresh directory."""
    made: list[FakeNgrok] = []

    def make(mode: str = "") -> FakeNgrok:
        agent = FakeNgrok(tmp_path / f"agent{len(made)}", mode)
        made.append(agent)
        return agent

    yield make
    for agent in made:  # a failing test must not leave agents running
        for fact in agent.facts("pid"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(fact["pid"], signal.SIGKILL)
