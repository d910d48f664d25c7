"""Send a fabricated request and record it as a capture."""

from __future__ import annotations

from urllib.parse import urlsplit

from hookcli.cli.interrupt import run_stoppable
from hookcli.delivery.client import new_session, send
from hookcli.delivery.prepare import host_header, public_url
from hookcli.events.builder import FabricatedRequest
from hookcli.model.capture import Attempt, Capture
from hookcli.store import Store


def send_and_record(
    store: Store, req: FabricatedRequest, timeout: float
) -> tuple[Capture, Attempt]:
    parts = urlsplit(req.url)
    wire_headers = [("Host", host_header(req.url)), *req.headers]
    if req.body:
        wire_headers.append(("Content-Length", str(len(req.body))))
    cap = Capture(
        method=req.method,
        path=parts.path or "/",
        query=parts.query,
        headers=wire_headers,
        body=req.body,
        source="fabricated",
        remote_addr=None,
        provider=req.provider,
        event_type=req.event_type,
    )

    async def go() -> Attempt:
        async with new_session(timeout=timeout) as session:
            outcome = await send(session, req.method, req.url, wire_headers, req.body, timeout)
        return outcome.attempt

    attempt = run_stoppable(go())
    attempt.base = public_url(f"{parts.scheme}://{parts.netloc}")
    cap.response = {"status": attempt.status}
    cap.replays.append(attempt)
    store.add([cap])
    return cap, attempt
