"""The pytest plugin (entry point `pytest11`): a fixture named `hookcli` for your tests.

    def test_invoice_paid(hookcli):
        event = hookcli.load("fixtures/stripe-invoice.paid-12.json")
        response = hookcli.send(event, app=app, secret="whsec_test")
        assert response.status == 200

pytest imports this module at start in every project where hookcli is installed, so it
imports nothing but pytest itself: the fixture's machinery (hookcli.harness, signing,
the importer) loads the first time a test asks for the fixture. API: docs/ci.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hookcli.harness import Harness


@pytest.fixture
def hookcli(request: pytest.FixtureRequest) -> Harness:
    """Load webhook fixtures exported by `hookcli export` and send them to your app,
    re-signed with your test secret: load(path, set={...}), send(event, url | app=...,
    secret=..., expired=...), duplicate(event), prepare(event, ...)."""
    from hookcli.harness import Harness

    return Harness(root=request.path.parent)
