"""Scripted failures decided request by request (server/failures.py)."""

from __future__ import annotations

from hookcli.model.capture import Capture
from hookcli.server.failures import Failures, delivery_key


def post(body: bytes = b"{}", headers: list[tuple[str, str]] | None = None) -> Capture:
    return Capture(method="POST", path="/h", query="", headers=headers or [], body=body)


def test_the_provider_id_names_the_delivery_whatever_the_body() -> None:
    a = post(b"1", [("X-GitHub-Delivery", "d")])
    b = post(b"2", [("x-github-delivery", "d")])
    assert delivery_key(a) == delivery_key(b)
    assert delivery_key(post(b"1")) != delivery_key(post(b"2"))


def test_fail_first_counts_each_delivery_apart() -> None:
    f = Failures(first=1)
    one, two = post(b"1"), post(b"2")
    assert [f.decide(one), f.decide(two), f.decide(one), f.decide(two)] == [
        "fail-first 1/1",
        "fail-first 1/1",
        None,
        None,
    ]


def test_the_same_seed_makes_the_same_draws() -> None:
    def run(seed: int) -> list[str | None]:
        f = Failures(rate=0.5, seed=seed)
        return [f.decide(post()) for _ in range(32)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert {"fail-rate 0.5", None} == set(run(7))


def test_no_options_fail_nothing() -> None:
    assert not Failures()
    assert Failures(first=1) and Failures(rate=0.1)
