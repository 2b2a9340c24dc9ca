"""Checks on the marts. Blocking ones stop the publish step: a failed check never
reaches the dashboard. Each check is a SQL file in `sql/checks/` returning the rows
that break the rule."""

from pipelines.defs.factories import sql_check

checks = [
    sql_check("funding_reconciles_with_flows", asset=["marts", "funding"], deps=[["staging", "money_flows"]]),
    sql_check("funding_by_country_reconciles", asset=["marts", "funding_by_country"], deps=[["marts", "funding"]]),
    sql_check("flows_levels_sum", asset=["marts", "flows"], deps=[["marts", "funding"]]),
    sql_check(
        "marts_keys_unique",
        asset=["marts", "kpis"],
        deps=[["marts", n] for n in ("funding_by_country", "funding_by_sector", "funding_by_programme",
                                    "jobs_by_departement", "campaign_reach", "grants_public")],
    ),
    sql_check(
        "codes_valid",
        asset=["marts", "funding_by_country"],
        deps=[["marts", "funding_by_sector"], ["marts", "jobs_by_departement"], ["marts", "campaign_reach"]],
    ),
    # Jobs and audiences below zero are input errors: they block publication.
    sql_check("counts_non_negative", asset=["marts", "jobs_by_departement"], deps=[["marts", "campaign_reach"]]),
    # Negative IATI money is real (cancellations, reimbursements) and counts, netted: a
    # warning naming each transaction, never a block (docs/money-rules.md).
    sql_check(
        "negative_transactions",
        asset=["marts", "negative_money"],
        blocking=False,
        deps=[["staging", "transactions_eur"]],
    ),
    sql_check("unconverted_money_reconciles", asset=["marts", "unconverted_money"],
              deps=[["staging", "transactions_eur"]]),
    sql_check("no_natural_person_named", asset=["marts", "grants_public"], deps=[["staging", "grants"]]),
    sql_check("rows_accounted_for", asset=["marts", "data_quality"]),
    # the region as a publisher: the 23,000 € rule and grants <-> projects add up
    sql_check("publication_compliance_reconciles", asset=["marts", "publication_compliance"],
              deps=[["marts", "publication_gaps"], ["staging", "grants"]]),
    sql_check("publication_gaps_are_over_threshold", asset=["marts", "publication_gaps"]),
    sql_check("grant_project_reconciliation_reconciles", asset=["marts", "grant_project_reconciliation"],
              deps=[["staging", "grants"], ["staging", "allocations"]]),
    sql_check("link_review_never_linked", asset=["marts", "link_review"], deps=[["staging", "grant_activities"]]),
    # no money vanishes between raw, staging and marts without a stated reason
    sql_check("money_conserved", asset=["marts", "money_reconciliation"], deps=[["staging", "money_flows"]]),
    sql_check("funding_by_sector_reconciles", asset=["marts", "funding_by_sector"], deps=[["marts", "funding"]]),
    sql_check(
        "funding_by_programme_reconciles",
        asset=["marts", "funding_by_programme"],
        deps=[["marts", "funding"], ["staging", "grants"]],
    ),
    # every page's total reconciles with its parts (origin, place, payments tracked)
    sql_check("funding_reconciliation_reconciles", asset=["marts", "funding_reconciliation"],
              deps=[["marts", "funding"], ["staging", "grants"], ["staging", "grant_payment_sources"]]),
    sql_check("outcomes_match_results", asset=["marts", "outcomes"], deps=[["raw", "iati"]]),
    sql_check("jobs_reconcile", asset=["marts", "jobs_by_departement"], deps=[["staging", "jobs"]]),
    sql_check("campaign_reconciles", asset=["marts", "campaign_reach"], deps=[["staging", "events"]]),
    # a project page's activity: published grants only, every transaction, the same euros
    # the region's payment records: read = matched + set aside, matched = paid, per grant exactly
    sql_check("payments_reconcile", asset=["marts", "payment_matching"],
              deps=[["staging", "payments"], ["staging", "money_flows"], ["marts", "grants_public"]]),
    sql_check("grant_payments_reconcile", asset=["marts", "grant_payments"], deps=[["marts", "grants_public"]]),
    sql_check("payment_delays_reconcile", asset=["marts", "payment_delays"], deps=[["marts", "grants_public"]]),
    sql_check("unmatched_payments_reconcile", asset=["marts", "unmatched_payments"],
              deps=[["marts", "payment_matching"]]),
    sql_check("project_activities_reconcile", asset=["marts", "project_activities"],
              deps=[["marts", "grants_public"], ["staging", "transactions_eur"]]),
]
