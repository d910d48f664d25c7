"""Shared helpers for the benchmark scripts (not a benchmark itself; not collected by pytest).

Everything here runs on loopback only, with bounded counts and timeouts."""

from __future__ import annotations

import atexit
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
#: the checkout whose hookcli is measured: the first PYTHONPATH entry when one is set (the
#: scripts of this checkout measuring another, as bench_trees.py and A/B runs do), else this
#: one. In-process imports and children go to the same tree.
TREE = (
    Path(os.environ["PYTHONPATH"].split(os.pathsep)[0]).resolve()
    if os.environ.get("PYTHONPATH")
    else ROOT
)
PYTHON = sys.executable
HOOKCLI = str(Path(PYTHON).with_name("hookcli"))
#: the installed script, else the package run from the checkout (children run with cwd=ROOT)
HOOKCLI_ARGV = [HOOKCLI] if Path(HOOKCLI).exists() else [PYTHON, "-m", "hookcli"]
BASELINE_SERVER = str(HERE / "baseline_server.py")
HOST = "127.0.0.1"

# Child processes get a bytecode cache, as an installed package has: the dev environment may
# set PYTHONDONTWRITEBYTECODE, which would make every CLI start recompile hookcli's modules
# (an editable install has no __pycache__). The cache lives in a temporary directory.
_PYCACHE = tempfile.TemporaryDirectory(prefix="hookcli-bench-pycache-")
atexit.register(_PYCACHE.cleanup)
CHILD_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": _PYCACHE.name,
}


def hookcli_argv() -> list[str]:
    """The `hookcli` command: the installed script next to python, else `python -m
    hookcli` (run with cwd=ROOT, from the checkout)."""
    return [HOOKCLI] if Path(HOOKCLI).exists() else [PYTHON, "-m", "hookcli"]


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        sys.exit(f"{tool} is needed for this benchmark (not found on PATH)")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not open port {port} within {timeout}s")


class Server:
    """A server subprocess on a loopback port, stdout to /dev/null, stopped with SIGTERM."""

    def __init__(self, argv: Sequence[str], port: int, env: dict[str, str] | None = None):
        self.port = port
        self.url = f"http://{HOST}:{port}/"
        self.proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**CHILD_ENV, **(env or {})},
            cwd=ROOT,
        )
        try:
            wait_port(port, self.proc)
        except Exception:
            self.stop()
            raise

    @classmethod
    def hookcli(cls, store: Path, json_out: bool = False, extra: Sequence[str] = ()) -> Server:
        """`hookcli listen` on STORE, with EXTRA options (`--no-fsync`, `--keep N`). The
        page cache is written back first: a run otherwise starts while the kernel still
        writes out the hundreds of megabytes the previous run left (its index is never
        synced), and its own syncs wait behind that, whichever variant ran before."""
        os.sync()
        port = free_port()
        argv = [*HOOKCLI_ARGV, "listen", "--host", HOST, "--port", str(port)]
        argv += ["--store", str(store), *extra]
        if json_out:
            argv.append("--json")
        return cls(argv, port)

    @classmethod
    def baseline(cls, lowlevel: bool = False, delay: float = 0.0) -> Server:
        port = free_port()
        extra = ["--lowlevel"] if lowlevel else []
        if delay:
            extra += ["--delay", str(delay)]
        return cls([PYTHON, BASELINE_SERVER, "--port", str(port), *extra], port)

    def rss_kib(self) -> int:
        return _status_kib(self.proc.pid, "VmRSS")

    def hwm_kib(self) -> int:
        return _status_kib(self.proc.pid, "VmHWM")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        if self.proc.stderr:
            self.proc.stderr.close()
        if err.strip():
            print(f"  [server stderr] {err.strip()[:500]}")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/{pid}/status")


# -- load generation with wrk ----------------------------------------------------------------


def json_body(size: int = 1024) -> str:
    """A JSON object of exactly SIZE bytes (ASCII)."""
    head = {"type": "invoice.paid", "id": "evt_0001", "data": {"amount": 1234, "note": ""}}
    base = json.dumps(head, separators=(",", ":"))
    pad = size - len(base)
    if pad < 0:
        raise ValueError(size)
    body = base.replace('"note":""', '"note":"' + "x" * pad + '"')
    assert len(body) == size
    return body


def wrk_script(body: str, stop_after: int | None = None) -> Path:
    """A wrk Lua script POSTing BODY as JSON. With STOP_AFTER, each wrk thread stops after
    that many responses (requests already in flight then still reach the server)."""
    lua = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(body)}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    if stop_after is not None:
        lua += [
            "local count = 0",
            "function response(status, headers, body)",
            "  count = count + 1",
            f"  if count >= {int(stop_after)} then wrk.thread:stop() end",
            "end",
        ]
    fd, name = tempfile.mkstemp(prefix="hookcli-bench-", suffix=".lua")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lua) + "\n")
    return Path(name)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    non2xx: int
    socket_errors: dict[str, int]
    latency_avg: str
    raw: str

    @property
    def errors(self) -> int:
        return self.non2xx + sum(self.socket_errors.values())


_DURATION = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_wrk(out: str) -> WrkResult:
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m is None or rps is None:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    lat = re.search(r"Latency\s+(\S+)", out)
    errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True))
        if sock
        else {}
    )
    return WrkResult(
        requests=int(m.group(1)),
        seconds=float(m.group(2)) * _DURATION[m.group(3)],
        rps=float(rps.group(1)),
        non2xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=errors,
        latency_avg=lat.group(1) if lat else "?",
        raw=out,
    )


def wrk_argv(
    url: str, script: Path, duration: float, connections: int = 32, threads: int = 1
) -> list[str]:
    return [
        require("wrk"),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, math.ceil(duration))}s",  # wrk takes whole seconds only
        "--timeout=5s",
        "-s",
        str(script),
        url,
    ]


def run_wrk(
    url: str, script: Path, duration: float, connections: int = 32, threads: int = 1
) -> WrkResult:
    argv = wrk_argv(url, script, duration, connections, threads)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    return parse_wrk(done.stdout)


def send_captures(url: str, store: Path, target: int, limit: float = 120.0) -> int:
    """POST 1 KiB JSON bodies with wrk until STORE holds at least TARGET captures; returns
    how many it holds. wrk's Lua script stops sending after the captures still missing, but
    wrk itself only exits at the end of its -d, so it is interrupted once the store is full."""
    counter = PutCounter(store)
    have = counter.count()
    if have >= target:
        return have
    script = wrk_script(json_body(1024), stop_after=target - have)
    try:
        proc = subprocess.Popen(
            wrk_argv(url, script, limit), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + limit
        while have < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            have = counter.count()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # wrk stops and prints its summary
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    finally:
        script.unlink(missing_ok=True)
    have = wait_settled(store)
    if have < target:
        raise RuntimeError(f"only {have} of {target} captures after {limit}s")
    return have


# -- the store ------------------------------------------------------------------------------


class PutCounter:
    """Counts the store's capture (put) index lines incrementally, reading only what was
    appended since the last call. Nothing here ever deletes, so this is the number of
    captures the store holds. With OP="attempt" it counts forward/replay attempts."""

    def __init__(self, store: Path, op: str = "put"):
        self.index = store / "index.jsonl"
        self.prefix = b'{"op":"%s"' % op.encode()
        self.offset = 0
        self.puts = 0

    def count(self) -> int:
        try:
            with self.index.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.puts
        complete = data.rfind(b"\n") + 1
        self.puts += sum(1 for line in data[:complete].splitlines() if line.startswith(self.prefix))
        self.offset += complete
        return self.puts


def build_store(root: Path, count: int, batch: int = 1000) -> float:
    """A store of COUNT captures with ~1 KiB JSON bodies, written with `Store.add` in
    batches (no HTTP); returns seconds taken."""
    from hookcli.model.capture import Capture
    from hookcli.store import Store

    body = json_body(1024).encode()
    headers = [
        ("Host", "127.0.0.1:9000"),
        ("User-Agent", "bench/1.0"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
    ]
    store = Store(root)
    t0 = time.perf_counter()
    done = 0
    while done < count:
        n = min(batch, count - done)
        caps = [
            Capture(
                method="POST",
                path=f"/hooks/{(done + i) % 7}",
                query="",
                headers=headers,
                body=body,
                remote_addr="127.0.0.1",
                response={"status": 200},
            )
            for i in range(n)
        ]
        store.add(caps)
        done += n
    store.close()
    return time.perf_counter() - t0


def recorded(store: Path) -> int:
    """Captures the store ever recorded (next id - 1): right even when retention deleted
    some and compaction replaced the files."""
    from hookcli.store import Store

    st = Store(store)
    try:
        return st.info().stats.next_id - 1
    finally:
        st.close()


def _wait_still(count: Callable[[Path], int], store: Path, timeout: float) -> int:
    """Poll COUNT(store) until two readings agree (in-flight requests committed)."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        n = count(store)
        if n == last:
            return n
        last = n
        time.sleep(0.3)
    return last


def wait_recorded(store: Path, timeout: float = 10.0) -> int:
    """Wait until `recorded` stops moving (in-flight requests committed)."""
    return _wait_still(recorded, store, timeout)


def count_puts(store: Path) -> int:
    """Capture (put) lines in the store's index: the number of captures it holds."""
    return PutCounter(store).count()


def last_id(store: Path) -> int:
    """The newest capture id as `hookcli ls --json --limit 1` reports it (0 when empty)."""
    out = subprocess.run(
        [*HOOKCLI_ARGV, "ls", "--json", "--limit", "1", "--store", str(store)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=CHILD_ENV,
        cwd=ROOT,
    ).stdout
    rows = json.loads(out)
    return int(rows[0]["id"]) if rows else 0


def wait_settled(store: Path, timeout: float = 10.0) -> int:
    """Wait until the capture count stops moving (in-flight requests committed)."""
    return _wait_still(count_puts, store, timeout)


# -- hyperfine -------------------------------------------------------------------------------


def hyperfine(
    commands: dict[str, Sequence[str]],
    runs: int = 10,
    warmup: int = 2,
    env: dict[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    """Time COMMANDS (name -> argv) with hyperfine, no shell in between; returns name ->
    {median, mean, stddev, min, max} in seconds. Commands run interleaved by hyperfine's
    order: all runs of one, then the next; call with few commands to keep them close."""
    import shlex

    fd, export = tempfile.mkstemp(prefix="hookcli-bench-", suffix=".json")
    os.close(fd)
    names = list(commands)
    argv = [
        require("hyperfine"),
        "-N",
        "--style",
        "basic",
        "--warmup",
        str(warmup),
        "--runs",
        str(runs),
        "--export-json",
        export,
    ]
    for name in names:
        argv += ["-n", name, shlex.join(commands[name])]
    try:
        subprocess.run(
            argv,
            check=True,
            stdout=subprocess.DEVNULL,
            env={**CHILD_ENV, **(env or {})},
            timeout=600,
        )
        results = json.loads(Path(export).read_text())["results"]
    finally:
        os.unlink(export)
    out: dict[str, dict[str, float]] = {}
    for name, r in zip(names, results, strict=True):
        out[name] = {
            "median": r["median"],
            "mean": r["mean"],
            "stddev": r["stddev"] or 0.0,
            "min": r["min"],
            "max": r["max"],
        }
    return out


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
