"""The shop's webhook handler, fed a real Stripe delivery (caught by `hookcli listen`,
exported with `hookcli export`), re-signed with the test secret on every run."""

import pytest
from app import create_app

SECRET = "whsec_test_secret"  # the app's signing secret in CI, not Stripe's live one


@pytest.fixture
def app():
    return create_app(SECRET)


def test_invoice_paid(hookcli, app):
    event = hookcli.load("fixtures/stripe-invoice.paid-1.json")
    response = hookcli.send(event, app=app, secret=SECRET)
    assert response.status == 200


def test_the_amount_paid_is_recorded(hookcli, app):
    event = hookcli.load(
        "fixtures/stripe-invoice.paid-1.json", set={"data.object.amount_paid": 500}
    )
    hookcli.send(event, app=app, secret=SECRET)
    assert app.config["PAID"] == [500]


def test_a_stale_signature_is_refused(hookcli, app):
    event = hookcli.load("fixtures/stripe-invoice.paid-1.json")
    response = hookcli.send(event, app=app, secret=SECRET, expired=True)
    assert response.status == 400


def test_a_retried_delivery_is_handled_once(hookcli, app):
    event = hookcli.load("fixtures/stripe-invoice.paid-1.json")
    assert hookcli.send(event, app=app, secret=SECRET).json() == {"status": "ok"}
    assert hookcli.duplicate(event).json() == {"status": "duplicate"}
    assert app.config["PAID"] == [1500]
