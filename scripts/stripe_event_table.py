"""What scripts/gen_stripe_events.py makes: each Stripe event, the fixture resource its
``data.object`` is, and how that object differs from the fixture in the event's state.

Changes are dotted paths (list indices as numbers) to template values. Ids are written as
the generator names them: the fixture's first id of a prefix becomes ``{{random_id:PREFIX}}``,
so ``CUS`` below is the same customer as the one the fixture's ``customer`` field names.
"""

from __future__ import annotations

from typing import Any

HEADERS = {
    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    "Accept": "*/*; q=0.5, application/xml",
    "Cache-Control": "no-cache",
}

ACCT = "acct_{{random_id:acct}}"
CH = "ch_{{random_id:ch}}"
CUS = "cus_{{random_id:cus}}"
IN = "in_{{random_id:in}}"
PI = "pi_{{random_id:pi}}"
PM = "pm_{{random_id:pm}}"
PRICE = "price_{{random_id:price}}"
PROD = "prod_{{random_id:prod}}"
SI = "si_{{random_id:si}}"
SUB = "sub_{{random_id:sub}}"
TXN = "txn_{{random_id:txn}}"
COUPON = "{{random_id:coupon}}"
NOW = "{{now}}"
MONTH = "{{now:+2592000}}"
EMAIL = "jenny.rosen@example.com"
NAME = "Jenny Rosen"
ADDRESS = {
    "city": "San Francisco",
    "country": "US",
    "line1": "510 Townsend St",
    "line2": None,
    "postal_code": "94103",
    "state": "CA",
}

PLAN = {
    "active": True,
    "amount": 2000,
    "amount_decimal": "2000",
    "billing_scheme": "per_unit",
    "created": NOW,
    "currency": "usd",
    "id": PRICE,
    "interval": "month",
    "interval_count": 1,
    "livemode": False,
    "metadata": {},
    "meter": None,
    "nickname": None,
    "object": "plan",
    "product": PROD,
    "tiers_mode": None,
    "transform_usage": None,
    "trial_period_days": None,
    "usage_type": "licensed",
}

#: how every event's object of a resource differs from the fixture: fixture noise
#: (dummy values, both sides of a union, random numbers) made into one consistent object
RESOURCE_CHANGES: dict[str, dict[str, Any]] = {
    "account": {"email": EMAIL},
    "charge": {
        "amount": 2000,
        "amount_captured": 2000,
        "billing_details.email": EMAIL,
        "billing_details.name": NAME,
        "calculated_statement_descriptor": "HOOKCLI",
        "captured": True,
        "customer": CUS,
        "description": None,
        "outcome.network_status": "approved_by_network",
        "outcome.seller_message": "Payment complete.",
        "outcome.type": "authorized",
        "payment_intent": PI,
        "payment_method": PM,
        "payment_method_details.card.overcapture.maximum_amount_capturable": 2000,
        "payment_method_details.card.amount_authorized": 2000,
        "payment_method_details.card.wallet": None,
        "receipt_url": "https://pay.stripe.com/receipts/payment/{{random_id:receipt}}",
        "source": None,
        "transfer_data": None,
    },
    "checkout.session": {
        "after_expiration": None,
        "amount_subtotal": 2000,
        "amount_total": 2000,
        "collected_information": None,
        "currency": "usd",
        "currency_conversion": None,
        "customer": CUS,
        "customer_creation": "if_required",
        "customer_details.email": EMAIL,
        "customer_details.name": NAME,
        "customer_details.address": ADDRESS,
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "invoice_creation.enabled": False,
        "managed_payments": None,
        "payment_intent": PI,
        "payment_method_configuration_details": None,
        "shipping_cost": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
    },
    "coupon": {"id": COUPON, "duration": "repeating", "redeem_by": None},
    "customer": {"address": ADDRESS, "discount": None, "email": EMAIL, "name": NAME},
    "discount": {"end": None, "source.coupon": COUPON},
    "dispute": {"amount": 2000, "charge": CH, "payment_intent": PI},
    "invoice": {
        "amount_due": 2000,
        "amount_overpaid": 0,
        "amount_remaining": 2000,
        "billing_reason": "subscription_cycle",
        "customer_address": ADDRESS,
        "customer_email": EMAIL,
        "customer_name": NAME,
        "customer_shipping": None,
        "due_date": None,
        "from_invoice": None,
        "last_finalization_error": None,
        "lines.data.0.amount": 2000,
        "lines.data.0.description": "1 × Pro (at $20.00 / month)",
        "lines.data.0.parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": SUB,
                "subscription_item": SI,
            },
            "type": "subscription_item_details",
        },
        "lines.data.0.period": {"end": MONTH, "start": NOW},
        "lines.data.0.pricing": {
            "price_details": {"price": PRICE, "product": PROD},
            "type": "price_details",
            "unit_amount_decimal": "2000",
        },
        "lines.data.0.subscription": SUB,
        "lines.data.0.subtotal": 2000,
        "parent": {
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": SUB},
            "type": "subscription_details",
        },
        "period_end": NOW,
        "period_start": "{{now:-2592000}}",
        "shipping_cost": None,
        "shipping_details": None,
        "subtotal": 2000,
        "subtotal_excluding_tax": 2000,
        "total": 2000,
        "total_excluding_tax": 2000,
    },
    "invoice_payment": {
        "amount_paid": 2000,
        "amount_requested": 2000,
        "currency": "usd",
        "id": "inpay_{{random_id:inpay}}",
        "invoice": IN,
        "payment": {"payment_intent": PI, "type": "payment_intent"},
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": NOW},
    },
    "invoiceitem": {"net_amount": 1000, "quantity_decimal": "1"},
    "mandate": {"payment_method": PM},
    "payment_intent": {
        "amount": 2000,
        "canceled_at": None,
        "customer": CUS,
        "last_payment_error": None,
        "managed_payments": None,
        "next_action": None,
        "payment_method_configuration_details": None,
        "processing": None,
        "transfer_data": None,
    },
    "payment_link": {
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "transfer_data": None,
        "url": "https://buy.stripe.com/test_{{random_id:plink_url}}",
    },
    "payment_method": {
        "billing_details.email": EMAIL,
        "billing_details.name": NAME,
        "card.generated_from": None,
        "card.wallet": None,
        "customer": CUS,
    },
    "payout": {"trace_id": {"status": "pending", "value": None}},
    "plan": {"transform_usage": None},
    "price": {"transform_quantity": None, "unit_amount": 2000, "unit_amount_decimal": "2000"},
    "product": {"default_price": PRICE, "package_dimensions": None},
    "promotion_code": {"active": True, "expires_at": None, "promotion.coupon": COUPON},
    "quote": {"from_quote": None, "transfer_data": None},
    "credit_note": {"refunds": []},
    "radar.early_fraud_warning": {"charge": CH},
    "refund": {"amount": 2000, "charge": CH, "payment_intent": PI},
    "review": {"closed_reason": None, "reason": "rule"},
    "setup_intent": {
        "customer": CUS,
        "last_setup_error": None,
        "next_action": None,
        "payment_method_configuration_details": None,
    },
    "subscription": {
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "default_payment_method": PM,
        "ended_at": None,
        "items.data.0.billing_thresholds": None,
        "items.data.0.current_period_end": MONTH,
        "items.data.0.current_period_start": NOW,
        "items.data.0.plan": PLAN,
        "items.data.0.price.transform_quantity": None,
        "latest_invoice": IN,
        "managed_payments": None,
        "next_pending_invoice_item_invoice": None,
        "pause_collection": None,
        "pending_invoice_item_interval": None,
        "pending_update": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_start": None,
    },
    "subscription_schedule": {
        "canceled_at": None,
        "completed_at": None,
        "current_phase": {"end_date": MONTH, "start_date": NOW},
        "default_settings.transfer_data": None,
        "phases.0.items.0.plan": PLAN,
        "phases.0.transfer_data": None,
        "subscription": SUB,
    },
    "tax_rate": {"flat_amount": None, "rate_type": "percentage", "effective_percentage": 19},
    "billing_portal.session": {
        "flow": None,
        "url": "https://billing.stripe.com/p/session/test_{{random_id:bps_url}}",
    },
}


def ev(resource: str, changes: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"resource": resource, "changes": changes or {}}
    if "previous" in kw:
        out["previous"] = kw["previous"]
    return out


# --- states shared by several events ----------------------------------------------------

PI_SUCCEEDED = {
    "status": "succeeded",
    "amount_received": 2000,
    "latest_charge": CH,
    "payment_method": PM,
}
PI_FAILED = {
    "status": "requires_payment_method",
    "payment_method": None,
    "last_payment_error": {
        "charge": CH,
        "code": "card_declined",
        "decline_code": "generic_decline",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": "Your card was declined.",
        "type": "card_error",
    },
    "latest_charge": CH,
}
CHARGE_FAILED = {
    "status": "failed",
    "paid": False,
    "captured": False,
    "amount_captured": 0,
    "balance_transaction": None,
    "failure_code": "card_declined",
    "failure_message": "Your card was declined.",
    "outcome.network_status": "declined_by_network",
    "outcome.reason": "generic_decline",
    "outcome.seller_message": "The bank did not return any further details with this decline.",
    "outcome.type": "issuer_declined",
}
INVOICE_OPEN = {
    "status": "open",
    "auto_advance": True,
    "number": "7FE1103-0001",
    "hosted_invoice_url": "https://invoice.stripe.com/i/acct_{{random_id:acct}}/test_{{random_id:inv_url}}",
    "invoice_pdf": "https://pay.stripe.com/invoice/acct_{{random_id:acct}}/test_{{random_id:inv_url}}/pdf",
    "status_transitions.finalized_at": NOW,
    "next_payment_attempt": "{{now:+3600}}",
}
INVOICE_PAID = {
    **INVOICE_OPEN,
    "status": "paid",
    "amount_paid": 2000,
    "amount_remaining": 0,
    "attempt_count": 1,
    "attempted": True,
    "next_payment_attempt": None,
    "status_transitions.paid_at": NOW,
}
INVOICE_FAILED = {**INVOICE_OPEN, "attempt_count": 1, "attempted": True}
SUB_TRIALING = {"status": "trialing", "trial_start": NOW, "trial_end": "{{now:+259200}}"}
SUB_CANCELED = {
    "status": "canceled",
    "canceled_at": NOW,
    "ended_at": NOW,
    "cancellation_details": {"comment": None, "feedback": None, "reason": "cancellation_requested"},
}
SETI_SUCCEEDED = {
    "status": "succeeded",
    "payment_method": PM,
    "latest_attempt": "setatt_{{random_id:setatt}}",
}
PAYOUT_PAID = {
    "status": "paid",
    "arrival_date": NOW,
    "trace_id": {"status": "supported", "value": "TRACE{{random_int:trace}}"},
}
CHECKOUT_DONE = {"status": "complete", "url": None, "customer_details.email": EMAIL}

EVENTS: dict[str, dict[str, Any]] = {
    "account.updated": ev(
        "account",
        {"charges_enabled": True, "details_submitted": True, "payouts_enabled": True},
        previous={"charges_enabled": False, "details_submitted": False, "payouts_enabled": False},
    ),
    "balance.available": ev(
        "balance",
        {"available.0.amount": 194000, "available.0.source_types.card": 194000},
    ),
    "billing_portal.session.created": ev("billing_portal.session"),
    "charge.captured": ev("charge"),
    "charge.dispute.closed": ev("dispute", {"status": "won"}),
    "charge.dispute.created": ev("dispute", {"status": "needs_response"}),
    "charge.failed": ev("charge", CHARGE_FAILED),
    "charge.pending": ev("charge", {"status": "pending", "captured": True}),
    "charge.refund.updated": ev("refund", {"status": "succeeded"}, previous={"status": "pending"}),
    "charge.refunded": ev("charge", {"refunded": True, "amount_refunded": 2000}),
    "charge.succeeded": ev("charge"),
    "charge.updated": ev("charge", {"description": "Order #1042"}, previous={"description": None}),
    "checkout.session.async_payment_failed": ev(
        "checkout.session", {**CHECKOUT_DONE, "payment_status": "unpaid"}
    ),
    "checkout.session.async_payment_succeeded": ev(
        "checkout.session", {**CHECKOUT_DONE, "payment_status": "paid"}
    ),
    "checkout.session.completed": ev(
        "checkout.session", {**CHECKOUT_DONE, "payment_status": "paid"}
    ),
    "checkout.session.expired": ev(
        "checkout.session", {"status": "expired", "url": None, "expires_at": NOW}
    ),
    "coupon.created": ev("coupon"),
    "coupon.deleted": ev("coupon", {"valid": False}),
    "coupon.updated": ev("coupon", {"name": "Spring sale"}, previous={"name": "25.5% off"}),
    "credit_note.created": ev("credit_note"),
    "customer.created": ev("customer"),
    "customer.deleted": ev("customer"),
    "customer.discount.created": ev("discount", {"customer": CUS}),
    "customer.subscription.created": ev(
        "subscription", {"status": "incomplete", "latest_invoice": IN}
    ),
    "customer.subscription.deleted": ev("subscription", SUB_CANCELED),
    "customer.subscription.paused": ev(
        "subscription",
        {"status": "paused", **{k: v for k, v in SUB_TRIALING.items() if k != "status"}},
        previous={"status": "trialing"},
    ),
    "customer.subscription.resumed": ev("subscription", {"status": "active"}),
    "customer.subscription.trial_will_end": ev("subscription", SUB_TRIALING),
    "customer.subscription.updated": ev(
        "subscription",
        {"cancel_at_period_end": True, "cancel_at": MONTH, "canceled_at": NOW},
        previous={"cancel_at_period_end": False, "cancel_at": None, "canceled_at": None},
    ),
    "customer.tax_id.created": ev("tax_id"),
    "customer.updated": ev("customer", {"email": EMAIL}, previous={"email": "jenny@example.com"}),
    "file.created": ev("file"),
    "invoice.created": ev("invoice", {"status": "draft", "auto_advance": True}),
    "invoice.deleted": ev("invoice", {"status": "draft"}),
    "invoice.finalization_failed": ev(
        "invoice",
        {
            "status": "draft",
            "last_finalization_error": {
                "code": "customer_tax_location_invalid",
                "doc_url": "https://stripe.com/docs/error-codes/customer-tax-location-invalid",
                "message": "The customer's tax location is invalid.",
                "type": "invalid_request_error",
            },
        },
    ),
    "invoice.finalized": ev("invoice", INVOICE_OPEN),
    "invoice.marked_uncollectible": ev(
        "invoice",
        {
            **INVOICE_FAILED,
            "status": "uncollectible",
            "status_transitions.marked_uncollectible_at": NOW,
        },
    ),
    "invoice.overdue": ev(
        "invoice",
        {**INVOICE_OPEN, "collection_method": "send_invoice", "due_date": "{{now:-86400}}"},
    ),
    "invoice.paid": ev("invoice", INVOICE_PAID),
    "invoice.payment_action_required": ev("invoice", INVOICE_FAILED),
    "invoice.payment_failed": ev("invoice", INVOICE_FAILED),
    "invoice.payment_succeeded": ev("invoice", INVOICE_PAID),
    "invoice.sent": ev(
        "invoice", {**INVOICE_OPEN, "collection_method": "send_invoice", "due_date": MONTH}
    ),
    "invoice.upcoming": ev(
        "invoice",
        {
            "status": "draft",
            "period_start": NOW,
            "period_end": MONTH,
            "next_payment_attempt": MONTH,
        },
    ),
    "invoice.updated": ev(
        "invoice",
        {**INVOICE_OPEN, "description": "Thanks for your business"},
        previous={"description": None},
    ),
    "invoice.voided": ev(
        "invoice", {**INVOICE_OPEN, "status": "void", "status_transitions.voided_at": NOW}
    ),
    "invoice_payment.paid": ev("invoice_payment"),
    "invoiceitem.created": ev("invoiceitem"),
    "mandate.updated": ev("mandate", {"status": "inactive"}, previous={"status": "active"}),
    "payment_intent.amount_capturable_updated": ev(
        "payment_intent",
        {
            "status": "requires_capture",
            "capture_method": "manual",
            "amount_capturable": 2000,
            "latest_charge": CH,
            "payment_method": PM,
        },
    ),
    "payment_intent.canceled": ev(
        "payment_intent",
        {"status": "canceled", "canceled_at": NOW, "cancellation_reason": "requested_by_customer"},
    ),
    "payment_intent.created": ev("payment_intent"),
    "payment_intent.partially_funded": ev(
        "payment_intent",
        {"status": "requires_action", "payment_method_types": ["customer_balance"]},
    ),
    "payment_intent.payment_failed": ev("payment_intent", PI_FAILED),
    "payment_intent.processing": ev(
        "payment_intent",
        {"status": "processing", "payment_method": PM, "processing": {"card": {}, "type": "card"}},
    ),
    "payment_intent.requires_action": ev(
        "payment_intent",
        {
            "status": "requires_action",
            "payment_method": PM,
            "next_action": {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": "https://hooks.stripe.com/redirect/authenticate/src_{{random_id:src}}",
                },
            },
        },
    ),
    "payment_intent.succeeded": ev("payment_intent", PI_SUCCEEDED),
    "payment_link.created": ev("payment_link"),
    "payment_link.updated": ev("payment_link", {"active": False}, previous={"active": True}),
    "payment_method.attached": ev("payment_method"),
    "payment_method.detached": ev("payment_method", {"customer": None}),
    "payment_method.updated": ev(
        "payment_method", {"card.exp_year": 2031}, previous={"card": {"exp_year": 2030}}
    ),
    "payout.canceled": ev("payout", {"status": "canceled"}),
    "payout.created": ev("payout", {"status": "pending"}),
    "payout.failed": ev(
        "payout",
        {
            "status": "failed",
            "failure_code": "account_closed",
            "failure_message": "The bank account has been closed.",
            "failure_balance_transaction": "txn_{{random_id:txn_fail}}",
        },
    ),
    "payout.paid": ev("payout", PAYOUT_PAID),
    "payout.updated": ev(
        "payout", {"description": "Weekly payout"}, previous={"description": "STRIPE PAYOUT"}
    ),
    "plan.created": ev("plan"),
    "plan.deleted": ev("plan", {"active": False}),
    "price.created": ev("price"),
    "price.deleted": ev("price", {"active": False}),
    "price.updated": ev("price", {"nickname": "Pro monthly"}, previous={"nickname": None}),
    "product.created": ev("product"),
    "product.deleted": ev("product", {"active": False}),
    "product.updated": ev(
        "product", {"name": "T-shirt (organic)", "updated": NOW}, previous={"name": "T-shirt"}
    ),
    "promotion_code.created": ev("promotion_code"),
    "quote.accepted": ev("quote", {"status": "accepted"}),
    "quote.created": ev("quote", {"status": "draft"}),
    "quote.finalized": ev("quote", {"status": "open"}),
    "radar.early_fraud_warning.created": ev("radar.early_fraud_warning"),
    "refund.created": ev("refund", {"status": "pending"}),
    "refund.updated": ev("refund", {"status": "succeeded"}, previous={"status": "pending"}),
    "review.opened": ev("review"),
    "setup_intent.canceled": ev(
        "setup_intent", {"status": "canceled", "cancellation_reason": "requested_by_customer"}
    ),
    "setup_intent.created": ev("setup_intent"),
    "setup_intent.requires_action": ev(
        "setup_intent",
        {
            "status": "requires_action",
            "payment_method": PM,
            "next_action": {"type": "use_stripe_sdk", "use_stripe_sdk": {}},
        },
    ),
    "setup_intent.setup_failed": ev(
        "setup_intent",
        {
            "status": "requires_payment_method",
            "last_setup_error": {
                "code": "card_declined",
                "decline_code": "generic_decline",
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                "message": "Your card was declined.",
                "type": "card_error",
            },
        },
    ),
    "setup_intent.succeeded": ev("setup_intent", SETI_SUCCEEDED),
    "subscription_schedule.canceled": ev(
        "subscription_schedule", {"status": "canceled", "canceled_at": NOW}
    ),
    "subscription_schedule.created": ev("subscription_schedule", {"status": "not_started"}),
    "subscription_schedule.updated": ev(
        "subscription_schedule", {"end_behavior": "cancel"}, previous={"end_behavior": "release"}
    ),
    "tax_rate.created": ev("tax_rate"),
    "transfer.created": ev("transfer"),
    "transfer.reversed": ev("transfer", {"reversed": True, "amount_reversed": 1100}),
}

#: events a Stripe API call causes carry that request's id; the rest are Stripe's own doing
_AUTOMATIC = (
    "balance.",
    "charge.",
    "checkout.session.",
    "invoice.",
    "invoice_payment.",
    "payout.",
    "radar.",
    "review.",
    "customer.subscription.trial_will_end",
    "customer.subscription.resumed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
    "payment_intent.partially_funded",
    "setup_intent.succeeded",
    "setup_intent.setup_failed",
    "setup_intent.requires_action",
    "mandate.",
)


def event_request(event: str) -> dict[str, Any]:
    if event.startswith(_AUTOMATIC):
        return {"id": None, "idempotency_key": None}
    return {"id": "req_{{random_id:req}}", "idempotency_key": "{{uuid}}"}


def _thin(kind: str, related: dict[str, str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "evt_test_65{{random_id:evt}}{{random_id:evt2}}",
        "object": "v2.core.event",
        "context": None,
        "created": "{{iso_now}}",
        "livemode": False,
        "reason": None,
        "type": kind,
    }
    if related is not None:
        body["related_object"] = related
    return body


_METER = "mtr_test_61{{random_id:mtr}}"
_DEST = "ed_test_61{{random_id:ed}}"

#: thin events (event destinations' "thin" payload, ``stripe listen --forward-thin-to``):
#: unversioned, a reference to the object instead of a snapshot of it
THIN: dict[str, dict[str, Any]] = {
    "v1.billing.meter.error_report_triggered": _thin(
        "v1.billing.meter.error_report_triggered",
        {"id": _METER, "type": "billing.meter", "url": f"/v1/billing/meters/{_METER}"},
    ),
    "v1.billing.meter.no_meter_found": _thin("v1.billing.meter.no_meter_found", None),
    "v2.core.event_destination.ping": _thin(
        "v2.core.event_destination.ping",
        {
            "id": _DEST,
            "type": "v2.core.event_destination",
            "url": f"/v2/core/event_destinations/{_DEST}",
        },
    ),
}
