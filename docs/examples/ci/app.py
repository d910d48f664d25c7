"""A tiny shop backend that takes Stripe webhooks: the app under test in docs/ci.md.

It verifies every delivery with Stripe's own library, records paid invoices, and handles
each event once, however often Stripe retries it."""

from __future__ import annotations

from typing import Any

import stripe
from flask import Flask, request


def create_app(webhook_secret: str) -> Flask:
    app = Flask(__name__)
    paid: list[int] = []
    seen: set[str] = set()
    app.config["PAID"] = paid

    @app.post("/hooks/stripe")
    def stripe_webhook() -> Any:
        try:
            event = stripe.Webhook.construct_event(
                request.get_data(), request.headers.get("Stripe-Signature", ""), webhook_secret
            )
        except (ValueError, stripe.SignatureVerificationError):
            return {"error": "invalid signature"}, 400
        if event["id"] in seen:  # a retry: already handled
            return {"status": "duplicate"}
        seen.add(event["id"])
        if event["type"] == "invoice.paid":
            paid.append(event["data"]["object"]["amount_paid"])
        return {"status": "ok"}

    return app
