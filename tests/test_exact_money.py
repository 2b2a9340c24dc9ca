"""Money is exact decimal from the readers to the downloads (docs/money-rules.md, "Exact money").

(a) No money column of the warehouse or the serving snapshot is a float: which columns hold
    money comes from the data dictionary's units and from the columns' names, not from a list.
(b) On real public files (tests/data/real/), totals computed here with Python's `decimal`
    from the files themselves — SCDL cells read as text, IATI with ElementTree, euro rates from
    the shipped ECB file read with gzip + csv, each conversion rounded as the doc says — equal
    the warehouse's EXACTLY (==, no tolerance, no rounding to the cent).
(c) A download's euro amounts are the snapshot's exact amounts rounded to the cent.
And at the readers' boundary: an SCDL amount or an IATI value is the decimal the file wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.run import materialize_all
from raw_files import copy_raw, iati_activities, local
from test_real_files import expected_grants, scdl_path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"
REFERENCE = ROOT / "data" / "reference"
STEP = Decimal("1e-10")  # the documented scale of every amount: DECIMAL(38, 10)
CENT = Decimal("0.01")
MONEY_TYPE = "DECIMAL(38,10)"
PER_PERSON_TYPE = "DECIMAL(38,20)"  # euros per inhabitant keep 20 places (docs/money-rules.md)
# units the data dictionary gives money columns (an amount in euros, per person, or in its own currency)
MONEY_UNITS = {"EUR", "EUR per person", "currency", "see currency"}
# SCDL files of the corpus of several shapes: a large CSV whose years come from payment
# periods, cp1252 CSVs, decimal commas, spreadsheets (floats in cells), a damaged extract
SCDL_FILES = [
    "DEP_Loire-Atlantique_2008-2018_subventions_associations.csv",
    "DEP_Maine-et-Loire_2017_conventions.csv",
    "DEP_Somme_2018-03-30_conventions_cp1252.csv",
    "DEP_Somme_2022_conventions_extract_damaged.csv",
    "DEP_Vendee_2018-01_conventions.xlsx",
    "DEP_Mayenne_2019_conventions.xlsx",
    "DEP_Deux-Sevres_2015-2017_conventions.xls",
    "EPCI_Toulouse-Metropole_2022_subventions.csv",
]
IATI_FILES = sorted((REAL / "iati").glob("*.xml"))
TYPE_1X = {"C": "2", "D": "3", "E": "4"}  # IATI 1.0x commitment, disbursement, expenditure


# --- (a) types ----------------------------------------------------------------------------

def _is_money_name(table: str, column: str, columns_of_table: set[str]) -> bool:
    """Money by its name: euros (`*_eur`, `*_eur_*`, `montant_eur`), a rate or a share (the
    documented DECIMALs of conversions and splits), or a `value` beside a `currency`."""
    return bool(re.search(r"(^|_)(eur|share)($|_)", column)) or column in ("pourcentage_subvention",) \
        or (column == "value" and "currency" in columns_of_table)


def _columns(conn) -> dict[tuple[str, str], dict[str, str]]:
    out: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for schema, table, column, kind in conn.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database()").fetchall():
        out[(schema, table)][column] = kind
    return out


def _snapshot_money(serving: Path) -> dict[tuple[str, str], str]:
    """(table, column) -> type, for every money column of the snapshot: what the data dictionary
    says is in euros or a currency, the KPI values and targets (euros among counts: one type),
    and every column whose name says money."""
    with duckdb.connect(str(serving), read_only=True) as conn:
        columns = _columns(conn)
        by_unit = {(t, c) for t, c, unit in conn.execute(
            "select table_name, column_name, unit from data_dictionary").fetchall() if unit in MONEY_UNITS}
        kpi_units = {u for (u,) in conn.execute("select distinct unit from kpis").fetchall()}
    assert "EUR" in kpi_units  # kpis.value holds euros (and counts): the whole column is money
    money = {}
    for (_, table), cols in columns.items():
        for column, kind in cols.items():
            if ((table, column) in by_unit or _is_money_name(table, column, set(cols))
                    or (table == "kpis" and column in ("value", "previous_value", "target"))
                    or (table == "targets" and column == "target")):
                money[(table, column)] = kind
    return money


def _warehouse_money(warehouse: Path, snapshot_money: set[tuple[str, str]]) -> dict[tuple[str, str, str], str]:
    """Every layer: money by name, and the columns of a mart or reference table the snapshot
    publishes and calls money."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        columns = _columns(conn)
    return {(schema, table, column): kind
            for (schema, table), cols in columns.items() for column, kind in cols.items()
            if _is_money_name(table, column, set(cols))
            or (schema in ("marts", "ref") and (table, column) in snapshot_money)}


def test_no_money_column_is_a_float_in_the_warehouse_or_the_snapshot(built):
    outcome, warehouse, serving = built
    assert outcome.success
    snapshot = _snapshot_money(serving)
    stored = _warehouse_money(warehouse, set(snapshot))
    # the rules find the money where it is: read, converted, allocated, summed, published
    for where in (("raw", "grants", "montant_eur"), ("raw", "transactions", "value"), ("ref", "ecb_rates", "eur_rate"),
                  ("staging", "transactions_eur", "value_eur"), ("staging", "allocations", "amount_eur"),
                  ("staging", "location_shares", "share"), ("marts", "kpis", "value")):
        assert where in stored, where
    assert ("ref", "targets", "target") in stored
    assert len(stored) >= 45 and len(snapshot) >= 30, (len(stored), len(snapshot))
    not_exact = {k: v for k, v in {**stored, **{("serving",) + k: v for k, v in snapshot.items()}}.items()
                 if v != (PER_PERSON_TYPE if k[-1].endswith("_per_capita") else MONEY_TYPE)}
    assert not_exact == {}


# --- (b) exact totals on real files ---------------------------------------------------------

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    raw = copy_raw(tmp_path_factory.mktemp("exact") / "raw", [scdl_path(n) for n in SCDL_FILES], IATI_FILES)
    warehouse, serving = raw.parent / "w.duckdb", raw.parent / "s.duckdb"
    assert materialize_all(raw_dir=raw, warehouse=warehouse, serving=serving).success
    conn = duckdb.connect(str(warehouse), read_only=True)
    yield conn, raw
    conn.close()


def _rates() -> tuple[dict[str, list[tuple[dt.date, Decimal]]], dict[str, Decimal]]:
    """The shipped ECB file and legal pegs, as published: currency -> [(day, Decimal)]."""
    ecb: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    with gzip.open(REFERENCE / "ecb_rates.csv.gz", "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ecb[row["currency"].upper()].append((dt.date.fromisoformat(row["date"]), Decimal(row["eur_rate"])))
    with open(REFERENCE / "pegged_currencies.csv", encoding="utf-8") as fh:
        pegs = {row["currency"].upper(): Decimal(row["eur_rate"]) for row in csv.DictReader(fh)}
    return {c: sorted(v) for c, v in ecb.items()}, pegs


def _rate(ecb, pegs, currency: str, day: dt.date) -> Decimal | None:
    """The day's rate, else the last within 7 days; the legal peg; 1 for the euro."""
    if currency == "EUR":
        return Decimal(1)
    for when, value in reversed(ecb.get(currency, [])):
        if when <= day:
            return value if (day - when).days <= 7 else None
    return pegs.get(currency)


def _euros(value: Decimal, rate: Decimal) -> Decimal:
    """value / rate rounded half away from zero to 10 places (docs/money-rules.md)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (value / rate).quantize(STEP, rounding=ROUND_HALF_UP)


def _iati_expected(files: list[Path]):
    """Per (file, year, currency) every transaction read, in its own currency; per (file, year)
    the euros counted — activities once (their first file by name), refused activities (two
    <value>) left out, commitments (no grant links these publishers) and disbursements or
    expenditures, each converted and rounded on its own."""
    ecb, pegs = _rates()
    read: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    counted: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    seen: set[str] = set()
    for path in sorted(files, key=lambda p: p.name):
        for ident, act, txs in iati_activities(path):
            if any(sum(1 for c in t if local(c.tag) == "value") > 1 for t in txs):
                continue  # refused whole: which amount is meant is unknown
            first = ident not in seen
            seen.add(ident)
            for tx in txs:
                value = next((c for c in tx if local(c.tag) == "value"), None)
                date_el = next((c for c in tx if local(c.tag) == "transaction-date"), None)
                if value is None or date_el is None or not (value.text or "").strip():
                    continue  # the reader refuses such an activity: its file is left out below
                date = (date_el.get("iso-date") or "")[:10]
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
                    continue
                amount = Decimal(value.text.strip())
                currency = (value.get("currency") or act.get("default-currency") or "EUR").strip().upper()
                read[(path.name, int(date[:4]), currency)] += amount
                kind_el = next((c for c in tx if local(c.tag) == "transaction-type"), None)
                code = None if kind_el is None else TYPE_1X.get(kind_el.get("code"), kind_el.get("code"))
                if not first or code not in ("2", "3", "4"):
                    continue
                day = dt.date.fromisoformat((value.get("value-date") or date)[:10])
                rate = _rate(ecb, pegs, currency, day)
                if rate is not None:
                    counted[(path.name, int(date[:4]))] += _euros(amount, rate)
    return dict(read), dict(counted)


def _refused_files(conn) -> set[str]:
    """Files with an activity the reader refused for an unreadable value: their other
    activities are read, but this independent reading does not redo the reader's checks."""
    return {f for (f,) in conn.execute(
        "select distinct source_file from quality.rejected_rows where source = 'iati' and severity = 'error' "
        "and reason not like '%which one is meant is unknown'").fetchall()}


def test_scdl_totals_equal_a_decimal_reading_of_the_files_exactly(real):
    conn, _ = real
    for name in SCDL_FILES:
        expected = expected_grants(name)
        assert expected, name
        counted = dict(conn.execute(
            "select year, sum(amount_eur) from staging.grants where source_file = $f group by year",
            {"f": name}).fetchall())
        reconciled = dict(conn.execute(
            "select year, sum(value_eur) from marts.money_reconciliation "
            "where source = 'grants' and outcome = 'counted' and source_file = $f group by year", {"f": name}).fetchall())
        assert counted == expected, name
        assert reconciled == expected, name
    # and the marts carry those euros whole: grants are committed money, by year
    grants = dict(conn.execute("select year, sum(amount_eur) from staging.grants group by year").fetchall())
    from_grants = dict(conn.execute(
        "select year, sum(committed_eur) from marts.funding_reconciliation where origin = 'grant' group by year").fetchall())
    assert from_grants == grants
    assert sum(grants.values()) == sum(sum(expected_grants(n).values()) for n in SCDL_FILES)


def test_iati_totals_and_euros_equal_a_decimal_reading_of_the_files_exactly(real):
    conn, raw = real
    refused = _refused_files(conn)
    files = [p for p in (raw / "iati").iterdir() if local(ET.parse(p).getroot().tag) in ("iati-activities",
                                                                                          "iati-activity")]
    read, counted = _iati_expected(files)
    got_read = {(f, y, c): v for f, y, c, v in conn.execute(
        "select source_file, year, currency, sum(value) from marts.money_reconciliation "
        "where source = 'iati' and outcome = 'read' group by all").fetchall()}
    clean_read = {k: v for k, v in read.items() if k[0] not in refused}
    assert clean_read and {k: got_read.get(k) for k in clean_read} == clean_read
    got_counted = {(f, y): v for f, y, v in conn.execute(
        "select source_file, year, sum(value_eur) from marts.money_reconciliation "
        "where source = 'iati' and outcome = 'counted' group by all").fetchall()}
    clean_counted = {k: v for k, v in counted.items() if k[0] not in refused}
    assert len(clean_counted) >= 10
    assert {k: got_counted.get(k, Decimal(0)) for k in clean_counted} == clean_counted
    # the rates used are the published decimals, not their doubles
    ecb, pegs = _rates()
    used = conn.execute("select distinct currency, value_date, eur_rate from staging.transactions_eur "
                        "where not rate_missing and currency <> 'EUR'").fetchall()
    assert used and all(rate == _rate(ecb, pegs, c, day) for c, day, rate in used)
    # and the marts hold, per year, the counted euros exactly: IATI's and the grants'
    flows = dict(conn.execute("select year, sum(value_eur) from marts.money_reconciliation "
                              "where outcome = 'counted' group by year").fetchall())
    funding = dict(conn.execute(
        "select year, sum(committed_eur) + sum(disbursed_eur) from marts.funding group by year").fetchall())
    assert funding == flows


def test_money_is_conserved_exactly_through_the_splits(real):
    """Each flow's parts over places and sectors sum to its amount exactly, and the funding
    marts hold money_flows' money to the last decimal place."""
    conn, _ = real
    broken = conn.execute("""
        select f.flow_id, f.amount_eur, sum(a.amount_eur)
        from staging.money_flows as f inner join staging.allocations as a using (flow_id)
        group by all having f.amount_eur <> sum(a.amount_eur)""").fetchall()
    assert broken == []
    split = conn.execute("select count(distinct flow_id) from staging.allocations "
                         "group by flow_id having count(*) > 1").fetchall()
    assert len(split) > 10  # flows really are split over several places or sectors here
    by_country = dict(conn.execute("select year, sum(committed_eur) from marts.funding_by_country group by year").fetchall())
    committed = dict(conn.execute("select year, sum(amount_eur) from staging.money_flows "
                                  "where flow_kind = 'committed' group by year").fetchall())
    assert by_country == committed


# --- (c) downloads ------------------------------------------------------------------------

def _download(serving: Path, dataset: str, query: str) -> list[dict[str, str]]:
    from dashboard.app import create_app

    response = create_app(serving).server.test_client().get(f"/download/{dataset}.csv{query}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def _cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)  # display rounding (dashboard/downloads.py)


def _cells(rows: list[dict[str, str]], column: str) -> list[Decimal]:
    assert rows and column in rows[0], column
    for row in rows:
        assert re.fullmatch(r"-?\d+\.\d{2}", row[column]), row[column]  # to the cent, never a float's tail
    return [Decimal(row[column]) for row in rows]


def test_a_download_carries_the_snapshots_exact_amounts_to_the_cent(built):
    _, _, serving = built
    with duckdb.connect(str(serving), read_only=True) as conn:
        year = conn.execute("select max(year) from grants_public").fetchone()[0]
        by_year = {str(y): (c, d) for y, c, d in conn.execute(
            "select year, sum(committed_eur), sum(disbursed_eur) from funding group by year").fetchall()}
        by_place = {k: (c, d) for k, c, d in conn.execute(
            "select country_code, sum(committed_eur), sum(disbursed_eur) from funding_by_country "
            "where year = $y group by all", {"y": year}).fetchall()}
        grants = sorted(_cent(a) for (a,) in conn.execute(
            "select amount_eur from grants_public where year = $y", {"y": year}).fetchall())
    assert all(isinstance(v, Decimal) for pair in by_year.values() for v in pair)

    rows = _download(serving, "funding_by_year", "")
    assert {r["year"] for r in rows} == set(by_year)
    assert _cells(rows, "committed_eur") == [_cent(by_year[r["year"]][0]) for r in rows]
    assert _cells(rows, "disbursed_eur") == [_cent(by_year[r["year"]][1]) for r in rows]

    rows = _download(serving, "funding_by_country", f"?years={year}")
    assert {r["country_code"] for r in rows} <= set(by_place)
    assert {k for k, (c, d) in by_place.items() if c or d} <= {r["country_code"] for r in rows}
    assert _cells(rows, "committed_eur") == [_cent(by_place[r["country_code"]][0]) for r in rows]
    assert _cells(rows, "disbursed_eur") == [_cent(by_place[r["country_code"]][1]) for r in rows]

    rows = _download(serving, "grants", f"?years={year}")
    assert len(rows) == len(grants) > 100
    assert sorted(_cells(rows, "amount_eur")) == grants


# --- the readers' boundary ------------------------------------------------------------------

SCDL_HEADER = ("nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
               "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,"
               "notificationUE,pourcentageSubvention,dispositifAide")


def _scdl_line(reference: str, amount: str) -> str:
    return (f'Région X,23350001600040,2024-03-01,{reference},Assoc A,38047555800058,W380475558,Projet,"{amount}",'
            "aide en numéraire,unique,2024-04-01,,non,1,")


def test_scdl_amounts_are_kept_as_written_and_noise_beyond_10_places_is_said(tmp_path):
    from pipelines.sources.scdl import read_grants

    written = {"D-1": "12345678901234567.89", "D-2": "0.1", "D-3": "1234,5678", "D-4": "0.30000000000000004",
               "D-5": "1e400"}
    path = tmp_path / "subventions.csv"
    path.write_text("\n".join([SCDL_HEADER, *(_scdl_line(r, a) for r, a in written.items())]) + "\n",
                    encoding="utf-8")
    result = read_grants(path)
    got = dict(result.tables["grants"].select("reference_decision", "montant_eur").rows())
    # 17 significant digits (beyond a double's 15-17) come back exactly, a decimal comma too
    assert got == {"D-1": Decimal("12345678901234567.89"), "D-2": Decimal("0.1"), "D-3": Decimal("1234.5678"),
                   "D-4": Decimal("0.3000000000")}
    reasons = {(p.source_row, p.field): p.reason for p in result.problems}
    assert "montant_rounded" in reasons[("5", "montant")]  # the float noise, rounded with a warning
    assert "too large" in reasons[("6", "montant")]  # 10^400 €: rejected, never counted


def test_iati_values_reach_the_warehouse_as_the_file_wrote_them(tmp_path):
    from pipelines.sources.iati import read_activities

    values = ["4221459.27", "0.1", "123456789012.34", "-0.3", "885.6000"]
    txs = "".join(f'<transaction><transaction-type code="3"/><transaction-date iso-date="2023-03-0{i + 1}"/>'
                  f'<value currency="EUR">{v}</value></transaction>' for i, v in enumerate(values))
    path = tmp_path / "a.xml"
    path.write_text('<?xml version="1.0"?>\n<iati-activities version="2.03"><iati-activity>'
                    f"<iati-identifier>XM-1</iati-identifier>{txs}</iati-activity></iati-activities>\n",
                    encoding="utf-8")
    frame = read_activities(path).tables["transactions"]
    assert frame.schema["value"] == pl.Decimal(38, 10)
    assert frame["value"].to_list() == [Decimal(v) for v in values]
