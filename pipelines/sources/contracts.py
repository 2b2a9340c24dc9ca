"""The accepted tables' columns and types, as in docs/data-contracts.md.

The warehouse creates each raw table with these columns even when no file feeds it,
so the SQL downstream never depends on which files happened to be present.
"""

from __future__ import annotations

import polars as pl

S, D, F, I32, I64, B = pl.String, pl.Date, pl.Float64, pl.Int32, pl.Int64, pl.Boolean
DT = pl.Datetime("us")
# Money as read, exact: an amount in its own currency, and a co-financing share, held to 10
# decimal places (docs/money-rules.md, "Exact money"); DuckDB's DECIMAL(38, 10).
MONEY_SCALE = 10
M = pl.Decimal(38, MONEY_SCALE)

_ORIGIN = {"source_file": S, "source_row": S}

GRANT_TABLES = {
    "grants": {
        "source_file": S, "source_row": I64,
        "attribuant_nom": S, "attribuant_id": S, "date_convention": D, "year": I32,
        "reference_decision": S, "beneficiaire_nom": S, "beneficiaire_id": S,
        "rna_beneficiaire": S, "objet": S, "montant_eur": M, "nature": S,
        "conditions_versement": S, "versement_debut": D, "versement_fin": D, "id_rae": S,
        "notification_ue": B, "pourcentage_subvention": M, "dispositif_aide": S,
        "extra": S, "flags": S,
        "beneficiaire_siren": S, "name_reads_as_person": B,
        "name_reads_as_sole_trader": B, "record_hash": S,
    },
    # Rows read with a readable amount that are not grants: total lines and rejected rows.
    # Their euros are read but set aside, each with its reason (money is conserved per file).
    "grants_set_aside": {
        "source_file": S, "source_row": I64, "year": I32, "montant_eur": M, "reason": S,
    },
}

IATI_TABLES = {
    "activities": {
        **_ORIGIN, "iati_identifier": S, "iati_version": S, "reporting_org_ref": S,
        "reporting_org_name": S, "reporting_org_type": S, "title": S, "description": S, "activity_status": S,
        "default_currency": S, "start_date": D, "end_date": D, "grant_reference": S, "hierarchy": S,
    },
    "participating_orgs": {**_ORIGIN, "iati_identifier": S, "role": S, "ref": S, "name": S, "org_type": S},
    "activity_locations": {
        **_ORIGIN, "iati_identifier": S, "kind": S, "code": S, "vocabulary": S, "percentage": F,
    },
    "activity_sectors": {**_ORIGIN, "iati_identifier": S, "vocabulary": S, "code": S, "percentage": F},
    "transactions": {
        **_ORIGIN, "iati_identifier": S, "transaction_index": I32, "transaction_type": S,
        "transaction_date": D, "value": M, "currency": S, "value_date": D,
        "recipient_country": S, "recipient_region": S, "sector_vocabulary": S, "sector_code": S,
        "provider_org_ref": S, "receiver_org_ref": S,
    },
    "budgets": {
        **_ORIGIN, "iati_identifier": S, "budget_type": S, "status": S, "period_start": D,
        "period_end": D, "value": M, "currency": S, "value_date": D,
    },
    "results": {
        **_ORIGIN, "iati_identifier": S, "result_index": I32, "result_type": S, "result_title": S,
        "indicator_index": I32, "indicator_title": S, "measure": S, "ascending": B,
        "baseline_year": I32, "baseline_value": F, "period_start": D, "period_end": D,
        "target_value": F, "actual_value": F,
    },
}

ORGANISATION_TABLES = {
    "organisations": {
        "source_file": S, "source_row": I64, "siret": S, "name": S, "legal_category": S,
        "naf_code": S, "commune_code": S, "postcode": S, "org_type": S,
    }
}

JOB_TABLES = {
    "jobs": {
        "source_file": S, "source_row": I64, "siret": S, "year": I32, "headcount": I32,
        "fte": F, "volunteers": I32,
    }
}

EVENT_TABLES = {
    "events": {
        "source_file": S, "source_row": I64, "event_id": S, "title": S, "start": DT, "end": DT,
        "commune_code": S, "location_text": S, "organiser_siret": S, "organiser_name": S,
        "event_type": S, "audience": I32, "young_audience": I32, "origin": S, "flags": S,
    }
}

# The region's payment orders (mandats), as its accounting exports them (issue 16):
# data/schemas/payments.schema.json. `year` is the payment's year (cash basis); the grant a
# payment pays is found in staging (docs/money-rules.md, "Payments"), not by the reader.
PAYMENT_TABLES = {
    "payments": {
        "source_file": S, "source_row": I64, "payment_order": S, "payment_date": D, "year": I32,
        "amount_eur": M, "reference_decision": S, "beneficiary_id": S, "beneficiary_siren": S,
        "grant_reference": S,
    },
    # Rejected rows whose amount could be read: their euros are set aside with the reason,
    # so the money read in a payments file is conserved (as grants_set_aside does for grants).
    "payments_set_aside": {
        "source_file": S, "source_row": I64, "year": I32, "amount_eur": M, "reason": S,
    },
}
