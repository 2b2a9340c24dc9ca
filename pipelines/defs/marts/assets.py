"""Staging and mart tables: one SQL file each, in dependency order."""

from pipelines.defs.factories import sql_table_asset
from pipelines.sources.registry import SOURCES, raw_key

REF = ["ref", "reference_tables"]
RAW_GRANTS, RAW_IATI, RAW_PAYMENTS = raw_key("grants"), raw_key("iati"), raw_key("payments")
RAW_ORGS, RAW_JOBS, RAW_EVENTS = raw_key("organisations"), raw_key("jobs"), raw_key("events")


def stg(name: str) -> list[str]:
    return ["staging", name]


def mart(name: str) -> list[str]:
    return ["marts", name]


STAGING = {
    "organisations": [RAW_ORGS, REF],
    "grants": [RAW_GRANTS, stg("organisations")],
    "grant_duplicates": [RAW_GRANTS],
    "activity_copies": [RAW_IATI],
    "link_candidates": [stg("grants"), RAW_IATI, stg("activity_copies")],
    "grant_activities": [stg("link_candidates")],
    "transactions_eur": [RAW_IATI, REF, stg("activity_copies")],
    "location_shares": [RAW_IATI, REF, stg("activity_copies")],
    "sector_shares": [RAW_IATI, REF, stg("activity_copies")],
    "payments": [RAW_PAYMENTS, stg("grants")],
    "grant_payment_sources": [stg("grants"), stg("payments"), stg("grant_activities")],
    "money_flows": [stg("grants"), stg("grant_activities"), stg("transactions_eur"), stg("payments"),
                    stg("grant_payment_sources")],
    "allocations": [stg("money_flows"), stg("location_shares"), stg("sector_shares"), REF],
    "jobs": [RAW_JOBS, stg("organisations")],
    "events": [RAW_EVENTS, REF],
    "unknown_codes": [RAW_IATI, RAW_ORGS, RAW_EVENTS, REF],
}

MARTS = {
    "funding": [stg("allocations")],
    "funding_by_country": [mart("funding"), REF],
    "funding_by_sector": [mart("funding"), REF],
    "funding_by_programme": [mart("funding"), stg("grants")],
    "funding_reconciliation": [stg("allocations")],
    "flows": [mart("funding")],
    "outcomes": [RAW_IATI, stg("location_shares"), stg("sector_shares"), stg("grant_activities")],
    "grants_public": [stg("grants"), stg("grant_activities"), stg("location_shares"), stg("sector_shares"),
                      stg("grant_payment_sources"), stg("money_flows"), stg("payments")],
    # the region's payment records: per grant, counted publicly, listed for the analyst, how fast
    "grant_payments": [stg("payments")],
    "payment_matching": [stg("payments"), RAW_PAYMENTS],
    "unmatched_payments": [stg("payments")],
    "payment_delays": [stg("payments"), stg("grants"), stg("grant_payment_sources")],
    # a grant's linked activity for its project page (issue 16)
    "project_activities": [RAW_IATI, stg("grant_activities"), stg("location_shares"), stg("sector_shares"),
                           stg("transactions_eur")],
    "jobs_by_departement": [stg("jobs"), REF],
    "campaign_reach": [stg("events"), REF],
    "kpis": [mart("funding"), stg("grants"), mart("jobs_by_departement"), mart("campaign_reach"), REF],
    "negative_money": [stg("transactions_eur"), stg("money_flows")],
    "unconverted_money": [stg("transactions_eur")],
    "money_reconciliation": [RAW_GRANTS, stg("grant_duplicates"), stg("transactions_eur"), stg("grant_activities"),
                             stg("money_flows"), stg("payments"), RAW_PAYMENTS],
    "publication_gaps": [RAW_GRANTS, stg("grants")],
    "publication_compliance": [stg("grants"), mart("publication_gaps")],
    "link_review": [stg("link_candidates"), stg("grant_activities"), stg("grants")],
    "grant_project_reconciliation": [stg("grants"), stg("grant_activities"), stg("allocations"),
                                     stg("money_flows"), mart("link_review")],
    # every source, from the registry: a new source's files are counted here as soon as it is read
    "data_quality": [
        *(s.key for s in SOURCES),
        stg("grants"), stg("payments"), stg("allocations"), stg("transactions_eur"),
        stg("organisations"), stg("jobs"), stg("events"), stg("unknown_codes"),
    ],
}

staging_assets = [sql_table_asset("staging", n, deps=d, group="staging") for n, d in STAGING.items()]
mart_assets = [sql_table_asset("marts", n, deps=d, group="marts") for n, d in MARTS.items()]
