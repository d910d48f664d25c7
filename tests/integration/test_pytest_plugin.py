"""The pytest plugin as users meet it: a `hookcli` fixture in their own test files, loaded
through the `pytest11` entry point, cheap at pytest start, and the docs' example project
passing with it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from hookcli.export import fixtures
from hookcli.model.capture import Capture
from hookcli.signing import registry

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "ci"
# where hookcli is installed (a user's venv, the conformance venv) its entry point loads
# the plugin already; naming it again with -p would register it twice
INSTALLED = any(ep.name == "hookcli" for ep in entry_points(group="pytest11"))
PLUGIN = [] if INSTALLED else ["-p", "hookcli.pytest_plugin"]

USER_TEST = """
import json

import stripe

SECRET = "whsec_user_test"


def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    try:
        event = stripe.Webhook.construct_event(body, environ["HTTP_STRIPE_SIGNATURE"], SECRET)
    except (ValueError, stripe.SignatureVerificationError) as e:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [str(e).encode()]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"amount": event["data"]["object"]["amount"]}).encode()]


def test_three_lines(hookcli):
    event = hookcli.load("fixtures/stripe.json")
    response = hookcli.send(event, app=app, secret=SECRET)
    assert response.status == 200


def test_edit_and_expire(hookcli):
    event = hookcli.load("fixtures/stripe.json", set={"data.object.amount": 4200})
    assert hookcli.send(event, app=app, secret=SECRET).json() == {"amount": 4200}
    assert hookcli.send(event, app=app, secret=SECRET, expired=True).status == 400


def test_a_missing_fixture_fails_readably(hookcli):
    hookcli.load("fixtures/nope.json")
"""


def write_fixture(where: Path) -> None:
    body = b'{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"amount":1000}}}'
    headers = [("Host", "hooks.example"), ("Content-Type", "application/json")]
    cap = Capture("POST", "/hooks/stripe", "", headers, body, id=1, provider="stripe")
    cap.headers += registry.get("stripe").sign(body, "whsec_live", 1_700_000_000)
    (where / "fixtures").mkdir(parents=True, exist_ok=True)
    (where / "fixtures" / "stripe.json").write_bytes(fixtures.render(cap))


def test_users_tests_get_the_fixture(pytester: pytest.Pytester) -> None:
    write_fixture(pytester.path)
    pytester.makepyfile(test_hooks=USER_TEST)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*HookcliError: no fixture file fixtures/nope.json*"])


def test_the_fixture_is_documented_in_pytest_fixtures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--fixtures")
    result.stdout.fnmatch_lines(["hookcli*", "*Load webhook fixtures exported by*"])


def _child_env(*path: Path) -> dict[str, str]:
    """The environment of a pytest run in a child process: hookcli importable from this
    checkout (and PATH first), nothing of this run's pytest state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (*path, ROOT))
    return env


def test_the_plugin_imports_nothing_heavy_at_pytest_start(tmp_path: Path) -> None:
    """pytest imports the plugin in every run where hookcli is installed: by the time the
    session starts, only the plugin module itself may have loaded."""
    (tmp_path / "conftest.py").write_text(
        "import sys\n\n\n"
        "def pytest_sessionstart(session):\n"
        "    with open('modules.txt', 'w') as f:\n"
        "        f.write('\\n'.join(sorted(sys.modules)))\n"
    )
    (tmp_path / "test_nothing.py").write_text("def test_x():\n    pass\n")
    r = subprocess.run(
        [sys.executable, "-m", "pytest", *PLUGIN, "-p", "no:cacheprovider", "--fixtures"],
        cwd=tmp_path,
        capture_output=True,
        env=_child_env(),
        timeout=120,
    )
    assert r.returncode == 0, r.stdout[-2000:]
    assert b"hookcli" in r.stdout, "the plugin is loaded: its fixture is listed"
    modules = set((tmp_path / "modules.txt").read_text().split())
    assert {m for m in modules if m.split(".")[0] == "hookcli"} == {
        "hookcli",
        "hookcli.pytest_plugin",
    }
    assert not {"aiohttp", "orjson", "textual", "stripe"} & {m.split(".")[0] for m in modules}


def test_the_entry_point_in_pyproject_loads_the_plugin(tmp_path: Path) -> None:
    """pytest finds plugins through installed distributions' pytest11 entry points: a
    distribution declaring exactly what pyproject.toml declares makes the fixture
    available with no -p at all."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    spec = declared["pytest11"]
    assert spec == {"hookcli": "hookcli.pytest_plugin"}
    site = tmp_path / "site"
    info = site / "hookcli_probe-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hookcli-probe\nVersion: 0\n")
    lines = [f"{name} = {target}" for name, target in spec.items()]
    (info / "entry_points.txt").write_text("[pytest11]\n" + "\n".join(lines) + "\n")
    project = tmp_path / "project"
    write_fixture(project)
    (project / "test_hooks.py").write_text(USER_TEST.split("\n\ndef test_edit")[0] + "\n")
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=project,
        capture_output=True,
        env=_child_env(site),
        timeout=120,
    )
    assert r.returncode == 0, r.stdout.decode()[-3000:]
    assert b"1 passed" in r.stdout


def test_the_docs_example_project_passes(tmp_path: Path) -> None:
    """docs/examples/ci is the guide's complete project: its tests pass as a user runs
    them, from the project's directory."""
    project = tmp_path / "ci"
    shutil.copytree(EXAMPLE, project)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", *PLUGIN, "-p", "no:cacheprovider", "-v"],
        cwd=project,
        capture_output=True,
        env=_child_env(),
        timeout=120,
    )
    out = r.stdout.decode()
    assert r.returncode == 0, out[-3000:]
    assert "4 passed" in out and "test_invoice_paid PASSED" in out
