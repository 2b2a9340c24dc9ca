"""SCDL grants reader on real publications (CSV, xlsx, ods), against an independent reading
(encoding and separator given per file, not sniffed).
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from lxml import etree

from pipelines.sources.scdl import read_grants
from scdl_files import (
    REAL,
    accepted_total,
    check_invariants,
    check_sirets,
    expected_siret,
    luhn,
    money,
    problems_at,
    raw_records,
)


# --- reference files: real publications ---------------------------------------------

REAL_CSV = {
    # file: (encoding, separator, amount column, name column, SIRET column)
    "SCDL_DEP_Haute_Garonne_datalocale-subvention.csv": ("utf-8", ";", "montant", "nomBeneficiaire", "idBeneficiaire"),
    "DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv": ("cp1252", ";", "montant", "nomBeneficiaire", "idBeneficiaire"),
    "DEP_Nièvre_CD58_SUBVENTIONS_2016_LISTE.csv": ("cp1252", ",", "SUB_MONTANT", "ATTRIB_NOM", "ATTRIB_SIRET"),
    "SCDL_COM_Poitiers_citoyennete-subventions-directes-attribuees-aux-associations-2017-ville-de-poiti.csv":
        ("utf-8", ";", "SUB_MONTANT", "ATTRIB_NOM", "ATTRIB_SIRET"),
}


@pytest.mark.parametrize("name", list(REAL_CSV), ids=lambda n: n[:30])
def test_real_csv_files(name):
    encoding, sep, amount_col, name_col, siret_col = REAL_CSV[name]
    path = REAL / name
    expected = raw_records(path, encoding, sep)
    result = read_grants(path)
    check_invariants(result)
    assert result.rows_read == len(expected)
    # a row is acceptable iff it has an amount (all these files give a year); a missing name,
    # a negative amount or a bad SIRET only flags it
    good = {}
    for line, r in expected:
        amount = money(r[amount_col])
        if amount is not None:
            good[line] = amount
    grants = result.tables["grants"]
    assert set(grants["source_row"]) == set(good)
    assert accepted_total(grants) == sum(good.values())
    assert all(v == good[line] for line, v in grants.select("source_row", "montant_eur").iter_rows())
    bad_sirets = [line for line, r in expected if line in good and expected_siret(r[siret_col])[1]]
    assert check_sirets(result, expected, siret_col) == len(bad_sirets)
    if "Poitiers" in name:  # its SIRETs were exported as floats that lost their NIC: most fail the key
        assert len(bad_sirets) > len(good) // 2


def test_real_files_known_figures():
    lot = read_grants(REAL / "DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv")
    g = lot.tables["grants"]
    assert g.height == 13 and "montant_format" in g["flags"][0]  # "40 000,00"
    assert g.row(0, named=True)["beneficiaire_nom"] == "Association des maires et élus du Lot"  # cp1252 decoded
    assert (g["versement_debut"][0], g["versement_fin"][0]) == (date(2018, 1, 1), date(2018, 3, 31))
    nievre = read_grants(REAL / "DEP_Nièvre_CD58_SUBVENTIONS_2016_LISTE.csv")
    assert nievre.tables["grants"].row(0, named=True)["montant_eur"] == 17833.0  # "17 833" with U+00A0
    nc = [p for p in nievre.problems if p.field == "montant" and p.severity == "error"]
    assert "NC" in {p.value for p in nc}  # "NC" (non communiqué) is not an amount
    assert "COLL_TYPE" in json.loads(nievre.tables["grants"]["extra"][0])  # non-schema column kept
    haute_garonne = read_grants(REAL / "SCDL_DEP_Haute_Garonne_datalocale-subvention.csv")
    assert (haute_garonne.rows_read, haute_garonne.tables["grants"].height) == (69, 69)
    # a grant with an amount, a date and a SIRET but no name: money, kept with a warning
    assert problems_at(haute_garonne, 35, "nomBeneficiaire") == ["warning:name_missing: no beneficiary name, grant kept"]


def _first_row(path: Path) -> int:
    """The sheet's row number of its first row with a value, from the file's XML (xlsx: the `r`
    of the first `<row>` holding a `<v>`; ods: rows counted with their `number-rows-repeated`)."""
    with zipfile.ZipFile(path) as z:
        if path.suffix == ".xlsx":
            root = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
            main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
            return next(int(row.get("r")) for row in root.iter(f"{main}row") if row.find(f"{main}c/{main}v") is not None)
        root = etree.fromstring(z.read("content.xml"))
    table = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    number = 1
    for row in next(root.iter(f"{table}table")).iter(f"{table}table-row"):
        if "".join(row.itertext()).strip():
            return number
        number += int(row.get(f"{table}number-rows-repeated", "1"))
    raise AssertionError(f"{path.name}: no row with a value")


def _sheet_rows(path: Path, header_row: int) -> list[tuple[int, dict[str, str | None]]]:
    """The rows below the header, numbered as the sheet numbers them. polars (fastexcel) starts the
    frame at the sheet's first row with a value: `header_row` counts from there."""
    # keep empty rows: row numbers must stay the sheet's own
    frame = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0, drop_empty_rows=False)
    rows, first = frame.rows(), _first_row(path)
    header = [str(c).strip() if c is not None else "" for c in rows[header_row - 1]]
    return [
        (first + i, dict(zip(header, row)))
        for i, row in enumerate(rows)
        if i >= header_row and any(c is not None and str(c).strip() for c in row)
    ]


def test_real_aube_xlsx_header_on_row_2():
    path = REAL / "DEP_Aube_Donnees_essentielles_conventions_subvention.xlsx"
    expected = _sheet_rows(path, header_row=2)
    result = read_grants(path)
    check_invariants(result)
    assert result.rows_read == len(expected) == 7
    # one beneficiary id has 13 digits and no valid zero-padded form: kept, identifier dropped, flagged
    bad = [line for line, r in expected if not luhn(r["Identification du bénéficiaire"].zfill(14))]
    assert len(bad) == 1
    assert [int(p.source_row) for p in result.problems if p.severity == "error"] == []
    grants = result.tables["grants"]
    assert grants["source_row"].to_list() == [line for line, _ in expected]
    amounts = {line: money(r["Montant  total de la subvention"]) for line, r in expected}
    assert accepted_total(grants) == sum(amounts.values())
    assert check_sirets(result, expected, "Identification du bénéficiaire") == len(bad)
    assert problems_at(result, bad[0], "idBeneficiaire")[0].startswith("warning:siret_invalid")
    row = grants.row(0, named=True)
    assert row["date_convention"] == date(2017, 11, 16) and row["montant_eur"] == 50000.0
    assert (row["versement_debut"], row["versement_fin"]) == (date(2017, 11, 28), date(2017, 12, 8))


def test_real_pyrenees_orientales_ods():
    path = REAL / "DEP_Pyrénées_Orientales_recensement_conventions_DEFINITIF_pour_publication_.ods"
    expected = _sheet_rows(path, header_row=4)
    result = read_grants(path)
    check_invariants(result)
    assert result.rows_read == len(expected)
    # no attribuant columns in this file: tolerated, one warning on the header line, the sheet's
    # row 6 (rows 1-2 empty, a title on row 3, rows 4-5 empty)
    assert _first_row(path) == 3
    assert {p.field for p in result.problems if p.source_row == "6"} >= {"nomAttribuant", "idAttribuant"}
    # kept: an amount and a year (the convention's date, else the start of the payment period);
    # the rows below a grant carrying only its further payment dates are no grants (no amount)
    def year_known(r):  # the convention's date, else the grant's ("date octroi"), else a payment's
        return (bool(r["date convention"]) or bool(r["date octroi"])
                or bool(re.match(r"\d{4}-\d{2}-\d{2}", r["Date ou période de versement"] or "")))

    good = {line: money(r["Montant octroyé"]) for line, r in expected if r["Montant octroyé"] and year_known(r)}
    grants = result.tables["grants"]
    assert set(grants["source_row"]) == set(good)
    assert accepted_total(grants) == sum(good.values())
    bad_sirets = [line for line, r in expected if line in good and expected_siret(r["SIRET_ORG"])[1]]
    assert check_sirets(result, expected, "SIRET_ORG") == len(bad_sirets)
    assert grants["notification_ue"].to_list() == [False] * grants.height  # "non concerné"
