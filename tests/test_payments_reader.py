"""The payments reader (the accounting's payment orders, issue 16) and its Table Schema.

Every file is written by the test itself; expected figures come from the raw text read
here with the stdlib csv module and Decimal, never from the reader under test. The
`frictionless` package validates the schema, to prove it is a real Table Schema.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from dagster_duckdb import DuckDBResource
from frictionless import Schema

from pipelines.sources.contracts import PAYMENT_TABLES
from pipelines.sources.local.payments import read_payments
from pipelines.sources.local.table_schema import load_schema
from pipelines.validate import reader_for, validate_file

from luhn import with_key, wrong_key  # the tests' own Luhn arithmetic

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
HEADER = ["numero_mandat", "date_paiement", "montant", "reference_decision", "siret_beneficiaire",
          "reference_subvention"]


# --- independent helpers: tests/luhn.py -----------------------------------------

SIRET = with_key("7846716950008")
SIREN = with_key("38047555")
BAD_SIRET = wrong_key("4421853830001")
BAD_SIREN = wrong_key("50123456")


def write(tmp_path: Path, name: str, rows: list[list[str]], delimiter: str = ";", encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([HEADER, *rows])
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def data_rows(path: Path, delimiter: str, encoding: str) -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def readable_amount(cell: str) -> Decimal | None:
    """The euros of a `montant` cell as the accounting writes them (digits, one decimal comma or
    point, at most 10 places: the warehouse's DECIMAL(38, 10)); None when it is not such money."""
    cell = cell.strip()
    if not re.fullmatch(r"[+-]?\d+([.,]\d{1,10})?", cell):
        return None
    try:
        return Decimal(cell.replace(",", "."))
    except InvalidOperation:
        return None


def errors_by_line(result) -> dict[int, list[tuple[str, str]]]:
    """line -> [(column as the file names it, reason code)] of the error problems."""
    out: dict[int, list[tuple[str, str]]] = {}
    for p in result.problems:
        if p.severity == "error":
            out.setdefault(int(p.source_row), []).append((p.field, p.reason.split(":", 1)[0]))
    return out


def warnings_by_line(result) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for p in result.problems:
        if p.severity == "warning":
            out.setdefault(int(p.source_row), []).append((p.field, p.reason.split(":", 1)[0]))
    return out


# One file's rows, with what each must give. Line numbers are the physical lines (header = 1).
ROWS = [
    ["2024-000001", "2024-01-15", "12500,00", "CP-2024-03-117", SIRET, ""],                 # 2 ok
    ["2024-000002", "2024-02-01", "3333,3333333333", "", "", "subventions_2024.csv:57"],   # 3 ok, 10 places
    ["2024-000003", "2024-02-10", "-1500,50", "CP-2024-03-117", "", ""],                   # 4 reversal: kept
    ["2024-000004", "2024-03-01", "800,00", "", SIREN, ""],                                # 5 ok (a SIREN)
    ["2024-000005", "2024-03-02", "250,00", "", BAD_SIRET, ""],                            # 6 SIRET key wrong
    ["2024-000006", "2024-03-03", "400,00", "", "", ""],                                   # 7 no identifier
    ["2024-000001", "2024-03-04", "90,00", "CP-2024-01-002", "", ""],                      # 8 repeats line 2
    ["2024-000008", "2024-02-30", "75,25", "CP-2024-01-002", "", ""],                      # 9 bad date
    ["2024-000009", "2024-03-05", "10,12345678901", "CP-2024-01-002", "", ""],             # 10 11 places
    ["2024-000010", "2024-03-06", "60,00", "", BAD_SIREN, ""],                             # 11 SIREN key wrong
    ["2024-000011", "2024-03-07", "1 000,00", "CP-2024-01-002", "", ""],                   # 12 not a number
    # 13: a decimal point, a SIRET written in groups
    ["2024-000012", "2024-03-08", "99.99", "", f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}", ""],
    ["2024-000013", "2024-03-09", "10,00", "", "", "subventions_2024.csv"],                # 14 reference pattern
    ["", "2024-03-10", "20,00", "CP-2024-01-002", "", ""],                                 # 15 no order number
]
EXPECTED_ERRORS = {
    6: [("siret_beneficiaire", "siret_checksum")],
    7: [("reference_decision", "no_grant_identifier")],
    8: [("numero_mandat", "primary_key")],
    9: [("date_paiement", "type")],
    10: [("montant", "decimal_places")],
    11: [("siret_beneficiaire", "siren_checksum")],
    12: [("montant", "type")],
    14: [("reference_subvention", "pattern")],
    15: [("numero_mandat", "required")],
}


def assert_conserved(result, path: Path, delimiter: str, encoding: str) -> None:
    """Rows read = accepted + rejected; accepted euros are the file's exactly; every
    readable amount is either accepted or set aside."""
    raw = data_rows(path, delimiter, encoding)
    payments, set_aside = result.tables["payments"], result.tables["payments_set_aside"]
    assert result.rows_read == len(raw) == payments.height + result.rows_rejected
    by_line = {line: row for line, row in enumerate(raw, start=2)}  # no quoted newlines in these files
    for line, amount in zip(payments["source_row"], payments["amount_eur"], strict=True):
        assert amount == readable_amount(by_line[line]["montant"]), line
    readable = [a for row in raw if (a := readable_amount(row["montant"])) is not None]
    assert sum(payments["amount_eur"].to_list(), Decimal(0)) + sum(set_aside["amount_eur"].to_list(), Decimal(0)) \
        == sum(readable, Decimal(0))


# --- the schema -------------------------------------------------------------------

def test_schema_is_a_valid_table_schema():
    descriptor = json.loads((SCHEMAS / "payments.schema.json").read_text(encoding="utf-8"))
    schema = Schema.from_descriptor(descriptor)  # raises on an invalid Table Schema
    assert Schema.validate_descriptor(descriptor).valid
    assert [f.name for f in schema.fields] == HEADER
    for f in descriptor["fields"]:
        assert f["title"] and f["description"], f["name"]
    assert descriptor["primaryKey"] == ["numero_mandat"]
    fields = {f["name"]: f for f in load_schema("payments")["fields"]}
    assert fields["montant"]["decimalChar"] == ","
    assert fields["siret_beneficiaire"]["constraints"]["pattern"] == r"^(\d{9}|\d{14})$"


def test_number_fields_read_as_exact_decimals():
    """A Table Schema number is decimal: `cast_value` gives Decimal, never a float."""
    from pipelines.sources.local.table_schema import cast_value

    montant = {"type": "number", "decimalChar": ","}
    assert cast_value(montant, "0,1") == (Decimal("0.1"), None)
    assert cast_value(montant, "0.1") == (Decimal("0.1"), None)  # a point reads too
    assert cast_value({"type": "number"}, "2,5") == (Decimal("2.5"), "decimal_comma")
    value, _ = cast_value(montant, "1234567890123456,0123456789")
    assert isinstance(value, Decimal) and value == Decimal("1234567890123456.0123456789")


# --- the reader -------------------------------------------------------------------

@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8"), (",", "cp1252"), (";", "cp1252"), (",", "utf-8")])
def test_each_row_accepted_or_rejected_and_euros_conserved(tmp_path, delimiter, encoding):
    # an accented decision reference, so the encoding matters
    rows = [*ROWS, ["2024-000014", "2024-03-11", "5,00", "Délib-Été-2024", "", ""]]  # 16 ok
    path = write(tmp_path, "mandats_2024.csv", rows, delimiter, encoding)
    result = read_payments(path)
    assert_conserved(result, path, delimiter, encoding)

    errors = errors_by_line(result)
    assert errors == EXPECTED_ERRORS
    assert sorted(result.tables["payments"]["source_row"]) == [2, 3, 4, 5, 13, 16]
    # every problem names the file, its line and the file's column
    for p in result.problems:
        assert p.source_file == "mandats_2024.csv" and int(p.source_row) >= 2 and p.field in HEADER
    raw = data_rows(path, delimiter, encoding)
    accented = result.tables["payments"].filter(pl.col("source_row") == 16)["reference_decision"]
    assert accented.to_list() == [raw[14]["reference_decision"]] == ["Délib-Été-2024"]


def test_accepted_rows_hold_the_contract_columns(tmp_path):
    path = write(tmp_path, "mandats.csv", ROWS)
    result = read_payments(path)
    payments = result.tables["payments"]
    assert payments.schema == pl.Schema(PAYMENT_TABLES["payments"])
    assert result.tables["payments_set_aside"].schema == pl.Schema(PAYMENT_TABLES["payments_set_aside"])
    raw = {line: row for line, row in enumerate(data_rows(path, ";", "utf-8"), start=2)}
    for rec in payments.iter_rows(named=True):
        cells = raw[rec["source_row"]]
        assert rec["source_file"] == "mandats.csv"
        assert rec["payment_order"] == cells["numero_mandat"]
        assert rec["payment_date"] == date.fromisoformat(cells["date_paiement"])
        assert rec["year"] == int(cells["date_paiement"][:4])
        assert rec["reference_decision"] == (cells["reference_decision"] or None)
        assert rec["grant_reference"] == (cells["reference_subvention"] or None)
        digits = cells["siret_beneficiaire"].replace(" ", "") or None
        assert rec["beneficiary_id"] == digits
        assert rec["beneficiary_siren"] == (digits[:9] if digits else None)
    # line 13's SIRET was written with spaces: read as its 14 digits, and said so
    assert ("siret_beneficiaire", "siret_cleaned") in warnings_by_line(result)[13]


def test_negative_amount_is_a_reversal_kept_with_a_warning(tmp_path):
    path = write(tmp_path, "mandats.csv", ROWS[:3])
    result = read_payments(path)
    negative = [(line, row) for line, row in enumerate(data_rows(path, ";", "utf-8"), start=2)
                if readable_amount(row["montant"]) < 0]
    assert [line for line, _ in negative] == [4]
    kept = result.tables["payments"].filter(pl.col("source_row") == 4)
    assert kept["amount_eur"].to_list() == [readable_amount(negative[0][1]["montant"])]
    reversal = [p for p in result.problems if p.source_row == "4"]
    assert [(p.field, p.severity, p.reason) for p in reversal] == [
        ("montant", "warning", "reversal: negative payment (a reversal)")]


def test_set_aside_holds_each_rejected_rows_readable_euros_with_its_first_reason(tmp_path):
    path = write(tmp_path, "mandats.csv", ROWS)
    result = read_payments(path)
    raw = {line: row for line, row in enumerate(data_rows(path, ";", "utf-8"), start=2)}
    expected = {}
    for line, problems in EXPECTED_ERRORS.items():
        amount = readable_amount(raw[line]["montant"])
        if amount is None:
            continue  # no euros to set aside (not a number, or more places than the warehouse holds)
        try:
            year = date.fromisoformat(raw[line]["date_paiement"]).year
        except ValueError:
            year = None
        expected[line] = (year, amount, problems[0][1])
    set_aside = result.tables["payments_set_aside"]
    got = {r["source_row"]: (r["year"], r["amount_eur"], r["reason"]) for r in set_aside.iter_rows(named=True)}
    assert got == expected
    assert set(got) == {6, 7, 8, 9, 11, 14, 15}  # 10 (11 places) and 12 ("1 000,00") hold no storable euros
    assert set(set_aside["source_file"]) == {"mandats.csv"}


def test_repeated_order_number_rejects_the_later_row_only(tmp_path):
    path = write(tmp_path, "mandats.csv", [ROWS[0], ROWS[6], ROWS[6]])
    result = read_payments(path)
    assert errors_by_line(result) == {3: [("numero_mandat", "primary_key")], 4: [("numero_mandat", "primary_key")]}
    message = next(p.message() for p in result.problems if p.source_row == "3")
    assert message.startswith("mandats.csv:3:numero_mandat: primary_key: duplicate of row at line 2")


def test_headers_as_the_file_writes_them_name_the_problems(tmp_path):
    # the accounting's export may capitalise its header: problems use the file's own label
    path = tmp_path / "export.csv"
    labels = [h.upper() for h in HEADER]
    path.write_text(";".join(labels) + "\n" + ";".join(ROWS[5]) + "\n", encoding="utf-8")
    result = read_payments(path)
    assert [p.message() for p in result.problems if p.severity == "error"] == [
        "export.csv:2:REFERENCE_DECISION: no_grant_identifier: a payment needs a decision reference, "
        "a SIRET/SIREN or a grant reference"]


def test_validate_picks_the_payments_reader_and_reports_the_same_counts(tmp_path):
    path = write(tmp_path, "mandats_2024.csv", ROWS, ",", "cp1252")
    kind, _ = reader_for(path)
    assert kind == "payments"
    report = validate_file(path)
    raw = data_rows(path, ",", "cp1252")
    rejected = len(EXPECTED_ERRORS)
    assert report.rejected == rejected
    assert report.summary == (f"{path}: payments, {len(raw)} rows read, {len(raw) - rejected} accepted, "
                              f"{rejected} rejected")
    assert "mandats_2024.csv:6:siret_beneficiaire: siret_checksum: 14 digits but the Luhn key is wrong (typo?) " \
           f"(value: '{BAD_SIRET}')" in "\n".join(report.lines).splitlines()  # validate gives a batch's lines as one


# --- the asset ----------------------------------------------------------------------

def test_the_asset_is_in_the_definitions():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    key = dg.AssetKey(["raw", "payments"])
    assert repo.asset_graph.has(key)
    assert key in {k.asset_key for k in repo.asset_graph.asset_check_keys}


@pytest.mark.parametrize("with_file", [False, True], ids=["no file", "one file"])
def test_the_asset_creates_both_raw_tables_and_balances(tmp_path, with_file):
    from pipelines.defs.raw.assets import raw_asset
    from pipelines.resources import RawFiles

    raw_dir = tmp_path / "raw"
    (raw_dir / "payments").mkdir(parents=True)
    if with_file:
        write(raw_dir / "payments", "mandats_2024.csv", ROWS)
    database = tmp_path / "w.duckdb"
    result = dg.materialize(
        [raw_asset("payments")],
        resources={"raw_files": RawFiles(raw_dir=str(raw_dir)), "warehouse": DuckDBResource(database=str(database))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    with duckdb.connect(str(database), read_only=True) as conn:
        payments = conn.sql("select * from raw.payments").pl()
        set_aside = conn.sql("select * from raw.payments_set_aside").pl()
        loads = conn.sql("select source_file, rows_read, rows_accepted, rows_rejected "
                         "from quality.file_loads where source = 'payments'").fetchall()
    assert payments.columns == list(PAYMENT_TABLES["payments"])
    assert set_aside.columns == list(PAYMENT_TABLES["payments_set_aside"])
    if not with_file:
        assert payments.height == set_aside.height == 0 and loads == []
        return
    raw = data_rows(raw_dir / "payments" / "mandats_2024.csv", ";", "utf-8")
    assert loads == [("mandats_2024.csv", len(raw), len(raw) - len(EXPECTED_ERRORS), len(EXPECTED_ERRORS))]
    readable = sum((a for row in raw if (a := readable_amount(row["montant"])) is not None), Decimal(0))
    assert sum(payments["amount_eur"].to_list(), Decimal(0)) + sum(set_aside["amount_eur"].to_list(), Decimal(0)) \
        == readable
