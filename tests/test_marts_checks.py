"""The serving snapshot's provenance and quality tables, its data dictionary, and the checks
on every mart: the manifest and data_quality recomputed from the sample's raw files (with the
independent model of tests/raw_model.py and tests/money_model.py), every published column
documented, and each reconciliation check passing on the sample and catching a broken mart.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from money_model import money_flows, totals
from raw_model import read_text
from snapshot import check_sql

PROJECT_ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- fixtures

# the sample's money by hand, as tests/test_marts.py's fixture of the same name (one per module)
@pytest.fixture(scope="module")
def sample_money(sample_dir):
    return money_flows(sample_dir)


# ---------------------------------------------------------------- provenance and quality

def test_manifest_lists_every_source_file_with_its_hash_and_rows(sample_dir, serving):
    import hashlib

    with duckdb.connect(str(serving), read_only=True) as conn:
        manifest = {Path(f).name: (src, sha, read, accepted, rejected) for src, f, sha, read, accepted, rejected in conn.sql(
            "select source, source_file, sha256, rows_read, rows_accepted, rows_rejected from manifest").fetchall()}
        assert conn.sql("select count(distinct snapshot_version), count(distinct code_version) from manifest").fetchall() == [(1, 1)]
    files = sorted(p for p in sample_dir.rglob("*") if p.is_file() and p.suffix in (".csv", ".xml", ".ics"))
    assert sorted(manifest) == sorted(p.name for p in files)
    # the documented flaws: rejected rows per file (derived from the rules, see generate.py)
    rejected = {"subventions_2023.csv": 1, "emplois.csv": 1,
                "evenements_2018.csv": 1, "evenements_2023.csv": 1, "mandats_2022.csv": 1}
    for path in files:
        source, sha, read, accepted, n_rejected = manifest[path.name]
        assert source == path.parent.name
        assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
        text = read_text(path)
        if path.suffix == ".csv":
            assert read == len(text.splitlines()) - 1, path.name
        elif path.suffix == ".ics":
            assert read == text.count("BEGIN:VEVENT"), path.name
        else:
            assert read == text.count("<iati-activity "), path.name
        assert (accepted, n_rejected) == (read - rejected.get(path.name, 0), rejected.get(path.name, 0)), path.name


def test_data_quality_reports_coverage_money_placed_and_freshness(sample_money, serving):
    flows, grants, _ = sample_money
    placed = totals(flows, lambda f, p, s: (p[0] != "unallocated",))
    committed = placed.get((True,), [0, 0])[0] + placed.get((False,), [0, 0])[0]
    with duckdb.connect(str(serving), read_only=True) as conn:
        dq = {(s, m): (v, latest) for s, m, v, latest in conn.sql(
            "select source, metric, value, latest_record_on from data_quality").fetchall()}
    assert dq[("grants", "siret_coverage")][0] == pytest.approx(sum(g.siret is not None for g in grants) / len(grants))
    assert dq[("funding", "committed_share_placed")][0] == pytest.approx(placed[(True,)][0] / committed)
    # freshness: the newest date inside each source
    assert dq[("grants", "siret_coverage")][1] == max(g.day for g in grants)
    assert dq[("iati", "country_coverage")][1] == max(t.day for a in sample_money[2] for t in a.transactions)
    for source in ("grants", "iati", "jobs", "events"):
        assert dq[(source, "rows_read")][1] is not None, source
    for metric in ("country_coverage", "sector_coverage", "transactions_without_rate"):
        assert ("iati", metric) in dq
    for key in (("events", "departement_coverage"), ("jobs", "siret_in_directory_coverage"),
                ("funding", "disbursed_share_placed")):
        assert 0 <= dq[key][0] <= 1, key


# ---------------------------------------------------------------- data dictionary

def test_data_dictionary_documents_every_published_column(serving):
    from pipelines.dictionary import UNDOCUMENTED

    with duckdb.connect(str(serving), read_only=True) as conn:
        published = set(conn.sql(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = 'main'"
        ).fetchall())
        documented = conn.sql("select table_name, column_name, data_type, meaning, source from data_dictionary").fetchall()
    assert {(t, c, ty) for t, c, ty, _, _ in documented} == published
    assert [(t, c) for t, c, _, meaning, _ in documented if meaning == UNDOCUMENTED] == []
    for table in ("funding_by_country", "funding_by_sector", "kpis", "jobs_by_departement", "campaign_reach"):
        assert {s for t, _, _, _, s in documented if t == table} == {f"sql/models/marts/{table}.sql"}
    assert all((PROJECT_ROOT / source).is_file() for *_, source in documented)


def test_docs_data_dictionary_is_up_to_date(serving):
    from pipelines.dictionary import read_dictionary, render_markdown

    on_disk = (PROJECT_ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert on_disk == render_markdown(read_dictionary(serving)), (
        "docs/data-dictionary.md is stale: materialise the sample, then run "
        "`python -m pipelines.dictionary SNAPSHOT --out docs/data-dictionary.md`"
    )


# ---------------------------------------------------------------- checks on every mart

def test_every_published_mart_has_a_check():
    from pipelines.definitions import defs
    from pipelines.publish import SNAPSHOT_MARTS

    checked = {k.asset_key.to_user_string() for k in defs.get_repository_def().asset_graph.asset_check_keys}
    assert {f"marts/{m}" for m in SNAPSHOT_MARTS} - checked == set()


RECONCILIATIONS = {
    "funding_by_sector_committed_reconciles": "update marts.funding_by_sector set committed_eur = committed_eur + 1 "
                                              "where year = 2020 and sector_code = (select min(sector_code) "
                                              "from marts.funding_by_sector where year = 2020)",
    "funding_by_programme_reconciles": "update marts.funding_by_programme set grants = grants + 1 where year = 2021",
    "flows_levels_sum": "update marts.flows set committed_eur = committed_eur + 1 where year = 2020 and programme = "
                        "(select min(programme) from marts.flows where year = 2020)",
    "outcomes_match_results": "delete from marts.outcomes where iati_identifier = "
                              "(select min(iati_identifier) from marts.outcomes)",
    "jobs_reconcile": "delete from marts.jobs_by_departement where year = 2022 and departement_code = '01'",
    "campaign_reconciles": "update marts.campaign_reach set events = events + 1 where year = 2019",
    "funding_by_country_committed_reconciles": "delete from marts.funding_by_country where year = 2018 and country_code = "
                                               "(select min(country_code) from marts.funding_by_country where year = 2018)",
    "funding_reconciliation_reconciles": "update marts.funding_reconciliation set origin = 'cofinancing' "
                                         "where year = 2021 and origin = 'grant'",
    # a project page that drops its activity's first transaction
    # a grant shown as paid one cent more than its payments (the public list's paid_eur)
    "payments_reconcile": "update marts.grants_public set paid_eur = paid_eur + 0.01 where grant_key = "
                          "(select min(grant_key) from marts.grants_public where payments_source = 'accounting')",
    # a project page that loses a grant's last payment
    "grant_payments_reconcile": "delete from marts.grant_payments where grant_key = (select min(grant_key) "
                                "from marts.grant_payments) and payment_date = (select max(payment_date) from "
                                "marts.grant_payments where grant_key = (select min(grant_key) from marts.grant_payments))",
    "payment_delays_reconcile": "update marts.payment_delays set grants_paid = grants_paid - 1 where year = 2020",
    "unmatched_payments_reconcile": "delete from marts.unmatched_payments where source_row = "
                                    "(select min(source_row) from marts.unmatched_payments)",
    "project_activities_reconcile": "update marts.project_activities set transactions = "
                                    "list_slice(transactions, 2, len(transactions)) where grant_key = "
                                    "(select min(grant_key) from marts.project_activities where len(transactions) > 0)",
}


def test_reconciliation_checks_pass_on_the_sample_and_catch_a_broken_mart(built, tmp_path):
    import shutil

    _, warehouse, _ = built
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as conn:
        for name, breakage in RECONCILIATIONS.items():
            check = check_sql(name)
            assert conn.sql(check).fetchall() == [], name
            conn.execute("begin")
            conn.execute(breakage)
            assert conn.sql(check).fetchall() != [], name
            conn.execute("rollback")
