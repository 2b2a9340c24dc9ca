"""SCDL `subventions` 2.1.1 export (`pipelines.export.scdl`).

Every expected figure is computed here another way: from the raw CSV files with the stdlib
csv module and Decimal, from the warehouse with SQL, or written by hand beside hand-made
rows. Validation is frictionless against the official schema where it lies in the shared
reference folder (not the project's copy, which must be byte-identical to it).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from frictionless import Resource, Schema

from pipelines.export.scdl import SCHEMA_PATH, decimal_text, export_scdl, validate_scdl
from pipelines.run import materialize_all
from pipelines.sources.person_names import reads_as_person
from pipelines.sources.scdl import read_grants
from raw_files import csv_records

SCDL_REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "scdl"
OFFICIAL_SCHEMA = SCDL_REF / "schema" / "schema_v2.1.1.json"
EXAMPLE = SCDL_REF / "examples_v2.1.1" / "exemple_valide.csv"
CENT = Decimal("0.01")


# --- independent readings ---------------------------------------------------------------

def schema_fields() -> list[dict]:
    return json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))["fields"]


def required_fields() -> list[str]:
    return [f["name"] for f in schema_fields() if f.get("constraints", {}).get("required")]


def frictionless_errors(path: Path) -> list[tuple[int | None, str | None, str]]:
    """(row number, field, error type) of every error frictionless finds with the official schema."""
    schema = Schema.from_descriptor(json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8")))
    report = Resource(path.name, basepath=str(path.parent), schema=schema).validate()
    return [(e.row_number if hasattr(e, "row_number") else None, getattr(e, "field_name", None), e.type)
            for task in report.tasks for e in task.errors] + [(None, None, e.type) for e in report.errors]


def csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(physical line, row) of a one-line-per-row CSV; encoding and separator decided from the bytes."""
    return [(i + 2, row) for i, row in enumerate(csv_records(path))]


def amount(cell: str) -> Decimal | None:
    try:
        return Decimal(cell.strip().replace(",", "."))
    except ArithmeticError:
        return None


def year_of(cell: str) -> int:
    return int(re.search(r"\d{4}", cell).group())


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def exported(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the sample -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_exports(built, tmp_path_factory):
    outcome, warehouse, _serving = built
    assert outcome.success, outcome.report_lines()
    out = tmp_path_factory.mktemp("scdl_export")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        years = [y for (y,) in conn.sql("select distinct year from staging.grants order by 1").fetchall()]
    return {y: export_scdl(warehouse, y, out / f"subventions_{y}.csv") for y in years}


@pytest.fixture(scope="module")
def sample_raw(sample_dir):
    """Every raw sample grant line with a readable amount: (file:line, row, Decimal amount)."""
    rows = []
    for path in sorted((sample_dir / "grants").glob("*.csv")):
        for line, row in csv_rows(path):
            value = amount(row["montant"])
            if value is not None:
                rows.append((f"{path.name}:{line}", row, value))
    return rows


def test_shipped_schema_is_the_official_one():
    assert SCHEMA_PATH.read_bytes() == OFFICIAL_SCHEMA.read_bytes()


def test_sample_export_is_valid_scdl_2_1_1(sample_exports, sample_dir, sample_raw):
    files = sorted(p.name for p in (sample_dir / "grants").glob("*.csv"))
    assert sorted(f"subventions_{y}.csv" for y in sample_exports) == files  # every year of the sample
    names = [f["name"] for f in schema_fields()]
    # what the sample lacks: required cells it publishes empty (its 2024 grant without payment terms)
    expected_missing = sorted((key, name) for key, row, _ in sample_raw for name in required_fields()
                              if not row[name].strip())
    missing = sorted(m for report in sample_exports.values() for m in report.missing)
    assert missing == expected_missing
    reference = {key: row["referenceDecision"] for key, row, _ in sample_raw}
    for year, report in sample_exports.items():
        with report.path.open(encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == names  # the 16 fields, in the schema's order
        rows = exported(report.path)
        keys = [(r["dateConvention"], r["referenceDecision"]) for r in rows]
        assert keys == sorted(keys)
        # frictionless finds exactly the empty required cells, nothing else
        line_of = {r["referenceDecision"]: i + 2 for i, r in enumerate(rows)}
        assert len(line_of) == len(rows)  # decision references are unique in the sample
        want = sorted((line_of[reference[key]], name, "constraint-error")
                      for key, name in expected_missing if key.startswith(f"subventions_{year}.csv:"))
        assert sorted(frictionless_errors(report.path)) == want, year
        assert report.validation["ran"] and report.validation["errors"] == len(want)
        assert report.validation["valid"] is (not want)


def test_sample_export_reads_back_with_the_same_rows_and_money(sample_exports, built, sample_raw):
    _outcome, warehouse, _serving = built
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        for year, report in sample_exports.items():
            count, total = conn.execute(
                "select count(*), sum(amount_eur) from staging.grants where year = ?", [year]).fetchone()
            raw = [v for key, row, v in sample_raw if year_of(row["dateConvention"]) == year]
            back = read_grants(report.path)
            grants = back.tables["grants"]
            assert back.rows_rejected == 0 and back.tables["grants_set_aside"].height == 0
            assert grants.height == report.rows == count == len(raw)
            back_total = sum((Decimal(v) for v in grants["montant_eur"]), Decimal(0))
            assert back_total == report.total == sum(raw)
            assert back_total.quantize(CENT) == Decimal(total).quantize(CENT)
            # row by row: the exported grants are the warehouse's, natural persons made anonymous
            want = conn.execute("""
                select r.reference_decision, r.date_convention, r.montant_eur, r.nature,
                       r.conditions_versement, r.versement_debut, r.versement_fin, r.notification_ue,
                       r.pourcentage_subvention, r.dispositif_aide, r.attribuant_id,
                       case when s.is_natural_person then null else r.beneficiaire_id end,
                       case when s.is_natural_person then 'Personne physique' else r.beneficiaire_nom end
                from staging.grants s join raw.grants r using (source_file, source_row)
                where s.year = ?""", [year]).fetchall()
            got = grants.select("reference_decision", "date_convention", "montant_eur", "nature",
                                "conditions_versement", "versement_debut", "versement_fin", "notification_ue",
                                "pourcentage_subvention", "dispositif_aide", "attribuant_id",
                                "beneficiaire_id", "beneficiaire_nom").rows()
            assert Counter(got) == Counter(want), year


def test_sample_export_names_no_natural_person(sample_exports, sample_raw):
    persons = [(key, row, v) for key, row, v in sample_raw
               if not row["idBeneficiaire"].strip() and reads_as_person(row["nomBeneficiaire"])]
    names = {row["nomBeneficiaire"].strip().casefold() for _, row, _ in persons}
    assert len(names) > 20  # the sample's youth grants
    # a person's name may be part of an organisation's ("Lycée Louise Michel"): only there
    organisations = {row["nomBeneficiaire"].strip() for _, row, _ in sample_raw if row["idBeneficiaire"].strip()}
    for year, report in sample_exports.items():
        rows = exported(report.path)
        cells = {c for r in rows for c in r.values()}
        named = {c for c in cells for n in names if n in c.casefold()}
        assert named <= organisations, (year, named - organisations)
        anonymous = [r for r in rows if r["nomBeneficiaire"] == "Personne physique"]
        mine = [v for _, row, v in persons if year_of(row["dateConvention"]) == year]
        # the same grants, their money kept
        assert len(anonymous) == report.natural_persons == len(mine)
        assert sum(Decimal(r["montant"]) for r in anonymous) == sum(mine)
        assert all(r["idBeneficiaire"] == r["rnaBeneficiaire"] == "" and r["objet"] ==
                   "Subvention à une personne physique" and r["referenceDecision"] for r in anonymous)


def test_sample_grants_without_identifier_are_listed(sample_exports, sample_raw):
    """The schema's `one-of-required` custom check (not run by frictionless), computed here."""
    expected = sorted(
        key for key, row, _ in sample_raw
        if not row["rnaBeneficiaire"].strip() and not reads_as_person(row["nomBeneficiaire"])
        and not (len(d := re.sub(r"\D", "", row["idBeneficiaire"])) == 14 and luhn(d))
    )
    assert sorted(k for r in sample_exports.values() for k in r.no_identifier) == expected
    assert len(expected) == 1  # the sample's SIRET with a wrong key (2018), an organisation with no RNA


# --- real file round trip ---------------------------------------------------------------

def test_official_example_round_trip(tmp_path):
    raw = tmp_path / "raw"
    (raw / "grants").mkdir(parents=True)
    shutil.copy(EXAMPLE, raw / "grants" / EXAMPLE.name)
    outcome = materialize_all(raw, tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb")
    assert outcome.success, outcome.report_lines()

    original = csv_rows(EXAMPLE)
    by_year: dict[int, list[tuple[int, dict[str, str]]]] = {}
    for line, row in original:
        by_year.setdefault(year_of(row["dateConvention"]), []).append((line, row))

    def period_ok(cell: str) -> bool:  # the dates exist and the end is not before the start
        try:
            days = [date.fromisoformat(p) for p in cell.split("/")]
        except ValueError:
            return False
        return days[-1] >= days[0]

    seen = 0
    for year, rows in by_year.items():
        report = export_scdl(tmp_path / "warehouse.duckdb", year, tmp_path / "out" / f"scdl_{year}.csv")
        assert report.rows == len(rows)
        assert report.total == sum(Decimal(r["montant"]) for _, r in rows)
        out = exported(report.path)
        assert sum(Decimal(r["montant"]) for r in out) == report.total
        # The example (valid for the schema, whose period is a mere pattern) has four periods that
        # are no dates: end before start, or month 30. The reader does not keep them; the export
        # leaves them empty rather than invent one, lists them, and frictionless says so.
        unknown = sorted(f"{EXAMPLE.name}:{line}" for line, r in rows if not period_ok(r["datesPeriodeVersement"]))
        assert sorted(k for k, _ in report.missing) == unknown
        assert {f for _, f in report.missing} <= {"datesPeriodeVersement"}
        empty_rows = [i + 2 for i, r in enumerate(out) if not r["datesPeriodeVersement"]]
        expected_errors = sorted((n, "datesPeriodeVersement", "constraint-error") for n in empty_rows)
        assert sorted(frictionless_errors(report.path)) == expected_errors
        assert len(empty_rows) == len(unknown)
        assert report.validation["valid"] is (not unknown) and report.validation["errors"] == len(unknown)
        # every other cell as published (trimmed; numbers compared as decimals)
        want = Counter(_normalised(r, period_ok(r["datesPeriodeVersement"])) for _, r in rows)
        assert Counter(_normalised(r, True) for r in out) == want
        seen += len(rows)
    assert seen == len(original) == 29


REAL_LOT = SCDL_REF / "real" / "DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv"


def test_a_real_authoritys_file_round_trips_with_zero_errors(tmp_path):
    """The Département du Lot's 2017 publication (a real SCDL file: cp1252, ';', decimal commas,
    '_' in payment periods): read, exported, then valid for the official schema with 0 errors,
    with the same grants, beneficiaries and money as the file read here with csv + Decimal."""
    raw = tmp_path / "raw"
    (raw / "grants").mkdir(parents=True)
    shutil.copy(REAL_LOT, raw / "grants" / REAL_LOT.name)
    assert materialize_all(raw, tmp_path / "w.duckdb", tmp_path / "s.duckdb").success
    original = [r for _, r in csv_rows(REAL_LOT) if any((v or "").strip() for v in r.values())]  # no blank lines
    money = sum(Decimal(re.sub(r"[\s\u00a0]", "", r["montant"]).replace(",", ".")) for r in original)
    reports = [export_scdl(tmp_path / "w.duckdb", year, tmp_path / f"lot_{year}.csv")
               for year in sorted({year_of(r["dateConvention"]) for r in original})]
    for report in reports:
        assert report.validation["valid"] is True and report.validation["errors"] == 0
        assert frictionless_errors(report.path) == [] and report.missing == []
    assert sum(r.rows for r in reports) == len(original) == 13
    assert sum(r.total for r in reports) == money
    out = [row for r in reports for row in exported(r.path)]
    assert sorted((r["nomBeneficiaire"], r["idBeneficiaire"]) for r in out) == \
        sorted((" ".join(r["nomBeneficiaire"].split()), r["idBeneficiaire"].strip()) for r in original)
    assert sum(Decimal(v) for r in reports for v in read_grants(r.path).tables["grants"]["montant_eur"]) == money


def _normalised(row: dict[str, str], keep_period: bool) -> tuple:
    cells = {k: " ".join(v.split()) for k, v in row.items()}
    cells["montant"] = Decimal(cells["montant"])
    cells["pourcentageSubvention"] = Decimal(cells["pourcentageSubvention"])
    if not keep_period:
        cells["datesPeriodeVersement"] = ""
    return tuple(sorted(cells.items()))


# --- what the pipeline does not know, and persons, on hand-made rows ----------------------

HEADER = ("nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
          "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,"
          "notificationUE,pourcentageSubvention,dispositifAide")
# (line text, required fields the export must leave empty), written by hand
HAND_ROWS = [
    ("Région X,23350001600040,2024-03-01,D-1,Assoc A,38047555800058,W380475558,Projet A,1000.50,"
     "aide en numéraire,unique,2024-04-01,,non,1,Prog", []),
    ("Région X,23350001600040,2024,D-2,Assoc B,38047555800058,,Projet B,2500,aide en nature,"
     "échelonné,2024-04-01/2025-04-01,,oui,0.5,Prog", ["dateConvention"]),
    ("Région X,23350001600040,2024-05-02,D-3,Assoc C,,W123456789,Projet C,12345678.9,,,,,,,Prog",
     ["nature", "conditionsVersement", "datesPeriodeVersement", "notificationUE", "pourcentageSubvention"]),
    ("Région X,23350001600040,2024-06-03,D-4,Mme Jeanne Dupontel,,,Bourse de Jeanne Dupontel,800,"
     "aide en numéraire,unique,2024-07-01,,non,1,Jeunesse", []),
    ("Région X,123,2024-06-03,D-5,Assoc E,38047555800058,,Projet E,-150.25,aide en numéraire,unique,"
     "2024-07-01,,non,1,Prog", ["idAttribuant"]),
]


def test_unknown_required_values_are_left_empty_and_listed(tmp_path):
    raw = tmp_path / "raw"
    (raw / "grants").mkdir(parents=True)
    (raw / "grants" / "hand.csv").write_text("\n".join([HEADER] + [t for t, _ in HAND_ROWS]) + "\n", encoding="utf-8")
    outcome = materialize_all(raw, tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb")
    assert outcome.success, outcome.report_lines()
    report = export_scdl(tmp_path / "warehouse.duckdb", 2024, tmp_path / "scdl_2024.csv")

    expected = sorted((f"hand.csv:{i + 2}", f) for i, (_, fields) in enumerate(HAND_ROWS) for f in fields)
    assert sorted(report.missing) == expected
    assert report.rows == 5 and report.total == Decimal("1000.50") + 2500 + Decimal("12345678.9") + 800 - Decimal("150.25")
    out = {r["referenceDecision"]: r for r in exported(report.path)}
    for i, (_, fields) in enumerate(HAND_ROWS):
        assert all(out[f"D-{i + 1}"][f] == "" for f in fields)
    # nothing invented: the year-only grant keeps its money and decision, and sorts last (no date)
    assert [r["referenceDecision"] for r in exported(report.path)][-1] == "D-2"
    assert out["D-2"]["montant"] == "2500" and out["D-2"]["notificationUE"] == "oui"
    assert out["D-3"]["montant"] == "12345678.9"  # no thousands separator, no exponent
    assert out["D-5"]["montant"] == "-150.25"
    # the person: neither name nor the objet that names her; amount, dates and programme kept
    assert out["D-4"]["nomBeneficiaire"] == "Personne physique" and "dupontel" not in report.path.read_text().casefold()
    assert (out["D-4"]["montant"], out["D-4"]["dispositifAide"], out["D-4"]["dateConvention"]) == ("800", "Jeunesse", "2024-06-03")
    assert report.natural_persons == 1
    assert report.no_identifier == []  # D-3 has an RNA
    # frictionless sees exactly the empty required cells (row numbers of the written file)
    line_of = {r: i + 2 for i, r in enumerate(r["referenceDecision"] for r in exported(report.path))}
    want = sorted((line_of[f"D-{i + 1}"], f, "constraint-error") for i, (_, fields) in enumerate(HAND_ROWS) for f in fields)
    assert sorted(frictionless_errors(report.path)) == want
    assert report.validation["errors"] == len(want) and report.validation["valid"] is False


def test_without_frictionless_validation_is_not_claimed(tmp_path, monkeypatch):
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "\n" + HAND_ROWS[0][0] + "\n", encoding="utf-8")
    assert validate_scdl(path, OFFICIAL_SCHEMA)["valid"] is True
    monkeypatch.setitem(sys.modules, "frictionless", None)  # `import frictionless` now raises ImportError
    result = validate_scdl(path, OFFICIAL_SCHEMA)
    assert result["ran"] is False and result["valid"] is None and result["errors"] is None
    assert "not run" in result["reason"]


def test_export_without_frictionless_still_writes_and_says_not_validated(built, tmp_path, monkeypatch):
    _outcome, warehouse, _serving = built
    monkeypatch.setitem(sys.modules, "frictionless", None)
    report = export_scdl(warehouse, 2015, tmp_path / "scdl_2015.csv")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        (count,) = conn.execute("select count(*) from staging.grants where year = 2015").fetchone()
    assert report.rows == len(exported(report.path)) == count > 0
    assert report.validation["ran"] is False and report.validation["valid"] is None
    assert "NOT validated" in report.summary_lines()[0]


def test_decimal_text_is_plain_and_exact():
    cases = {1e16: "10000000000000000", 12345678.9: "12345678.9", 0.05: "0.05", 1.0: "1",
             -13700.0: "-13700", 99786.57: "99786.57", 1e-7: "0.0000001", -0.0: "0"}
    assert {k: decimal_text(k) for k in cases} == cases
