"""Payments: the accounting's payment orders ("mandats de paiement") from `payments/`."""

from pipelines.defs.factories import ingest_asset
from pipelines.sources.contracts import PAYMENT_TABLES
from pipelines.sources.payments import read_payments

raw_payments = ingest_asset(
    source="payments",
    suffixes=(".csv",),
    reader=lambda: read_payments,
    tables=PAYMENT_TABLES,
    group="grants",
    description="Payment orders of grants as the region's accounting exports them "
    "(data/schemas/payments.schema.json), one row per payment; a rejected row's euros are "
    "set aside in raw.payments_set_aside with its reason, every problem in quality.rejected_rows.",
)
