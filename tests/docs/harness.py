"""Run the command examples of a Markdown page as a user would type them, and compare what
they print with what the page shows. The format is described in test_examples.py."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS, LINES = 80, 24
APP_PORT, LISTEN_PORT = 3000, 9000  # what pages say; mapped to the real ports
HOME_SHOWN = "/home/me"
COMMAND_TIMEOUT = 60.0
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w-]*)")
# a block whose info string names a file after its language (```python app.py) is a file the
# reader creates: it is written, relative to the page's directory, where the page shows it
FILE_FENCE = re.compile(r"^(`{3,}|~{3,})\s*[\w-]+\s+([\w./-]*[./][\w./-]*)\s*$")
EXIT_COMMENT = re.compile(r"#\s*exits?\s+(\d+)\s*$")
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
PROMPT = re.compile(r"\[y/N\]: (\S+)$")
LISTEN = re.compile(r"^hookcli\s+(?:--\S+\s+)*listen\b")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Example:
    page: str
    line: int  # 1-based line of the `$ ` in the page
    command: str
    expected: list[str]
    exit_code: int

    def where(self) -> str:
        return f"{self.page}:{self.line}: $ {self.command.splitlines()[0]}"


@dataclass
class File:
    """A file the page tells the reader to create, with what the block shows in it."""

    page: str
    line: int  # 1-based line of the block's first line of content
    path: str
    content: str

    def where(self) -> str:
        return f"{self.page}:{self.line}: file {self.path}"


def parse(text: str, page: str) -> list[Example]:
    """The examples of every ```console block, in page order."""
    return [s for s in steps(text, page) if isinstance(s, Example)]


def steps(text: str, page: str) -> list[Example | File]:
    """What a reader does, in page order: the commands of every ```console block and the
    files of every block that names one (```python app.py)."""
    out: list[Example | File] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = CODE_FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2)
        end = i + 1
        while end < len(lines) and not lines[end].startswith(fence):
            end += 1
        named = FILE_FENCE.match(lines[i])
        if lang == "console":
            out.extend(_block(lines[i + 1 : end], i + 2, page))
        elif named:
            body = "".join(line + "\n" for line in lines[i + 1 : end])
            out.append(File(page, i + 2, named.group(2), body))
        i = end + 1
    return out


def _block(lines: list[str], first_line: int, page: str) -> list[Example]:
    out: list[Example] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise ValueError(f"{page}:{first_line + i}: output before any `$ ` command")
        start = i
        cmd = [lines[i][2:]]
        while cmd[-1].endswith("\\") and i + 1 < len(lines):  # continued line
            i += 1
            cmd.append(lines[i].removeprefix("> "))
        heredoc = HEREDOC.search(cmd[-1])
        if heredoc:  # the document up to its terminator belongs to the command
            while i + 1 < len(lines) and lines[i].strip() != heredoc.group(1):
                i += 1
                cmd.append(lines[i].removeprefix("> "))
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        command = "\n".join(cmd)
        code = EXIT_COMMENT.search(cmd[0])
        out.append(
            Example(page, first_line + start, command, expected, int(code.group(1)) if code else 0)
        )
    return out


def stray_commands(text: str, page: str) -> list[str]:
    """hookcli commands outside ```console blocks, where the test would not run them."""
    found = []
    fence = None
    lang = ""
    for n, line in enumerate(text.splitlines(), 1):
        m = CODE_FENCE.match(line)
        if fence is None and m:
            fence, lang = m.group(1), m.group(2)
            continue
        if fence is not None and line.startswith(fence):
            fence = None
            continue
        code = line.strip() if fence is not None else (line[4:] if line.startswith("    ") else "")
        is_command = re.match(r"^(\$ )?hookcli\s", code)
        if is_command and (fence is None or lang != "console"):
            found.append(f"{page}:{n}: {line.strip()}")
    return found


# -- running ---------------------------------------------------------------------------------


class Terminal:
    """A process on its own pseudo-terminal of COLUMNS x LINES: stdin, stdout and stderr are
    the terminal, as when a user types the command; what it prints is collected."""

    def __init__(self, command: str, env: dict[str, str], cwd: Path):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.master = master
        self.proc = subprocess.Popen(
            ["bash", "-c", command],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)
        self._chunks: list[bytes] = []
        self._done = threading.Event()
        self._changed = threading.Condition()  # notified on every chunk and at the end
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                break
            if not data:
                break
            with self._changed:
                self._chunks.append(data)
                self._changed.notify_all()
        with self._changed:
            self._done.set()
            self._changed.notify_all()

    @property
    def text(self) -> str:
        raw = b"".join(self._chunks).decode("utf-8", errors="replace")
        return raw.replace("\r\n", "\n").replace("\r", "")

    def wait_for(self, shown: Callable[[str], bool], deadline: float) -> bool:
        """Wait until what the terminal shows satisfies SHOWN (woken by each new output,
        not by a clock); False once the output has ended, or at DEADLINE, without it."""
        with self._changed:
            while not shown(self.text):
                remaining = deadline - time.time()
                if self._done.is_set() or remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def type_answers(self, answers: list[str], deadline: float) -> None:
        """Type each answer when its `[y/N]: ` prompt has appeared."""
        for n, answer in enumerate(answers, 1):
            if not self.wait_for(lambda text, n=n: text.count("[y/N]: ") >= n, deadline):
                return
            os.write(self.master, answer.encode() + b"\n")

    def wait(self, timeout: float) -> int | None:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._done.wait(5)
        return code

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.master)


def _short_home() -> Path:
    """A fresh home directory whose path is exactly as long as /home/me (/tmp/XYZ): lines
    that show a path under it, the current directory's included, are as long as a
    reader's, and are cut or folded where theirs are. Removed by Session.finish."""
    import secrets

    for _ in range(1000):
        name = "/tmp/" + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3))
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700)
            return Path(name)
    raise RuntimeError("no free /tmp/XYZ name for the page's home directory")


@dataclass
class Background:
    example: Example
    term: Terminal
    pidfile: Path
    doc_port: int
    port: int = 0


@dataclass
class Session:
    """One page's run: a fresh home directory (so the default store is empty), a receiver
    standing in for the user's app at localhost:3000, and the listeners the page starts."""

    page: str
    tmp: Path
    receiver_port: int
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[int, int] = field(default_factory=dict)  # port a page shows -> real port
    running: dict[int, Background] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    outputs: dict[int, str] = field(default_factory=dict)  # example line -> what it printed
    #: seconds a listener gets, before its Ctrl-C, to print what the page shows under it
    settle: float = 5.0

    def __post_init__(self) -> None:
        self.home = _short_home()
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "hookcli"
        shim.write_text(
            "#!/bin/sh\n"
            '[ -n "$HOOKCLI_DOCS_PIDFILE" ] && echo $$ >> "$HOOKCLI_DOCS_PIDFILE"\n'
            f'exec {shlex.quote(sys.executable)} -m hookcli "$@"\n'
        )
        shim.chmod(0o755)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HOOKCLI_", "XDG_", "PYTEST_", "COV_", "FORCE_COLOR"))
        }
        env.update(
            HOME=str(self.home),
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            PYTHONPATH=str(ROOT),
            COLUMNS=str(COLUMNS),
            LINES=str(LINES),
            NO_COLOR="1",
            TERM="xterm",
            LC_ALL="C.UTF-8",
            TZ="UTC",
            # ngrok cannot be reached from here: `listen --tunnel` drives the stand-in agent
            # the tunnel tests use, which hands out a public URL on loopback
            HOOKCLI_NGROK_PATH=str(self._fake_ngrok(bin_dir)),
        )
        self.env = env
        self.ports[APP_PORT] = self.receiver_port

    @staticmethod
    def _fake_ngrok(bin_dir: Path) -> Path:
        agent = bin_dir / "ngrok"
        fake = ROOT / "tests" / "fake_ngrok.py"
        agent.write_text(
            f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(fake))} "$@"\n'
        )
        agent.chmod(0o755)
        return agent

    # -- the page's commands ---------------------------------------------------------------

    def run(self, ex: Example | File) -> None:
        self.ran.append(ex.where())
        if isinstance(ex, File):  # the reader creates it, in the directory the page works in
            path = (self.home / ex.path).resolve()
            if not path.is_relative_to(self.home.resolve()):
                self.failures.append(f"{ex.where()}\n  outside the page's directory")
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(ex.content)
            return
        command = self._real(ex.command)
        if command.startswith("export "):
            for assignment in shlex.split(command)[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = value
            self._compare(ex, "", 0)
            return
        if LISTEN.match(command):
            self._start_listener(ex, command)
            return
        term = Terminal(command, self.env, self.home)
        try:
            answers = [m.group(1) for line in ex.expected if (m := PROMPT.search(line))]
            deadline = time.time() + COMMAND_TIMEOUT
            term.type_answers(answers, deadline)
            code = term.wait(max(deadline - time.time(), 1))
            if code is None:
                term.kill()
                self.failures.append(f"{ex.where()}\n  did not finish in {COMMAND_TIMEOUT:.0f} s")
                return
            self._compare(ex, term.text, code)
        finally:
            term.close()

    def _start_listener(self, ex: Example, command: str) -> None:
        port_arg = re.search(r"--port[ =](\d+)", command)
        doc_port = int(port_arg.group(1)) if port_arg else LISTEN_PORT
        if doc_port in self.running:  # a second listen on that port: the first is stopped
            self._stop(self.running.pop(doc_port))
        if port_arg:
            command = command[: port_arg.start()] + "--port 0" + command[port_arg.end() :]
        else:
            command = re.sub(r"\blisten\b", "listen --port 0", command, count=1)
        pidfile = self.tmp / f"pids-{ex.line}"
        env = dict(self.env, HOOKCLI_DOCS_PIDFILE=str(pidfile))
        bg = Background(ex, Terminal(command, env, self.home), pidfile, doc_port)

        def started(text: str) -> bool:
            m = re.search(
                r"(?:Listening on |\"url\":\s*\")http://[^:\s]+:(\d+)", ANSI.sub("", text)
            )
            bg.port = int(m.group(1)) if m else 0
            return m is not None

        bg.term.wait_for(started, time.time() + 30)
        if not bg.port:  # it failed to start (as the page may say), or hangs silent
            code = bg.term.wait(5)
            if code is None:
                bg.term.kill()
                self.failures.append(f"{ex.where()}\n  never said where it listens")
            else:
                self._compare(ex, bg.term.text, code)
            bg.term.close()
            return
        if doc_port:
            self.ports[doc_port] = bg.port
        self.running[doc_port] = bg

    def _stop(self, bg: Background) -> None:
        """Ctrl-C, as the user would press it: SIGINT to hookcli (a pipe after it then ends
        on its own); then the output the page shows under the command is compared."""
        # lines for the last requests (their forwards) may be printed just after the answer
        # that let the page go on: wait for the lines the page shows, at most SETTLE seconds
        expected = normalize("\n".join(bg.example.expected))
        bg.term.wait_for(
            lambda text: matches(expected, self.normalize(text)), time.time() + self.settle
        )
        pids = bg.pidfile.read_text().split() if bg.pidfile.exists() else []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGINT)
        code = bg.term.wait(15)
        if code is None:
            bg.term.kill()
            self.failures.append(f"{bg.example.where()}\n  did not stop on Ctrl-C")
        else:
            self._compare(bg.example, bg.term.text, code)
        bg.term.close()
        self.ports.pop(bg.doc_port, None)

    def finish(self) -> None:
        for bg in list(self.running.values()):
            self._stop(bg)
        self.running.clear()
        shutil.rmtree(self.home, ignore_errors=True)

    # -- comparing -------------------------------------------------------------------------

    def _real(self, command: str) -> str:
        for shown, real in self.ports.items():
            command = re.sub(rf"\b(localhost|127\.0\.0\.1):{shown}\b", rf"\1:{real}", command)
        return command

    def normalize(self, text: str) -> list[str]:
        text = self.shown(text)
        for bg in self.running.values():  # a `--port 0` listener's port, whatever it is
            text = re.sub(rf"\b(localhost|127\.0\.0\.1):{bg.port}\b", r"\1:PORT", text)
        return normalize(text)

    def shown(self, text: str) -> str:
        """TEXT as a page would show it: the ports a page uses, /home/me, no colour."""
        for shown, real in self.ports.items():
            text = re.sub(rf"\b(localhost|127\.0\.0\.1):{real}\b", rf"\1:{shown}", text)
        return ANSI.sub("", text.replace(str(self.home), HOME_SHOWN))

    def _compare(self, ex: Example, output: str, code: int | None) -> None:
        self.outputs[ex.line] = self.shown(output) + (f"[exit {code}]" if code else "")
        actual = self.normalize(output)
        expected = normalize("\n".join(ex.expected))
        problems = []
        if code != ex.exit_code:
            problems.append(f"exit code {code}, the page says {ex.exit_code}")
        if not matches(expected, actual):
            problems.append(
                "output differs (after normalizing)\n--- page\n"
                + "\n".join(expected)
                + "\n--- actual\n"
                + "\n".join(actual)
            )
        if problems:
            self.failures.append(f"{ex.where()}\n  " + "\n  ".join(problems))


_VARIABLE = [  # what differs from run to run, replaced on both sides before comparing
    (ANSI, ""),
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC)?"),
        "<t>",
    ),
    (re.compile(r"\b[A-Z][a-z]{2} [ \d]\d (\d{2}:\d{2}| \d{4})\b"), "<t>"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}\b"), "<t>"),
    (re.compile(r"\b\d+(\.\d+)? ms\b"), "N ms"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"\b[0-9a-fA-F]{16,}\b"), "<hex>"),
    (re.compile(r"\b[0-9a-f]{12}(?=\.ngrok-free\.app\b)"), "<host>"),  # ngrok picks it
    (re.compile(r"\b([a-z]{2,5})_[A-Za-z0-9]{14,}\b"), r"\1_<id>"),  # evt_..., cus_...
    (re.compile(r"(?<![\w/:.-])(?=[\w+/]*\d)(?=[\w+/]*[A-Za-z])[A-Za-z0-9+/]{20,}={0,2}"), "<b64>"),
    (re.compile(r"\b\d{9,}\b"), "<n>"),
    (re.compile(r"(localhost|127\.0\.0\.1):(3[2-9]\d{3}|[4-6]\d{4})\b"), r"\1:PORT"),
    (re.compile(r" {2,}"), " "),
]


def normalize(text: str) -> list[str]:
    for pattern, repl in _VARIABLE:
        text = pattern.sub(repl, text)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected: list[str], actual: list[str]) -> bool:
    """EXPECTED against ACTUAL line by line: a line `...` stands for any lines (none
    included), `...` inside a line for any text."""
    pats = [
        None if line.strip() == "..." else re.compile(".*".join(map(re.escape, line.split("..."))))
        for line in expected
    ]
    memo: dict[tuple[int, int], bool] = {}

    def go(i: int, j: int) -> bool:
        if (i, j) not in memo:
            if i == len(pats):
                memo[i, j] = j == len(actual)
            elif pats[i] is None:
                memo[i, j] = go(i + 1, j) or (j < len(actual) and go(i, j + 1))
            else:
                pat = pats[i]
                assert pat is not None
                memo[i, j] = j < len(actual) and bool(pat.fullmatch(actual[j])) and go(i + 1, j + 1)
        return memo[i, j]

    return go(0, 0)


def main(page: str) -> None:
    """`python -m tests.docs.harness docs/PAGE.md`: run a page's examples and print what
    each printed, as the page would show it, to write or update the page."""
    import tempfile

    from tests.receiver import Receiver

    receiver = Receiver().start()
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(page, Path(tmp), int(receiver.url.rsplit(":", 1)[1]))
        every = steps((ROOT / page).read_text(), page)
        examples = [s for s in every if isinstance(s, Example)]
        try:
            for step in every:
                session.run(step)
        finally:
            session.finish()
            receiver.stop()
    for ex in examples:
        print(f"$ {ex.command}\n{session.outputs.get(ex.line, '(not run)').rstrip()}")
    print("\n".join(["", *session.failures]) if session.failures else "\nall match")


if __name__ == "__main__":
    main(sys.argv[1])
