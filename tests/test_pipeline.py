"""A full materialisation of the sample into a temporary folder, checked against the raw files.

The expected figures are computed here another way: the csv module and plain Python over
the files `solidarity sample` wrote, not the pipeline's readers or SQL.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pytest

SNAPSHOT_TABLES = ("funding", "funding_by_country", "funding_by_sector", "funding_by_programme", "flows",
                   "outcomes", "grants_public", "jobs_by_departement", "campaign_reach", "kpis",
                   "data_quality", "manifest", "countries")


def snapshot(serving: Path):
    return duckdb.connect(str(serving), read_only=True)


def test_materialisation_publishes_a_snapshot_with_non_empty_marts(built):
    outcome, _, serving = built
    assert outcome.success, outcome.report_lines()
    assert serving.exists()
    with snapshot(serving) as conn:
        for table in SNAPSHOT_TABLES:
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] > 0, table


def _grant_rows(raw: Path):
    """Every SCDL row of the sample, read with the csv module (encoding and separator by file)."""
    for path in sorted((raw / "grants").glob("*.csv")):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
        yield from csv.DictReader(text.splitlines(), delimiter=delimiter)


def _amount(text: str) -> Decimal | None:
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value  # a negative amount is a cancellation: counted (docs/money-rules.md)


def _year(text: str) -> int | None:
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        return int(text[:4])
    if len(text) == 10 and text[2] == "/":
        return int(text[6:])
    return None


def expected_grants_by_programme(raw: Path) -> dict[tuple[int, str], Decimal]:
    totals: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for row in _grant_rows(raw):
        amount, year = _amount(row["montant"]), _year(row["dateConvention"])
        if amount is None or year is None:  # a grant without a name is still money
            continue
        totals[(year, row["dispositifAide"])] += amount
    return totals


def test_grants_committed_by_programme_match_the_raw_files_to_the_cent(built, sample_dir):
    _, _, serving = built
    expected = expected_grants_by_programme(sample_dir)
    with snapshot(serving) as conn:
        rows = conn.execute(
            "select year, programme, committed_eur from funding_by_programme where programme <> 'Cofinancements (IATI)'"
        ).fetchall()
    got = {(y, p): round(Decimal(str(v)), 2) for y, p, v in rows}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == value.quantize(Decimal("0.01")), key


def test_by_country_plus_unallocated_equals_total(built):
    _, _, serving = built
    with snapshot(serving) as conn:
        diff = conn.execute(
            """
            select max(abs(c.total - f.total)) from
              (select year, sum(committed_eur) total from funding_by_country group by year) c
              join (select year, sum(committed_eur) total from funding group by year) f using (year)
            """
        ).fetchone()[0]
        unallocated = conn.execute(
            "select count(*) from funding_by_country where country_code = 'unallocated'"
        ).fetchone()[0]
    assert diff < 0.01
    assert unallocated > 0  # fair-trade and awareness grants have no project abroad


def test_kpis_have_previous_year_and_target(built):
    _, _, serving = built
    with snapshot(serving) as conn:
        row = conn.execute(
            "select value, previous_value, target from kpis where indicator = 'committed_eur' and year = 2024"
        ).fetchone()
        previous = conn.execute(
            "select value from kpis where indicator = 'committed_eur' and year = 2023"
        ).fetchone()[0]
    value, previous_value, target = row
    assert previous_value == pytest.approx(previous)
    assert target == 10_000_000
    assert 8e6 < value < 12e6


def test_jobs_kpi_matches_the_jobs_file(built, sample_dir):
    _, _, serving = built
    seen: set[tuple[str, str]] = set()
    total = 0
    with open(sample_dir / "jobs" / "emplois.csv", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["annee"] != "2025" or (row["siret"], row["annee"]) in seen:
                continue
            try:
                headcount, fte = int(row["effectif"]), float(row["etp"])
            except ValueError:
                continue
            if headcount < 0 or fte < 0:
                continue
            seen.add((row["siret"], row["annee"]))
            total += headcount
    with snapshot(serving) as conn:
        value = conn.execute(
            "select value from kpis where indicator = 'jobs_headcount' and year = 2025"
        ).fetchone()[0]
    assert value == total
    assert 1200 <= total <= 1400


def test_no_natural_person_is_named_in_the_snapshot(built, sample_dir):
    _, _, serving = built
    persons = {
        row["nomBeneficiaire"].strip()
        for row in _grant_rows(sample_dir)
        if not row["idBeneficiaire"].strip() and row["nomBeneficiaire"].strip()
    }
    assert persons, "the sample must hold grants to natural persons"
    with snapshot(serving) as conn:
        tables = [r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()]
        for table in tables:
            columns = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_name = $t and data_type = 'VARCHAR'",
                {"t": table},
            ).fetchall()]
            for column in columns:
                values = {r[0] for r in conn.execute(f'select distinct "{column}" from "{table}"').fetchall()}
                assert not (values & persons), (table, column)


# to the cent: DuckDB's parallel sums may differ in the last bits of a double
TOTALS_BY_YEAR = """
    select year, round(sum(committed_eur), 2), round(sum(disbursed_eur), 2), count(*)
    from funding group by year order by year
"""
# choices made among equals (main place, main sector) must not depend on row order
MAIN_CHOICES = """
    select iati_identifier, indicator_index, period_start, location_code, sector_code, category_code
    from outcomes order by all
"""


def test_materialisation_is_idempotent(built, sample_dir, tmp_path):
    """Running again on the same files gives the same tables (no double loading)."""
    from pipelines.run import materialize_all

    _, warehouse, serving = built
    with snapshot(serving) as conn:
        before = conn.execute(TOTALS_BY_YEAR).fetchall()
        choices = conn.execute(MAIN_CHOICES).fetchall()
        version = conn.execute("select distinct snapshot_version from manifest").fetchall()
    again = tmp_path / "serving.duckdb"
    outcome = materialize_all(sample_dir, warehouse, again)
    assert outcome.success
    with snapshot(again) as conn:
        after = conn.execute(TOTALS_BY_YEAR).fetchall()
        assert conn.execute(MAIN_CHOICES).fetchall() == choices
        assert conn.execute("select distinct snapshot_version from manifest").fetchall() == version
    assert after == before
