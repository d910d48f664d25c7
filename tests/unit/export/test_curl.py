"""Copy as curl: the command bash runs sends the captured request again, byte-exact, and
no argument carries a raw control character."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hookcli.export.curl import to_curl
from hookcli.model.capture import Capture


def test_post_json_to_its_original_host() -> None:
    c = Capture(
        "POST",
        "/hooks/stripe",
        "a=1",
        [("Host", "localhost:9000"), ("Content-Type", "application/json"), ("Content-Length", "9")],
        b'{"a": 1}\n',
    )
    assert to_curl(c) == (
        "curl 'http://localhost:9000/hooks/stripe?a=1' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        "  -H User-Agent: -H Accept: \\\n"
        "  --data-raw '{\"a\": 1}\n'"
    )


def test_other_method_and_target_base() -> None:
    c = Capture("DELETE", "/x", "", [("X-It's", "v")], b"")
    assert to_curl(c, "http://127.0.0.1:3000/api") == (
        "curl -X DELETE http://127.0.0.1:3000/api/x \\\n  -H 'X-It'\"'\"'s: v' \\\n"
        "  -H User-Agent: -H Accept:"
    )


def test_control_bytes_and_binary_use_ansi_c_quoting() -> None:
    c = Capture("PUT", "/b", "", [("X-Evil", "\x1b[31mred")], b"\x01\xff'\\z")
    cmd = to_curl(c, "http://h")
    assert "\x1b" not in cmd and "\x01" not in cmd
    assert "-H $'X-Evil: \\x1b[31mred'" in cmd
    # a body that is not printable text is piped in as base64 (docs/export.md)
    assert cmd.startswith("base64 -d <<'HOOKCLI_BODY' | curl -X PUT http://h/b")
    assert "--data-binary @-\nAf8nXHo=\nHOOKCLI_BODY" in cmd


def bash_run(command: str) -> bytes:
    return subprocess.run(["bash", "-c", command], capture_output=True, check=True).stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash to evaluate the quoting")
@pytest.mark.parametrize("body", [b"\x01\xff'\\z\n\x1b[0m caf\xc3\xa9 100%", b"a\x00b\xff\\0%s'\n"])
def test_bash_sends_the_exact_bytes(body: bytes) -> None:
    """The command's curl is swapped for a stand-in that prints what it would send."""
    cmd = to_curl(Capture("PUT", "/b", "", [], body), "http://h")
    stand_in = (
        'curl() { last="${@: -1}"; if [ "$last" = @- ]; then cat; else printf %s "$last"; fi; }; '
    )
    assert bash_run(stand_in + cmd) == body
