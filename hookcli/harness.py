"""What the `hookcli` pytest fixture gives a test: load a fixture file, send it to the app
re-signed with the test's secret and a fresh timestamp, read the answer.

    def test_invoice_paid(hookcli):
        event = hookcli.load("fixtures/stripe-invoice.paid-12.json")
        response = hookcli.send(event, app=app, secret="whsec_test")
        assert response.status == 200

Everything is the CLI's own machinery: fixture files are read by the importer (a problem
is reported with the file, line and column), `set=` edits are `replay --set`'s, and
signing is `replay --resign`'s plan, so what a test sends is what `hookcli replay` would
send. Only what is kept differs: the whole answer, read synchronously. A URL goes over the
same HTTP client as replay (delivery/client.py `fetch`); `app=` calls the app in-process,
with no socket at all (delivery/in_process.py). The API is documented in docs/ci.md."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hookcli.delivery.prepare import Outgoing, check_url
from hookcli.errors import HookcliError, UsageError
from hookcli.model import headers as hdr
from hookcli.model.capture import Capture

#: the host an in-process app sees (as Starlette's and Flask's test clients use)
APP_BASE_URL = "http://testserver"
#: how far past the provider's tolerance `expired=True` dates a signature
EXPIRED_MARGIN = 3600


class Headers(Mapping[str, str]):
    """Response headers: look-up by name in any case (the first value), every value with
    get_all, and the pairs in the order received."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def __getitem__(self, name: str) -> str:
        value = hdr.get(self.pairs, name)
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for k, _ in self.pairs:
            if k.lower() not in seen:
                seen.add(k.lower())
                yield k

    def __len__(self) -> int:
        return len(hdr.names(self.pairs))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and hdr.has(self.pairs, name)

    def get_all(self, name: str) -> list[str]:
        return hdr.get_all(self.pairs, name)

    def __repr__(self) -> str:
        return f"Headers({self.pairs!r})"


@dataclass
class Response:
    """The app's answer, whole."""

    status: int
    headers: Headers
    body: bytes
    request: Outgoing  # what was sent: method, url, headers (signature included), body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Event:
    """A webhook request loaded from a fixture file, ready to send."""

    capture: Capture
    source: Path | None = None
    _last: tuple[Outgoing, Any] | None = field(default=None, repr=False)

    @property
    def provider(self) -> str | None:
        return self.capture.provider

    @property
    def event_type(self) -> str | None:
        return self.capture.event_type

    @property
    def method(self) -> str:
        return self.capture.method

    @property
    def path(self) -> str:
        return self.capture.path

    @property
    def headers(self) -> list[tuple[str, str]]:
        return self.capture.headers

    @property
    def body(self) -> bytes:
        return self.capture.body

    def json(self) -> Any:
        return json.loads(self.capture.body)


class Harness:
    """The `hookcli` fixture. ROOT is where relative fixture paths are looked up first (the
    test file's directory), then the current directory."""

    def __init__(self, root: Path | None = None, app_base_url: str = APP_BASE_URL):
        self.root = root
        self.app_base_url = app_base_url

    def load(self, path: str | Path, set: Mapping[str, Any] | None = None) -> Event:
        """The request in a fixture file (from `hookcli export`, `show --json`, or a HAR
        file with one entry). SET edits its JSON body: {"data.object.amount": 500} (dotted
        paths, array indices as numbers, values as Python values), as `replay --set`."""
        from hookcli.delivery.replay import edit_json
        from hookcli.export import importer

        found = self._find(Path(path))
        captures = list(importer.read(found))
        if len(captures) != 1:
            raise HookcliError(
                f"{found} holds {len(captures)} requests; load() takes a file with one",
                "export one capture per file with `hookcli export --format fixtures`",
            )
        capture = captures[0]
        if set:
            exprs = [f"{key}={json.dumps(value)}" for key, value in set.items()]
            try:
                capture.body = edit_json(capture.body, exprs)
            except ValueError:
                raise UsageError(f"set= edits JSON bodies, and {found} has no JSON body") from None
        return Event(capture, found)

    def _find(self, path: Path) -> Path:
        if path.is_absolute():
            places = [path]
        else:
            places = [base / path for base in (self.root, Path.cwd()) if base is not None]
        for place in places:
            if place.is_file():
                return place
        raise HookcliError(
            f"no fixture file {path}", "looked in " + ", ".join(str(p.parent) for p in places)
        )

    def prepare(
        self,
        event: Event,
        url: str | None = None,
        *,
        secret: str | None = None,
        provider: str | None = None,
        expired: bool | int = False,
        headers: Mapping[str, str] | None = None,
        now: int | None = None,
    ) -> Outgoing:
        """The request send() would make, without sending it: for a test client of your
        own (Django's, httpx's). URL is the base URL, joined with the event's path and query
        as `replay --to` does (default: the in-process app's http://testserver).

        The event is re-signed for its provider (detected from its headers, or PROVIDER)
        with SECRET (default: $HOOKCLI_SECRET_<PROVIDER>, then the config file) and a
        fresh timestamp and message id, or, with EXPIRED, a timestamp that many seconds
        old (True: an hour past the provider's tolerance). An event with no provider is
        sent as it is. HEADERS are added last, replacing any of the same name."""
        from hookcli import config
        from hookcli.delivery import replay
        from hookcli.signing import registry

        if url is not None:
            check_url(url, "url")
        cap = event.capture
        name = registry.canonical(provider) if provider else cap.provider
        name = name or registry.detect(cap.headers)
        hmac_options = config.load().hmac if name == "hmac" else None
        key = None
        back = 0
        if name is not None:
            key = config.secret_for(name, secret)
            if not key:
                raise UsageError(
                    f"no secret for {name}: pass secret=... to send()",
                    f"or set HOOKCLI_SECRET_{name.upper()}",
                )
            back = self._backdate(name, expired, hmac_options)
        elif secret or expired:
            raise UsageError("this event has no provider to sign for", "name one with provider=...")
        opts = replay.ReplayOptions(
            to=url or self.app_base_url,
            headers=list((headers or {}).items()),
            resign=name is not None,
            provider=name,
            backdate=back,
        )
        return replay.plan([cap], opts, lambda _: key, hmac_options, now).deliveries[0].outgoing

    @staticmethod
    def _backdate(name: str, expired: bool | int, hmac_options: Any) -> int:
        if expired is False:
            return 0
        if expired is True:
            from hookcli.signing import registry

            tolerance = registry.get(name, hmac_options).default_tolerance
            if tolerance is None:
                raise UsageError(
                    f"{name} signatures carry no timestamp: there is no tolerance to exceed"
                )
            return tolerance + EXPIRED_MARGIN
        if expired <= 0:
            raise UsageError(f"expired={expired!r}: give a number of seconds above 0, or True")
        return int(expired)

    def send(
        self,
        event: Event,
        url: str | None = None,
        *,
        app: Any = None,
        secret: str | None = None,
        provider: str | None = None,
        expired: bool | int = False,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = 30.0,
    ) -> Response:
        """Send EVENT re-signed (see prepare) to URL over HTTP, or to APP, an ASGI or WSGI
        app, in-process; the app's whole answer."""
        if (url is None) == (app is None):
            raise UsageError("send() needs a URL or app=..., one of the two")
        out = self.prepare(
            event, url, secret=secret, provider=provider, expired=expired, headers=headers
        )
        return self._deliver(event, out, app, timeout)

    def duplicate(self, event: Event, timeout: float | None = 30.0) -> Response:
        """Send EVENT's last send again, unchanged (same message id, timestamp and
        signature) to the same place, as a provider retries a delivery whose answer it
        lost: what an idempotent app must accept without acting twice."""
        if event._last is None:
            raise UsageError("duplicate() repeats an event's last send(): send it first")
        out, app = event._last
        return self._deliver(event, out, app, timeout)

    @staticmethod
    def _deliver(event: Event, out: Outgoing, app: Any, timeout: float | None) -> Response:
        from hookcli.delivery import in_process
        from hookcli.delivery.client import fetch

        if app is not None:
            answer = in_process.call(app, out)
        else:
            answer = in_process.run_to_end(lambda: fetch(out, timeout))
        event._last = (out, app)
        return Response(answer.status, Headers(hdr.decode_raw(answer.headers)[0]), answer.body, out)
