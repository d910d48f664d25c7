"""hookcli.tunnel through pyngrok's real code path, against tests/fake_ngrok.py.

The fake prints the log lines pyngrok parses, serves /api/tunnels on loopback, and
relays requests from its "edge" port to the tunnel's upstream: a real aiohttp receiver.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookcli.errors import HookcliError
from hookcli.tunnel import (
    Tunnel,
    TunnelOptions,
    download_timeout,
    open_tunnel,
    parse_domain,
    started_agents,
    upstream_url,
)
from tests.conftest import FakeNgrok, send
from tests.receiver import Receiver

Make = Callable[..., FakeNgrok]


def options(agent: FakeNgrok, tmp_path: Path, **kw: Any) -> TunnelOptions:
    kw.setdefault("authtoken", "tok_valid")
    return TunnelOptions(ngrok_path=str(agent.path), config_path=str(tmp_path / "ngrok.yml"), **kw)


def open_and_use(url: str, opts: TunnelOptions, use: Callable[[str], object]) -> object:
    async def main() -> object:
        async with open_tunnel(url, opts) as public_url:
            return await asyncio.to_thread(use, public_url)

    return asyncio.run(main())


def fails(url: str, opts: TunnelOptions) -> HookcliError:
    with pytest.raises(HookcliError) as info:
        open_and_use(url, opts, lambda _: None)
    return info.value


def test_tunnel_opens_relays_and_is_deleted_with_its_agent(
    fake_ngrok: Make, tmp_path: Path, receiver: Receiver
) -> None:
    agent = fake_ngrok()

    def use(public_url: str) -> str:
        edge = agent.fact("created")["edge"]
        status, _, _ = send(edge, target="/hooks/x", body=b"{}")
        assert status == 200
        return public_url

    public_url = open_and_use(receiver.url, options(agent, tmp_path), use)
    assert isinstance(public_url, str) and public_url.startswith("https://")
    assert public_url.endswith(".ngrok-free.app")
    post = agent.fact("post")["post"]
    assert post["addr"] == receiver.url and post["proto"] == "http"
    seen = receiver.wait(1)[0]
    assert seen.path_qs == "/hooks/x"
    assert seen.header("X-Forwarded-For") == "127.0.0.1"
    assert seen.header("X-Forwarded-Proto") == "https"
    assert seen.header("Host") == public_url.removeprefix("https://")
    assert agent.fact("deleted")["deleted"] == post["name"]
    assert agent.agent_gone()


def test_domain_region_and_authtoken_reach_the_agent(fake_ngrok: Make, tmp_path: Path) -> None:
    agent = fake_ngrok()
    opts = options(agent, tmp_path, domain="hooks.example.dev", region="eu", authtoken="tok_1")
    public_url = open_and_use("http://127.0.0.1:9", opts, lambda u: u)
    assert public_url == "https://hooks.example.dev"
    assert agent.fact("post")["post"]["domain"] == "hooks.example.dev"
    argv = agent.fact("argv")["argv"]
    assert argv[argv.index("--region") + 1] == "eu"
    assert argv[argv.index("--authtoken") + 1] == "tok_1"
    assert agent.agent_gone()


def test_authtoken_from_the_agents_config_file(fake_ngrok: Make, tmp_path: Path) -> None:
    agent = fake_ngrok()
    (tmp_path / "ngrok.yml").write_text("version: '2'\nauthtoken: tok_from_file\n")
    opts = options(agent, tmp_path, authtoken=None)
    assert open_and_use("http://127.0.0.1:9", opts, lambda u: u)
    assert "--authtoken" not in agent.fact("argv")["argv"]


def test_missing_authtoken_passes_the_agents_message_on(
    fake_ngrok: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    agent = fake_ngrok()
    err = fails("http://127.0.0.1:9", options(agent, tmp_path, authtoken=None))
    assert err.message == (
        "the ngrok agent refused to start: authentication failed: Usage of ngrok requires "
        "a verified account and authtoken. (ERR_NGROK_4018)"
    )
    assert err.hint is not None and "--ngrok-authtoken" in err.hint
    assert agent.agent_gone()


def test_invalid_authtoken_passes_the_agents_message_on(fake_ngrok: Make, tmp_path: Path) -> None:
    agent = fake_ngrok()
    err = fails("http://127.0.0.1:9", options(agent, tmp_path, authtoken="invalid-xyz"))
    assert "does not look like a proper ngrok tunnel authtoken" in err.message
    assert err.message.endswith("(ERR_NGROK_105)") and "\\n" not in err.message
    assert agent.agent_gone()


def test_domain_refused_by_the_agent_api(fake_ngrok: Make, tmp_path: Path) -> None:
    agent = fake_ngrok()
    err = fails("http://127.0.0.1:9", options(agent, tmp_path, domain="notmine.example.dev"))
    assert err.message == (
        "ngrok refused the tunnel: failed to start tunnel: Domain "
        "'notmine.example.dev' is not reserved for your account. (ERR_NGROK_320)"
    )
    assert agent.agent_gone()


def test_broken_agent_config_file(fake_ngrok: Make, tmp_path: Path) -> None:
    agent = fake_ngrok()
    (tmp_path / "ngrok.yml").write_text("agent: [unclosed\n")
    err = fails("http://127.0.0.1:9", options(agent, tmp_path))
    assert err.message.startswith("the ngrok config file is not valid YAML: ")
    assert err.hint == f"fix or remove it: {tmp_path / 'ngrok.yml'}"
    assert agent.facts("pid") == [], "the agent was not started"


def test_agent_exiting_at_once(fake_ngrok: Make, tmp_path: Path) -> None:
    agent = fake_ngrok("exit")
    err = fails("http://127.0.0.1:9", options(agent, tmp_path))
    assert err.message == f"the ngrok agent at {agent.path} exited as soon as it started"
    assert err.hint == f"check that it is ngrok 3: {agent.path} version"
    assert agent.agent_gone()


def test_agent_api_not_answering_gives_up_in_time(fake_ngrok: Make, tmp_path: Path) -> None:
    agent = fake_ngrok("hang")
    started = time.monotonic()
    err = fails("http://127.0.0.1:9", options(agent, tmp_path, timeout=2))
    assert time.monotonic() - started < 6
    assert err.message.startswith("the ngrok agent's API at http://127.0.0.1:")
    assert err.message.endswith("did not answer within 2 s")
    assert agent.agent_gone()


def test_cancelled_while_starting_leaves_no_agent(fake_ngrok: Make, tmp_path: Path) -> None:
    """Ctrl-C while the agent starts: the caller is cancelled, the agent killed."""
    agent = fake_ngrok("hang")

    async def main() -> None:
        task = asyncio.ensure_future(
            open_and_enter("http://127.0.0.1:9", options(agent, tmp_path, timeout=30))
        )
        while not agent.facts("pid"):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)

    asyncio.run(main())
    assert agent.agent_gone()


def test_a_starting_agent_is_found_and_killed_without_pyngrok_internals(
    fake_ngrok: Make, tmp_path: Path
) -> None:
    """abort()'s fallback, for a pyngrok without the private table of processes it reads:
    the agent pyngrok is starting is found among this process's children and killed, which
    ends pyngrok's wait for it."""
    agent = fake_ngrok("hang")
    tunnel = Tunnel("http://127.0.0.1:9", options(agent, tmp_path, timeout=30))
    failures: list[BaseException] = []

    def run() -> None:
        try:
            tunnel.open()
        except BaseException as e:
            failures.append(e)

    opening = threading.Thread(target=run, daemon=True)
    opening.start()
    deadline = time.monotonic() + 10
    while not agent.facts("pid") and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = [f["pid"] for f in agent.facts("pid")]
    assert pids and set(pids) <= set(started_agents())
    tunnel.kill_started_agents()
    opening.join(10)
    assert not opening.is_alive() and failures, "pyngrok stopped waiting for a dead agent"
    assert agent.agent_gone()
    assert not set(pids) & set(started_agents())


async def open_and_enter(url: str, opts: TunnelOptions) -> None:
    async with open_tunnel(url, opts):
        pass


def test_no_agent_at_the_named_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ngrok"
    err = fails("http://127.0.0.1:9", TunnelOptions(ngrok_path=str(missing)))
    assert err.message == f"no ngrok agent at {missing}"
    assert err.hint is not None and "HOOKCLI_NGROK_PATH" in err.hint
    assert "https://ngrok.com/download" in err.hint


def test_agent_that_is_not_executable(tmp_path: Path) -> None:
    agent = tmp_path / "ngrok"
    agent.write_text("not a program")
    err = fails("http://127.0.0.1:9", TunnelOptions(ngrok_path=str(agent)))
    assert err.message == f"the ngrok agent at {agent} is not executable"


def test_agent_that_cannot_run(tmp_path: Path) -> None:
    agent = tmp_path / "ngrok"
    agent.write_bytes(b"\x7fELF-but-not-really")
    agent.chmod(0o755)
    err = fails(
        "http://127.0.0.1:9",
        TunnelOptions(ngrok_path=str(agent), config_path=str(tmp_path / "ngrok.yml")),
    )
    assert err.message.startswith(f"cannot run the ngrok agent at {agent}: ")


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("hooks.example.dev", "hooks.example.dev"),
        ("https://Hooks.Example.dev/", "hooks.example.dev"),
        ("  my-app.ngrok.app ", "my-app.ngrok.app"),
    ],
)
def test_parse_domain(given: str, domain: str) -> None:
    assert parse_domain(given) == domain


@pytest.mark.parametrize("bad", ["", "https://", "a b.dev", "x.dev/path", "a..b", "-x.dev"])
def test_parse_domain_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match="expected a domain"):
        parse_domain(bad)


def test_upstream_is_loopback_for_wildcard_binds() -> None:
    assert upstream_url("http://0.0.0.0:9000") == "http://127.0.0.1:9000"
    assert upstream_url("http://[::]:9000") == "http://[::1]:9000"
    assert upstream_url("http://127.0.0.1:9000") == "http://127.0.0.1:9000"


def test_the_agent_download_gives_up_after_20_s_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HOOKCLI_NGROK_DOWNLOAD_TIMEOUT", raising=False)
    assert download_timeout() == 20.0
    monkeypatch.setenv("HOOKCLI_NGROK_DOWNLOAD_TIMEOUT", "")
    assert download_timeout() == 20.0
    monkeypatch.setenv("HOOKCLI_NGROK_DOWNLOAD_TIMEOUT", " 90 ")
    assert download_timeout() == 90.0
    monkeypatch.setenv("HOOKCLI_NGROK_DOWNLOAD_TIMEOUT", "0.5")
    assert download_timeout() == 0.5
