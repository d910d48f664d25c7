"""An ngrok tunnel to the catch server, through pyngrok (the only module that imports it).

pyngrok starts the agent, reads its log lines for the API address, then creates the
tunnel through that API. Two of its waits have no time limit (a line read from an
agent that prints nothing, and its first API probe), and it downloads a missing agent
from inside the calling thread. So the download runs here in a child process we can
kill, and the start runs in a worker thread under our own deadline: past it, the agent
is killed, which ends pyngrok's waits at once. Whatever happens, the agent does not
outlive the tunnel: `open_tunnel` kills it on the way out, error or not.

pyngrok talks to the agent's /api/tunnels (config_version "2"), which every ngrok 3
agent serves; /api/endpoints only exists in recent ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hookcli.errors import HookcliError, UsageError

if TYPE_CHECKING:
    from pyngrok.conf import PyngrokConfig
    from pyngrok.exception import PyngrokError
    from pyngrok.log import NgrokLog

DOWNLOAD_TIMEOUT = 20.0  # seconds; HOOKCLI_NGROK_DOWNLOAD_TIMEOUT sets another
INSTALL_HINT = "install ngrok from https://ngrok.com/download and set HOOKCLI_NGROK_PATH to it"
AUTH_HINT = (
    "pass --ngrok-authtoken or set NGROK_AUTHTOKEN; yours is at "
    "https://dashboard.ngrok.com/get-started/your-authtoken"
)
# Runs in a child process so that a stalled download can be killed. It installs into a
# scratch directory next to the final path (which the parent removes, however the child
# ends) and moves the binary in place, so a killed download leaves no half file.
_DOWNLOAD = """\
import os, sys
from pyngrok import installer
dest, scratch = sys.argv[1:3]
try:
    installer.install_ngrok(os.path.join(scratch, os.path.basename(dest)))
    os.replace(os.path.join(scratch, os.path.basename(dest)), dest)
except Exception as e:  # pyngrok wraps the network error; its reason reads better
    cause = e.__context__ or e
    sys.exit(str(getattr(cause, "reason", cause)))
"""

logging.getLogger("pyngrok").addHandler(logging.NullHandler())  # its lines are ours to word


@dataclass(frozen=True)
class TunnelOptions:
    authtoken: str | None = None  # None: NGROK_AUTHTOKEN, else the agent's config file
    domain: str | None = None  # a reserved or static domain, e.g. example.ngrok.app
    region: str | None = None
    ngrok_path: str | None = None  # None: HOOKCLI_NGROK_PATH, else pyngrok's managed agent
    config_path: str | None = None  # the agent's config file; None: ngrok's own default
    timeout: float = 15.0  # for the agent to start and the tunnel to open


def parse_domain(text: str) -> str:
    """A bare host name from what a user may paste: `https://x.ngrok.app/` -> `x.ngrok.app`."""
    host = re.sub(r"^https?://", "", text.strip(), flags=re.IGNORECASE).rstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", host) or ".." in host:
        raise ValueError(f"expected a domain such as example.ngrok.app, got {text!r}")
    return host.lower()


def upstream_url(listen_url: str) -> str:
    """Where the agent should send traffic: the catch server's URL, with a wildcard bind
    address replaced by loopback (the agent runs on this machine)."""
    return listen_url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")


#: how pyngrok starts an agent with no tunnels (`AGENT start --none --log stdout ...`)
_AGENT_START = " start --none --log"


def started_agents() -> list[int]:
    """Pids of this process's children running an agent as pyngrok starts one, from `ps`
    (POSIX: the same options on Linux and macOS, -ww for whole command lines whatever
    COLUMNS says); none where `ps` cannot run."""
    try:
        listing = subprocess.run(
            ["ps", "-A", "-ww", "-o", "pid=", "-o", "ppid=", "-o", "args="],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    me = str(os.getpid())
    pids = []
    for line in listing.splitlines():
        fields = line.split(None, 2)
        if len(fields) == 3 and fields[1] == me and _AGENT_START in f" {fields[2]}":
            pids.append(int(fields[0]))
    return pids


class Tunnel:
    """One tunnel and the agent process behind it. open() and close() block: run them
    in a worker thread. abort() may be called from any thread."""

    def __init__(self, upstream: str, options: TunnelOptions):
        from pyngrok import conf

        self.upstream = upstream
        self.options = options
        path = options.ngrok_path or os.environ.get("HOOKCLI_NGROK_PATH") or None
        self.config: PyngrokConfig = conf.PyngrokConfig(
            ngrok_path=path,
            config_path=options.config_path,
            auth_token=options.authtoken,
            region=options.region,
            startup_timeout=max(1, int(options.timeout)),
            config_version="2",
            log_event_callback=self._saw,
        )
        # pyngrok's own default (or PYNGROK_NGROK_PATH): the one it may download
        self.managed = path is None and self.config.ngrok_path == conf.DEFAULT_NGROK_PATH
        self.public_url: str | None = None
        self.api_addr: str | None = None
        self.last_error: str | None = None
        self.lines: deque[str] = deque(maxlen=3)

    @property
    def agent(self) -> str:
        return self.config.ngrok_path

    def _saw(self, log: NgrokLog) -> None:
        """Every agent log line passes here (from pyngrok's threads): keep what an error
        message may need."""
        self.lines.append(log.line)
        if log.msg and "starting web service" in log.msg and log.addr:
            self.api_addr = log.addr
        if log.lvl in ("ERROR", "CRITICAL") and log.err:
            self.last_error = log.err

    async def ensure_agent(self, note: Callable[[str], None]) -> None:
        """The agent binary must exist before pyngrok sees the config: pyngrok would
        download it without a time limit and with progress on stdout."""
        if os.path.exists(self.agent):
            if not os.access(self.agent, os.X_OK):
                raise HookcliError(
                    f"the ngrok agent at {self.agent} is not executable",
                    f"chmod +x {self.agent}",
                )
            return
        if not self.managed:
            raise HookcliError(f"no ngrok agent at {self.agent}", INSTALL_HINT)
        timeout = download_timeout()
        note(f"Downloading the ngrok agent to {self.agent} (once) ...")
        try:
            os.makedirs(os.path.dirname(self.agent), exist_ok=True)
            scratch = tempfile.mkdtemp(prefix=".download-", dir=os.path.dirname(self.agent))
        except OSError as e:
            raise HookcliError(
                f"cannot download the ngrok agent to {self.agent}: {e.strerror}", INSTALL_HINT
            ) from None
        try:
            await _download(self.agent, scratch, timeout)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def open(self) -> str:
        """Start the agent (through pyngrok) and open the tunnel; the public URL."""
        import yaml  # pyngrok's own dependency, for its config file
        from pyngrok import conf, ngrok
        from pyngrok.exception import PyngrokError

        extra = {"domain": self.options.domain} if self.options.domain else {}
        # our own name: pyngrok's default embeds the address, slashes and all, and the
        # name is part of the URL that deletes the tunnel
        name = f"hookcli-{uuid.uuid4().hex[:12]}"
        try:
            tunnel = ngrok.connect(self.upstream, "http", name, pyngrok_config=self.config, **extra)
        except PyngrokError as e:
            raise self._explain(e) from None
        except OSError as e:
            if e.filename not in (None, self.agent):  # the config file, read by pyngrok
                raise HookcliError(f"cannot read {e.filename}: {e.strerror}") from None
            raise HookcliError(  # the file is not a program this system can run
                f"cannot run the ngrok agent at {self.agent}: {e.strerror or e}", INSTALL_HINT
            ) from None
        except yaml.YAMLError as e:
            raise HookcliError(
                f"the ngrok config file is not valid YAML: {_first_line(str(e))}",
                "fix or remove it: " + conf.get_config_path(self.config),
            ) from None
        assert tunnel.public_url is not None  # pyngrok raises when it is missing
        self.public_url = tunnel.public_url
        return tunnel.public_url

    def abort(self) -> None:
        """Kill the agent now, even in the middle of pyngrok starting it: that ends the
        waits pyngrok has no time limit for. pyngrok's kill_process would wait for the
        lock the start holds, so this reads its table of processes (a private attribute,
        pyngrok 7 to 9), and where that table is not there or does not have the agent yet,
        finds the agent among this process's children (`kill_started_agents`)."""
        from pyngrok import process

        table = getattr(process, "_current_processes", None)
        running = table.get(self.agent) if isinstance(table, dict) else None
        if running is not None:
            with contextlib.suppress(OSError):
                running.proc.kill()
            return
        self.kill_started_agents()

    @staticmethod
    def kill_started_agents() -> None:
        """Kill this process's children that are ngrok agents pyngrok started: what abort()
        falls back on, found with nothing of pyngrok's but the command line it runs."""
        for pid in started_agents():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Delete the tunnel, then stop the agent. Bounded: a stopping listener must not
        wait on an agent that no longer answers."""
        from pyngrok import ngrok
        from pyngrok.exception import PyngrokError

        self.config.request_timeout = min(self.config.request_timeout, 1.0)
        if self.public_url is not None:
            with contextlib.suppress(PyngrokError):
                ngrok.disconnect(self.public_url, pyngrok_config=self.config)
            self.public_url = None
        ngrok.kill(pyngrok_config=self.config)

    def timed_out(self) -> HookcliError:
        if self.last_error:
            return self._agent_error(self.last_error)
        if self.api_addr:
            return HookcliError(
                f"the ngrok agent's API at http://{self.api_addr} did not answer within "
                f"{self.options.timeout:g} s"
            )
        return HookcliError(
            f"the ngrok agent at {self.agent} did not get ready within {self.options.timeout:g} s",
            self._last_line_hint(),
        )

    def _explain(self, e: PyngrokError) -> HookcliError:
        from pyngrok.exception import PyngrokNgrokError, PyngrokNgrokHTTPError

        if isinstance(e, PyngrokNgrokHTTPError):  # the API refused the tunnel
            return HookcliError(f"ngrok refused the tunnel: {_api_message(e.body)}")
        if isinstance(e, PyngrokNgrokError) and (e.ngrok_error or self.last_error):
            return self._agent_error(e.ngrok_error or self.last_error or "")
        if isinstance(e, PyngrokNgrokError) and "unable to start" in str(e):
            return HookcliError(
                f"the ngrok agent at {self.agent} exited as soon as it started",
                self._last_line_hint() or f"check that it is ngrok 3: {self.agent} version",
            )
        reason = getattr(e, "reason", None)
        if reason is not None and self.api_addr:
            return HookcliError(
                f"the ngrok agent's API at http://{self.api_addr} did not answer: {reason}"
            )
        return HookcliError(f"ngrok: {e}")

    @staticmethod
    def _agent_error(err: str) -> HookcliError:
        """The agent's own words, with a hint for the errors a new user meets first."""
        low = err.lower()
        hint = AUTH_HINT if "authtoken" in low or "authentication failed" in low else None
        return HookcliError(f"the ngrok agent refused to start: {_first_line(err)}", hint)

    def _last_line_hint(self) -> str | None:
        return f"its last output: {self.lines[-1]}" if self.lines else None


def download_timeout() -> float:
    """How long the agent's download may take: HOOKCLI_NGROK_DOWNLOAD_TIMEOUT seconds (a
    positive number), else DOWNLOAD_TIMEOUT."""
    text = os.environ.get("HOOKCLI_NGROK_DOWNLOAD_TIMEOUT", "").strip()
    if not text:
        return DOWNLOAD_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise UsageError(
            f"HOOKCLI_NGROK_DOWNLOAD_TIMEOUT={text!r} is not a number of seconds",
            "e.g. 60, or unset it for 20",
        )
    return value


async def _download(dest: str, scratch: str, timeout: float) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _DOWNLOAD,
        dest,
        scratch,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,  # pyngrok's progress would garble --json
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except (TimeoutError, asyncio.CancelledError) as e:  # Ctrl-C stops the download too
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        if isinstance(e, asyncio.CancelledError):
            raise
        raise HookcliError(
            f"no ngrok agent at {dest}, and downloading it took over {timeout:g} s",
            INSTALL_HINT,
        ) from None
    if proc.returncode != 0 or not os.path.exists(dest):
        reason = err.decode(errors="replace").strip().splitlines()
        raise HookcliError(
            f"no ngrok agent at {dest}, and downloading it from ngrok.com failed: "
            + (reason[-1] if reason else f"exit status {proc.returncode}"),
            INSTALL_HINT,
        )


def _first_line(err: str) -> str:
    r"""An agent message on one line: its first line, plus its ERR_NGROK code (the agent
    writes line breaks inside its log values as the two characters \n)."""
    parts = [p.strip() for p in re.split(r"\\r|\\n|[\r\n]", err) if p.strip()]
    text = parts[0] if parts else "no details"
    code = re.search(r"ERR_NGROK_\d+", err)
    return f"{text} ({code.group(0)})" if code and code.group(0) not in text else text


def _api_message(body: str) -> str:
    """The `msg` and `details.err` of an agent API error body, else the body."""
    import json

    try:
        data = json.loads(body)
        msg = str(data.get("msg") or body)
        detail = (data.get("details") or {}).get("err")
    except (ValueError, AttributeError):
        return _first_line(body)
    if not detail:
        return _first_line(msg)
    detail = _first_line(detail)
    return detail if detail.startswith(msg) else f"{msg}: {detail}"


@contextlib.asynccontextmanager
async def open_tunnel(
    listen_url: str,
    options: TunnelOptions,
    note: Callable[[str], None] = lambda _: None,
    progress: Callable[[str], None] = lambda _: None,
) -> AsyncIterator[str]:
    """Open a tunnel to the catch server at LISTEN_URL; yield its public URL. On the way
    out (normal, error, Ctrl-C) the tunnel is deleted and the agent stopped. NOTE says
    what a user must know (a download); PROGRESS what a person watching likes to see."""
    tunnel = Tunnel(upstream_url(listen_url), options)
    await tunnel.ensure_agent(note)
    # said at once: an agent that hangs would otherwise leave the terminal silent
    progress(f"Starting the ngrok agent (at most {options.timeout:g} s) ...")
    try:
        work = asyncio.ensure_future(asyncio.to_thread(tunnel.open))
        try:
            public_url = await asyncio.wait_for(asyncio.shield(work), options.timeout)
        except (TimeoutError, asyncio.CancelledError) as e:
            tunnel.abort()
            with contextlib.suppress(Exception):  # the agent is gone: pyngrok returns now
                await work
            if isinstance(e, TimeoutError):
                raise tunnel.timed_out() from None
            raise
        yield public_url
    finally:
        await asyncio.to_thread(tunnel.close)
