"""A stand-in for the ngrok agent, close enough for pyngrok's real code path.

pyngrok runs `ngrok start --none --log stdout [--config F] [--authtoken T] [--region R]`,
reads the agent's logfmt lines until it has seen the web service address and the two
session lines, probes the agent API, then creates and deletes tunnels through it. This
script does the same on loopback, with an "edge" port standing in for the public side:
a request sent there is passed to the tunnel's upstream with the headers ngrok adds.

Environment (all optional):
- FAKE_NGROK_RECORD: a file that gets one JSON line per thing that happened (the
  agent's pid and argv, each tunnel created with its edge URL, each tunnel deleted).
- FAKE_NGROK_MODE: "exit" exits at once with status 3 and no output; "hang" announces
  an API address whose socket accepts connections and never answers.
Authtoken, as the real agent takes it: --authtoken, else NGROK_AUTHTOKEN, else the
config file's `authtoken:` line. A missing one fails with ERR_NGROK_4018, one starting
with "invalid" with ERR_NGROK_105, in the real agent's words. A domain starting with
"notmine." is refused by the API.

Standard library only: it runs under any python3.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

RECORD = os.environ.get("FAKE_NGROK_RECORD")
DASHBOARD = "https://dashboard.ngrok.com/get-started/your-authtoken"
tunnels: dict[str, dict[str, Any]] = {}
lock = threading.Lock()


def record(**fact: Any) -> None:
    if RECORD:
        with lock, open(RECORD, "a", encoding="utf-8") as f:
            f.write(json.dumps(fact) + "\n")


def log(lvl: str, msg: str, **fields: str) -> None:
    t = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())
    extra = "".join(f" {k}={v}" for k, v in fields.items())
    sys.stdout.write(f't={t} lvl={lvl} msg="{msg}"{extra}\n')
    sys.stdout.flush()


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def authtoken(argv: list[str]) -> str | None:
    token = option(argv, "--authtoken") or os.environ.get("NGROK_AUTHTOKEN")
    config = option(argv, "--config")
    if not token and config and os.path.exists(config):
        with open(config, encoding="utf-8") as f:
            found = re.search(r"^\s*authtoken:\s*(\S+)", f.read(), re.MULTILINE)
        token = found.group(1) if found else None
    return token


def auth_error(token: str | None) -> str | None:
    r"""The agent's `err` text, escaped as it prints it (\n inside the quotes)."""
    if not token:
        text = (
            "authentication failed: Usage of ngrok requires a verified account and "
            "authtoken.\\n\\nSign up for an account: https://dashboard.ngrok.com/signup\\n"
            f"Install your authtoken: {DASHBOARD}\\r\\n\\r\\nERR_NGROK_4018\\r\\n"
        )
    elif token.startswith("invalid"):
        text = (
            "authentication failed: The authtoken you specified does not look like a proper "
            f"ngrok tunnel authtoken.\\nYour authtoken: {token}\\nInstructions to install "
            f"your authtoken are on your ngrok dashboard:\\n{DASHBOARD}\\r\\n\\r\\n"
            "ERR_NGROK_105\\r\\n"
        )
    else:
        return None
    return f'"{text}"'


class Edge(BaseHTTPRequestHandler):
    """The public side: passes each request to the tunnel's upstream, adding the
    X-Forwarded-* headers ngrok adds and keeping the public Host."""

    protocol_version = "HTTP/1.1"

    def relay(self) -> None:
        tunnel = next(iter(tunnels.values()), None)
        if tunnel is None:
            self.send_error(404, "no tunnel")
            return
        up = urlsplit(tunnel["config"]["addr"])
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=10)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        public_host = urlsplit(tunnel["public_url"]).hostname or ""
        for name, value in self.headers.items():
            conn.putheader(name, public_host if name.lower() == "host" else value)
        conn.putheader("X-Forwarded-For", self.client_address[0])
        conn.putheader("X-Forwarded-Host", public_host)
        conn.putheader("X-Forwarded-Proto", "https")
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = relay

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_api(edge_url: str) -> type[BaseHTTPRequestHandler]:
    class Api(BaseHTTPRequestHandler):
        """The agent API pyngrok uses with config_version "2": /api/tunnels."""

        def reply(self, status: int, obj: Any = None) -> None:
            data = b"" if obj is None else json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path in ("/api/tunnels", "/api/endpoints"):
                key = self.path.rsplit("/", 1)[1]
                self.reply(200, {key: list(tunnels.values()), "uri": self.path})
            else:
                self.reply(404, {"error_code": 100, "msg": "not found"})

        def do_POST(self) -> None:
            if self.path != "/api/tunnels":
                self.reply(404, {"error_code": 100, "msg": "not found"})
                return
            spec = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            record(post=spec)
            if str(spec.get("domain", "")).startswith("notmine."):
                err = f"failed to start tunnel: Domain '{spec['domain']}' is not reserved "
                err += "for your account.\r\n\r\nERR_NGROK_320\r\n"
                self.reply(
                    502,
                    {
                        "error_code": 103,
                        "status_code": 502,
                        "msg": "failed to start tunnel",
                        "details": {"err": err},
                    },
                )
                return
            name = spec["name"]
            host = spec.get("domain") or f"{uuid.uuid4().hex[:12]}.ngrok-free.app"
            addr = spec["addr"] if "://" in spec["addr"] else f"http://localhost:{spec['addr']}"
            tunnels[name] = {
                "name": name,
                "ID": uuid.uuid4().hex,
                "uri": f"/api/tunnels/{name}",
                "public_url": f"https://{host}",
                "proto": "https",
                "config": {"addr": addr, "inspect": True},
                "metrics": {},
            }
            record(created=name, public_url=f"https://{host}", edge=edge_url)
            self.reply(201, tunnels[name])

        def do_DELETE(self) -> None:
            name = self.path.rsplit("/", 1)[1]
            if self.path.startswith("/api/tunnels/") and tunnels.pop(name, None):
                record(deleted=name)
                self.reply(204)
            else:
                self.reply(404, {"error_code": 100, "msg": f"tunnel {name!r} not found"})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Api


def serve(handler: type[BaseHTTPRequestHandler]) -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"127.0.0.1:{server.server_address[1]}"


def main(argv: list[str]) -> int:
    if argv[:1] in (["version"], ["--version"]):
        print("ngrok version 3.99.0-fake")
        return 0
    mode = os.environ.get("FAKE_NGROK_MODE", "")
    record(pid=os.getpid(), argv=argv)
    if mode == "exit":
        return 3
    log("info", "no configuration paths supplied")
    if mode == "hang":
        mute = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
        api = f"127.0.0.1:{mute.getsockname()[1]}"
    else:
        api = serve(make_api("http://" + serve(Edge)))
    log("info", "starting web service", obj="web", addr=api, allow_hosts="[]")
    err = auth_error(authtoken(argv))
    if err is not None:
        log("eror", "failed to reconnect session", obj="tunnels.session", err=err)
        log("eror", "session closing", obj="tunnels.session", err=err)
        log("crit", "command failed", err=err)
        return 1
    log("info", "client session established", obj="tunnels.session")
    log("info", "tunnel session started", obj="tunnels.session")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
