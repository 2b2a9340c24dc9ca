"""SCDL grants reader on hostile files written here: encodings, separators, decimal commas, row-level
errors and their line numbers, spreadsheet quirks, and the SIRET rules.
"""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.scdl import GRANT_COLUMNS, read_grants
from pipelines.sources.siret import clean_siret, is_valid_siret
from scdl_files import (
    GOOD,
    HEADER_V211,
    accepted_total,
    check_invariants,
    check_sirets,
    luhn,
    money,
    problems_at,
    raw_records,
    write,
)


# --- hostile files written here -------------------------------------------------------

def test_cp1252_semicolon_decimal_comma_nbsp_and_dmy(tmp_path):
    text = (
        "nomAttribuant;idAttribuant;dateConvention;nomBeneficiaire;idBeneficiaire;objet;montant;nature;"
        "conditionsVersement;datesPeriodeVersement;notificationUE;pourcentageSubvention\r\n"
        "Région Île;23350001600040;05/03/2024;Élan Solidaire;;Puits au Sénégal;1\u00a0234,50;aide en numéraire;"
        "échelonné;01/04/2024;non;45\r\n"
    )
    result = read_grants(write(tmp_path, text, "cp1252"))
    check_invariants(result)
    row = result.tables["grants"].row(0, named=True)
    assert row["beneficiaire_nom"] == "Élan Solidaire" and row["attribuant_nom"] == "Région Île"
    assert row["montant_eur"] == 1234.5 and row["date_convention"] == date(2024, 3, 5) and row["year"] == 2024
    assert row["pourcentage_subvention"] == Decimal("0.45") and row["versement_debut"] == date(2024, 4, 1)
    assert set(row["flags"].split(";")) == {"date_dmy", "montant_format", "percent_0_100", "versement_nonstandard"}
    assert problems_at(result, 2, "dateConvention") == ["warning:date_dmy: DD/MM/YYYY date, expected YYYY-MM-DD"]


def test_bom_narrow_space_thousands_and_interval(tmp_path):
    row = GOOD.replace("1000.50", '"12\u202f500,75 €"').replace("2024-04-01", "2024-04-01/2025-03-31")
    result = read_grants(write(tmp_path, "\ufeff" + HEADER_V211 + "\n" + row + "\n"))
    check_invariants(result)
    g = result.tables["grants"].row(0, named=True)
    assert g["attribuant_nom"] == "Région X"  # BOM did not stick to the first header
    assert g["montant_eur"] == 12500.75 and g["flags"] == "montant_format"
    assert (g["versement_debut"], g["versement_fin"]) == (date(2024, 4, 1), date(2025, 3, 31))


def test_row_level_errors_and_line_numbers(tmp_path):
    rows = [
        GOOD,                                                       # 2 ok
        GOOD.replace("38047555800058", "38047555800059"),           # 3 bad Luhn: kept, id dropped
        GOOD.replace("1000.50", "-50"),                             # 4 negative: a cancellation, kept
        GOOD.replace("1000.50", "mille euros"),                     # 5 text
        GOOD.replace(",Projet,", ',"Projet sur\ndeux lignes",'),    # 6-7 quoted newline
        GOOD.replace("2024-03-01", "2024"),                         # 8 bare year
        GOOD.replace("2024-03-01", "le 3 mars"),                    # 9 not a date: year from the payment
        GOOD.replace("Assoc A", ""),                                # 10 no name: kept, known by its SIRET
        GOOD.replace("38047555800058", '"380 475 558 00058"'),      # 11 SIRET with spaces
        GOOD.replace("38047555800058", "35600000000056"),           # 12 La Poste
    ]
    result = read_grants(write(tmp_path, HEADER_V211 + "\n" + "\n".join(rows) + "\n"))
    check_invariants(result)
    assert result.rows_read == 10
    errors = {(p.source_row, p.field): p.reason for p in result.problems if p.severity == "error"}
    # only a row whose money cannot be known is rejected
    assert errors == {("5", "montant"): "amount is not a number"}
    g = {r["source_row"]: r for r in result.tables["grants"].iter_rows(named=True)}
    assert sorted(g) == [2, 3, 4, 6, 8, 9, 10, 11, 12]
    assert g[4]["montant_eur"] == -50.0 and g[4]["flags"] == "montant_negative"
    assert g[9]["date_convention"] is None and g[9]["year"] == 2024 and g[9]["flags"] == "year_from_payment_date"
    assert g[10]["beneficiaire_nom"] is None and g[10]["beneficiaire_id"] == "38047555800058"
    assert problems_at(result, 3, "idBeneficiaire") == [
        "warning:siret_invalid: not a valid SIRET (bad key), its SIREN 380475558 kept"]
    assert g[3]["beneficiaire_id"] is None and g[3]["beneficiaire_siren"] == "380475558"
    assert g[3]["flags"] == "siret_invalid" and g[3]["montant_eur"] == 1000.5
    assert g[6]["objet"] == "Projet sur\ndeux lignes"
    assert g[8]["date_convention"] is None and g[8]["year"] == 2024 and g[8]["flags"] == "date_year_only"
    assert g[11]["beneficiaire_id"] == "38047555800058" and g[11]["flags"] == "siret_cleaned"
    assert g[12]["beneficiaire_id"] == "35600000000056"
    msg = next(p for p in result.problems if p.source_row == "3").message()
    assert msg.startswith("f.csv:3:idBeneficiaire: siret_invalid:") and "38047555800059" in msg


def test_bad_luhn_siret_keeps_the_grant_and_drops_the_identifier(tmp_path):
    bad = "38047555800059"  # GOOD's SIRET with its key digit off by one
    assert not luhn(bad) and luhn("38047555800058")
    rows = [GOOD, GOOD.replace("38047555800058", bad).replace("1000.50", "250"), GOOD.replace("Assoc A", "Assoc C")]
    path = write(tmp_path, HEADER_V211 + "\n" + "\n".join(rows) + "\n", name="bad_siret.csv")
    expected = raw_records(path, "utf-8", ",")
    result = read_grants(path)
    check_invariants(result)
    grants = result.tables["grants"]
    # nothing rejected: all three rows are grants, with the amounts written in the file
    assert result.rows_read == grants.height == len(expected) == 3 and result.rows_rejected == 0
    assert accepted_total(grants) == sum(money(r["montant"]) for _, r in expected)
    row = grants.filter(pl.col("source_row") == 3).row(0, named=True)
    assert row["beneficiaire_id"] is None and "siret_invalid" in row["flags"].split(";")
    assert row["beneficiaire_nom"] == "Assoc A" and row["montant_eur"] == 250.0
    assert grants.filter(pl.col("source_row") != 3)["beneficiaire_id"].to_list() == ["38047555800058"] * 2
    warnings = [p for p in result.problems if p.field == "idBeneficiaire"]
    assert len(warnings) == 1 and warnings[0].severity == "warning" and warnings[0].value == bad
    assert warnings[0].message().startswith("bad_siret.csv:3:idBeneficiaire: siret_invalid: not a valid SIRET")
    assert "its SIREN 380475558 kept" in warnings[0].reason  # the organisation is still known
    assert row["beneficiaire_siren"] == "380475558"
    assert check_sirets(result, expected, "idBeneficiaire") == 1


def test_extra_column_and_missing_optional_columns(tmp_path):
    text = "nomBeneficiaire,montant,dateConvention,pays\nAssoc,10,2024-01-01,Sénégal\nAssoc,20,2024-01-02,\n"
    result = read_grants(write(tmp_path, text))
    check_invariants(result)
    g = result.tables["grants"]
    assert g["extra"].to_list() == ['{"pays": "Sénégal"}', None]
    assert g["attribuant_id"].to_list() == [None, None] and g["montant_eur"].sum() == 30.0
    missing = {p.field for p in result.problems if p.source_row == "1"}
    assert missing == {"nomAttribuant", "idAttribuant", "objet", "nature", "conditionsVersement",
                       "datesPeriodeVersement", "notificationUE", "pourcentageSubvention"}


def test_header_only_and_empty_files(tmp_path):
    result = read_grants(write(tmp_path, HEADER_V211 + "\r\n"))
    assert result.rows_read == 0 and result.tables["grants"].columns == GRANT_COLUMNS
    assert result.tables["grants"].height == 0
    with pytest.raises(SourceError, match="empty file"):
        read_grants(write(tmp_path, "", name="empty.csv"))
    with pytest.raises(SourceError) as exc:
        read_grants(write(tmp_path, "nomBeneficiaire;dateConvention\nA;2024-01-01\n", name="nomontant.csv"))
    assert str(exc.value).startswith("nomontant.csv:1:") and "montant" in exc.value.reason


def test_row_with_too_many_cells_is_rejected(tmp_path):
    text = "nomBeneficiaire,montant,dateConvention\nA,1,2024-01-01\nB,2,500,2024-01-01\n"
    result = read_grants(write(tmp_path, text))
    check_invariants(result)
    assert result.tables["grants"]["source_row"].to_list() == [2]
    [problem] = problems_at(result, 3, "_row")
    assert problem.startswith("error:4 cells for 3 header columns: a separator inside a value, unquoted")


def test_unquoted_decimal_comma_is_repaired_only_when_unambiguous(tmp_path):
    """Class 10: `…,15000,00,…` in a comma-separated file. One extra cell next to montant,
    an integer then 1-2 digits: joined, with a warning. A second split (a comma in free
    text too) is refused with its cause, its euros not read (the columns are not trusted)."""
    text = ("nomBeneficiaire,montant,dateConvention,objet\n"
            "A,15000,00,2024-01-01,x\n"          # 2 repaired: 15000.00
            "B,1 234,5,2024-02-01,y\n"           # 3 repaired: 1234.5
            "C,2500,2024-03-01,z\n"              # 4 fine
            "D,300,50,2024-04-01,un, deux\n"     # 5 two extra cells: refused
            "E,7,123,2024-05-01,w\n")            # 6 "123" is no fraction: refused
    result = read_grants(write(tmp_path, text))
    check_invariants(result)
    g = {r["source_row"]: r for r in result.tables["grants"].iter_rows(named=True)}
    assert sorted(g) == [2, 3, 4]
    assert (g[2]["montant_eur"], g[3]["montant_eur"], g[4]["montant_eur"]) == (15000.0, 1234.5, 2500.0)
    assert (g[2]["year"], g[2]["objet"], g[3]["objet"]) == (2024, "x", "y")
    assert problems_at(result, 2, "montant")[0].startswith("warning:montant_comma_repaired")
    assert all(p.startswith("error:") for line in (5, 6) for p in problems_at(result, line, "_row"))
    # the refused rows' amounts are not read: the set-aside table holds no guess
    assert result.tables["grants_set_aside"].height == 0


def _xlsx(path: Path, rows: dict[int, list]) -> Path:
    """A minimal xlsx (inline strings) so spreadsheet quirks can be tested without a writer library."""
    def cell(ref, v):
        if isinstance(v, (int, float)):
            return f'<c r="{ref}"><v>{v}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'

    body = "".join(
        f'<row r="{r}">' + "".join(cell(f"{'ABCDEFGH'[i]}{r}", v) for i, v in enumerate(vals)) + "</row>"
        for r, vals in rows.items()
    )
    main = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": f'<Types xmlns="{main}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{main}/package/2006/relationships"><Relationship Id="rId1" Type="{main}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}/spreadsheetml/2006/main" xmlns:r="{main}/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{main}/package/2006/relationships"><Relationship Id="rId1" Type="{main}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def test_xlsx_title_row_serial_date_and_numeric_siret(tmp_path):
    path = _xlsx(tmp_path / "g.xlsx", {
        1: ["Subventions 2017"],
        2: ["nomBeneficiaire", "montant", "dateConvention", "idBeneficiaire"],
        3: ["A", 12.5, 43055, 38047555800058],
        4: ["B", "1 000,5", "2017-01-02", ""],
    })
    result = read_grants(path)
    check_invariants(result)
    g = result.tables["grants"]
    assert g["source_row"].to_list() == [3, 4]
    assert g["date_convention"].to_list() == [date(2017, 11, 16), date(2017, 1, 2)]  # serial 43055
    assert g["montant_eur"].to_list() == [12.5, 1000.5] and g["beneficiaire_id"][0] == "38047555800058"
    assert "date_serial" in g["flags"][0]


# --- SIRET ---------------------------------------------------------------------------

def test_siret_rules():
    assert is_valid_siret("38047555800058") and luhn("38047555800058")
    assert not is_valid_siret("38047555800059")
    # La Poste: digit sum divisible by 5, Luhn not required (and not sufficient)
    assert is_valid_siret("35600000000056") and not luhn("35600000000056")
    assert luhn("35600000000048") and not is_valid_siret("35600000000048")
    assert clean_siret(" 380 475 558 00058 ") == ("38047555800058", ["siret_cleaned"])
    assert clean_siret("'38047555800058") == ("38047555800058", ["siret_cleaned"])
    assert clean_siret("38047555800058.0") == ("38047555800058", ["siret_cleaned"])
    assert clean_siret("38047555800058") == ("38047555800058", [])
    assert clean_siret("") == (None, [])
    assert clean_siret("218601946") == (None, ["siret_not_14_digits"])
    assert clean_siret("21860194600000") == (None, ["siret_bad_checksum"])
