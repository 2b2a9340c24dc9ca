"""SCDL grants reader: every reference file, plus hostile files written here.

Expected figures are computed in the test from the raw bytes with the stdlib csv
module and Decimal (encoding and separator given per file below, not sniffed), so
they do not share code with the reader.

Policy under test: a present but invalid `idBeneficiaire` does not reject the row;
the grant is accepted with `beneficiaire_id` null, `siret_invalid` in `flags` and a
warning Problem on file:line:idBeneficiaire ("never cost a good row").
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.scdl import GRANT_COLUMNS, GRANT_SCHEMA, read_grants
from pipelines.sources.siret import clean_siret, is_valid_siret

SCDL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "scdl"
V211 = SCDL / "examples_v2.1.1"
LEGACY = SCDL / "examples_legacy"
REAL = SCDL / "real"

HEADER_V211 = (
    "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
    "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,"
    "notificationUE,pourcentageSubvention,dispositifAide"
)
GOOD = "Région X,23350001600040,2024-03-01,D-1,Assoc A,38047555800058,W380475558,Projet,1000.50,aide en numéraire,unique,2024-04-01,,non,1,"


# --- independent helpers -----------------------------------------------------------

def luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(int(c) for c in reversed(digits)):
        total += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
    return total % 10 == 0


def raw_records(path: Path, encoding: str, sep: str, header_line: int = 1) -> list[tuple[int, dict[str, str]]]:
    """(first physical line, row dict) for every non-blank data record."""
    text = path.read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    out, header, last = [], None, 0
    for cells in reader:
        start, last = last + 1, reader.line_num
        if start == header_line:
            header = cells
        elif header is not None and any(c.strip() for c in cells):
            out.append((start, dict(zip(header, cells))))
    return out


def siret_key_ok(digits: str) -> bool:
    """Luhn, or La Poste's rule (SIREN 356000000: digit sum a multiple of 5)."""
    if digits.startswith("356000000"):
        return sum(int(c) for c in digits) % 5 == 0
    return luhn(digits)


def expected_siret(text: str | None) -> tuple[str | None, bool, str | None]:
    """(beneficiaire_id, siret_invalid expected, beneficiaire_siren) for a raw idBeneficiaire cell.

    Empty: (None, False, None). 14 digits with a valid key (13 when a spreadsheet dropped the
    leading zero, a '.0' float tail tolerated): kept, SIREN its first 9. A 9-digit SIREN with a
    valid Luhn key: SIREN only, not flagged. 14 digits whose key fails but whose first 9 pass
    Luhn: SIREN kept, flagged. Anything else present: dropped, flagged.
    """
    t = (text or "").strip().removesuffix(".0")
    if not t:
        return None, False, None
    if t.isdigit() and len(t) in (13, 14) and siret_key_ok(t.zfill(14)):
        return t.zfill(14), False, t.zfill(14)[:9]
    if t.isdigit() and len(t) == 9 and luhn(t):
        return None, False, t
    if t.isdigit() and len(t) == 14 and luhn(t[:9]):
        return None, True, t[:9]
    return None, True, None


def check_sirets(result, expected: list[tuple[int, dict]], col: str) -> int:
    """Every accepted row carries the independently expected SIRET outcome; returns the flagged count."""
    cells = {line: r[col] for line, r in expected}
    flagged = 0
    grants = result.tables["grants"].select("source_row", "beneficiaire_id", "beneficiaire_siren", "flags")
    for line, got, siren, flags in grants.iter_rows():
        want, invalid, want_siren = expected_siret(cells[line])
        assert (got, siren) == (want, want_siren), line
        assert ("siret_invalid" in (flags or "").split(";")) == invalid, line
        if invalid:
            flagged += 1
            tail = f"its SIREN {want_siren} kept" if want_siren else "identifier dropped"
            assert [w.startswith("warning:siret_invalid: not a valid SIRET") and w.endswith(tail)
                    for w in problems_at(result, line, "idBeneficiaire")] == [True], line
    return flagged


def money(text: str | None) -> Decimal | None:
    """Amount as a human reads it: spaces and 'euros' dropped, comma = decimal mark."""
    if text is None:
        return None
    t = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").lower().removesuffix("euros")
    try:
        return Decimal(t.replace(",", "."))
    except ArithmeticError:
        return None


def accepted_total(df: pl.DataFrame) -> Decimal:
    # the reader's amounts are exact Decimals (DECIMAL(38, 10)): the amount as written
    return sum(df["montant_eur"], Decimal(0))


def problems_at(result, line: int, field: str) -> list[str]:
    return [f"{p.severity}:{p.reason}" for p in result.problems if p.source_row == str(line) and p.field == field]


def check_invariants(result) -> None:
    grants = result.tables["grants"]
    assert list(grants.columns) == GRANT_COLUMNS
    assert dict(grants.schema) == GRANT_SCHEMA
    assert result.rows_read == grants.height + result.rows_rejected
    error_lines = {p.source_row for p in result.problems if p.severity == "error"}
    assert not error_lines & {str(r) for r in grants["source_row"]}


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- reference files: the schema's own examples -----------------------------------

def test_v211_valid_example_loads_every_row_with_exact_total():
    path = V211 / "exemple_valide.csv"
    expected = raw_records(path, "utf-8", ",")
    result = read_grants(path)
    check_invariants(result)
    grants = result.tables["grants"]
    assert result.rows_read == len(expected) == grants.height == 29
    assert accepted_total(grants) == sum(money(r["montant"]) for _, r in expected)
    assert grants["source_row"].to_list() == [line for line, _ in expected]
    # beneficiaries with a SIRET keep it, checked against an independent Luhn
    sirets = {line: r["idBeneficiaire"] for line, r in expected}
    for line, got in grants.select("source_row", "beneficiaire_id").iter_rows():
        assert got == (sirets[line] or None) and (got is None or luhn(got))
    assert grants["pourcentage_subvention"].to_list() == [Decimal(r["pourcentageSubvention"]) for _, r in expected]
    first = grants.row(0, named=True)
    assert first["date_convention"] == date(2015, 7, 7) and first["year"] == 2015
    assert (first["versement_debut"], first["versement_fin"]) == (date(2017, 3, 30), date(2017, 5, 24))
    assert first["notification_ue"] is False and first["rna_beneficiaire"] == "W333216789"
    # "2017-03-02/2017-30-05" matches the schema's pattern but month 30 is no date: warned, kept
    bad_period = [line for line, r in expected if r["datesPeriodeVersement"] == "2017-03-02/2017-30-05"]
    assert bad_period and all(
        problems_at(result, line, "datesPeriodeVersement")[0].startswith("warning:versement_invalid")
        for line in bad_period
    )


def test_v211_cell_errors_are_reported_on_their_lines():
    path = V211 / "exemple_invalide_erreurs_cellules.csv"
    expected = raw_records(path, "utf-8", ",")
    result = read_grants(path)
    check_invariants(result)
    assert result.rows_read == len(expected) == 29
    grants = result.tables["grants"]
    by_line = {r["source_row"]: r for r in grants.iter_rows(named=True)}
    # line 2: percentage written 100 -> 1.0, flagged
    assert by_line[2]["pourcentage_subvention"] == 1.0 and "percent_0_100" in by_line[2]["flags"]
    # line 5: 05/12/2016 read with a date_dmy warning, RNA "W3222" warned; SIRET 44088714900000 fails the key:
    # warned, the SIRET dropped but its SIREN (valid key) kept, the grant kept
    assert problems_at(result, 5, "dateConvention") == ["warning:date_dmy: DD/MM/YYYY date, expected YYYY-MM-DD"]
    assert problems_at(result, 5, "rnaBeneficiaire")[0].startswith("warning:rna_invalid")
    assert problems_at(result, 5, "idBeneficiaire") == [
        "warning:siret_invalid: not a valid SIRET (bad key), its SIREN 440887149 kept"]
    assert not luhn("44088714900000") and luhn("440887149")
    assert by_line[5]["beneficiaire_id"] is None and "siret_invalid" in by_line[5]["flags"].split(";")
    assert by_line[5]["date_convention"] == date(2016, 12, 5)
    # line 6: "100000,1" read as a decimal comma; SIRET 32402138500000.0 fails the key -> kept, id dropped
    assert problems_at(result, 6, "montant") == ["warning:montant_format: read as 100000.1"]
    assert problems_at(result, 6, "idBeneficiaire")[0].startswith("warning:siret_invalid: not a valid SIRET")
    assert by_line[6]["beneficiaire_id"] is None and by_line[6]["montant_eur"] == Decimal("100000.1")
    # line 7: idAttribuant is a 9-digit SIREN with a valid key: an authority's own identifier, kept
    assert problems_at(result, 7, "idAttribuant") == []
    assert by_line[7]["attribuant_id"] == "218601946" and by_line[7]["montant_eur"] == Decimal("22000.8")
    # line 8: '_' as interval mark, notificationUE 'yes' and the bad SIRET are all warnings: row kept
    assert problems_at(result, 8, "datesPeriodeVersement")[0].startswith("warning:versement_nonstandard")
    assert problems_at(result, 8, "notificationUE")[0].startswith("warning:notification_nonstandard")
    assert problems_at(result, 8, "idBeneficiaire")[0].startswith("warning:siret_invalid")
    assert by_line[8]["beneficiaire_id"] is None and by_line[8]["notification_ue"] is True
    assert (by_line[8]["versement_debut"], by_line[8]["versement_fin"]) == (date(2017, 6, 27), date(2018, 6, 27))
    # line 9: percentage "0,5", no SIRET (optional in 2.1.1)
    assert by_line[9]["pourcentage_subvention"] == 0.5 and by_line[9]["beneficiaire_id"] is None
    # line 10: empty montant is an error
    assert problems_at(result, 10, "montant") == ["error:missing amount"]
    # line 12: RNA "W12455" warned and dropped, row kept
    assert by_line[12]["rna_beneficiaire"] is None
    # line 16: nature "aide en numéraire,aide en nature" is warned
    assert problems_at(result, 16, "nature")[0].startswith("warning:nature_nonstandard")
    # every accepted row carries the amount written on its line
    amounts = {line: money(r["montant"]) for line, r in expected}
    assert all(v == amounts[line] for line, v in grants.select("source_row", "montant_eur").iter_rows())
    # a row is rejected iff it has no amount; a bad SIRET (independent Luhn) only flags the row
    rejected = {int(p.source_row) for p in result.problems if p.severity == "error"}
    for line, r in expected:
        assert (line in rejected) == (not r["montant"]), line
    assert set(by_line) == {line for line, r in expected if r["montant"]}
    bad_sirets = [line for line, r in expected if r["montant"] and expected_siret(r["idBeneficiaire"])[1]]
    assert bad_sirets and check_sirets(result, expected, "idBeneficiaire") == len(bad_sirets)


@pytest.mark.parametrize(
    "path",
    [V211 / "exemple_invalide_erreurs_colonnes.csv", LEGACY / "v2.0.1_exemple_subventions_avec_erreurs_colonnes.csv"],
    ids=lambda p: p.name,
)
def test_misnamed_name_column_keeps_the_money(path):
    """`NOM_Beneficiaire` is not `nomBeneficiaire` (underscores count): the names go to
    `extra`, each grant warns `name_missing`, and the money, known by amount, year and
    identifier, is kept."""
    expected = raw_records(path, "utf-8", ",")
    result = read_grants(path)
    check_invariants(result)
    grants = result.tables["grants"]
    ok = {line: money(r["montant"]) for line, r in expected if r["montant"] and r["dateConvention"]}
    assert set(grants["source_row"]) == set(ok)
    assert accepted_total(grants) == sum(ok.values())
    assert all(json.loads(x)["NOM_Beneficiaire"] for x in grants["extra"])
    assert all(problems_at(result, line, "nomBeneficiaire")[0].startswith("warning:name_missing") for line in ok)


def test_duplicated_column_is_a_source_error():
    path = V211 / "exemple-duplicate-column.csv"  # cp1252, notificationUE twice
    with pytest.raises(SourceError) as exc:
        read_grants(path)
    assert exc.value.where == "1" and "notificationUE" in exc.value.reason and "13 and 14" in exc.value.reason


@pytest.mark.parametrize("name", ["v2.0.1_exemple_invalide.csv", "2018_exemple_arrete.csv"])
def test_legacy_invalid_examples(name):
    path = LEGACY / name
    expected = raw_records(path, "utf-8", ",")
    result = read_grants(path)
    check_invariants(result)
    assert result.rows_read == len(expected) == 7
    # Bellandier SAS's SIRET 67895644300011 fails the key: its 4 rows are kept, warned on idBeneficiaire
    assert not luhn("67895644300011")
    bad = [line for line, r in expected if r["idBeneficiaire"] == "67895644300011"]
    assert len(bad) == 4 and all(
        problems_at(result, line, "idBeneficiaire")[0].startswith("warning:siret_invalid") for line in bad)
    assert result.rows_rejected == 0 and not [p for p in result.problems if p.severity == "error"]
    grants = result.tables["grants"]
    assert grants["source_row"].to_list() == [line for line, _ in expected]
    assert accepted_total(grants) == sum(money(r["montant"]) for _, r in expected)
    assert check_sirets(result, expected, "idBeneficiaire") == len(bad)
    assert problems_at(result, 7, "notificationUE")[0].startswith("warning:notification_nonstandard")  # 'no'
    assert grants.filter(pl.col("source_row") == 8)["pourcentage_subvention"].item() == 0.125  # 12.5 %
    # the 'aide en numéraire;' and 'aide en numéraire;salut' natures are warned (lines 5, 6: kept)
    assert problems_at(result, 6, "nature")[0].startswith("warning:nature_nonstandard")
    assert grants.filter(pl.col("source_row") == 6)["nature"].item() == "aide en numéraire;salut"


def test_legacy_cell_errors_example():
    path = LEGACY / "v2.0.1_exemple_subventions_avec_erreurs_cellules.csv"
    expected = raw_records(path, "utf-8", ",")
    result = read_grants(path)
    check_invariants(result)
    assert result.rows_read == len(expected)
    assert problems_at(result, 5, "dateConvention")[0].startswith("warning:date_dmy")
    accepted = {line for line in result.tables["grants"]["source_row"]}
    # only a missing amount rejects; the many SIRETs ending in 00000 fail the key and are only flagged
    ok = {line for line, r in expected if r["montant"]}
    assert accepted == ok
    bad_sirets = [line for line, r in expected if line in ok and expected_siret(r["idBeneficiaire"])[1]]
    assert bad_sirets and check_sirets(result, expected, "idBeneficiaire") == len(bad_sirets)
    assert accepted_total(result.tables["grants"]) == sum(money(r["montant"]) for line, r in expected if line in ok)


@pytest.mark.parametrize("name", ["2018_exemple_scdl.csv", "2018_exemple_subventions_initial.csv"])
def test_2018_header_spellings_are_mapped(name):
    path = LEGACY / name  # ATTRIBUANT_NOM, BENEFICIAIRE_ID, SUBVENTION_MONTANT, ...
    expected = raw_records(path, "utf-8", ",")
    result = read_grants(path)
    check_invariants(result)
    assert result.rows_read == len(expected) == 2
    row = result.tables["grants"].row(0, named=True)
    first = expected[0][1]
    assert row["attribuant_nom"] == first["ATTRIBUANT_NOM"] and row["attribuant_id"] == first["ATTRIBUANT_ID"]
    assert row["beneficiaire_id"] == first["BENEFICIAIRE_ID"] and row["id_rae"] == first["RAE_NUM"]
    assert row["montant_eur"] == Decimal(first["SUBVENTION_MONTANT"])
    assert row["pourcentage_subvention"] == Decimal("0.8") and row["extra"] is None
    # the second row's SIRET 67895644300011 fails the key: the grant is kept, the identifier dropped
    assert problems_at(result, 3, "idBeneficiaire")[0].startswith("warning:siret_invalid")
    grants = result.tables["grants"]
    assert grants["source_row"].to_list() == [line for line, _ in expected]
    assert accepted_total(grants) == sum(Decimal(r["SUBVENTION_MONTANT"]) for _, r in expected)
    assert check_sirets(result, expected, "BENEFICIAIRE_ID") == 1


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


def _sheet_rows(path: Path, header_row: int) -> list[tuple[int, dict[str, str | None]]]:
    # keep empty rows: row numbers must stay the sheet's own
    frame = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0, drop_empty_rows=False)
    rows = frame.rows()
    header = [str(c).strip() if c is not None else "" for c in rows[header_row - 1]]
    return [
        (i + 1, dict(zip(header, row)))
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
    # no attribuant columns in this file: tolerated, one warning on the header line
    assert {p.field for p in result.problems if p.source_row == "4"} >= {"nomAttribuant", "idAttribuant"}
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


# --- the two CSV paths (polars fast path, stdlib csv reference path) ---------------------

HOSTILE_CSV = {
    "quoted_newlines": HEADER_V211 + "\n" + GOOD.replace(",Projet,", ',"a\nb\r\nc",') + "\n" + GOOD + "\n",
    "crlf_and_doubled_quotes": (HEADER_V211 + "\r\n" + GOOD.replace("Assoc A", '"Assoc ""A"""') + "\r\n") * 1,
    "short_rows_and_empty_last_cells": HEADER_V211 + "\n" + GOOD + "\n" + GOOD.rsplit(",", 3)[0] + "\n"
    + GOOD.rsplit(",", 3)[0] + ",,,\n" + GOOD.rsplit(",", 3)[0] + ',"","",""\n',
    "blank_and_whitespace_lines": HEADER_V211 + "\n\n" + GOOD + "\n" + ",,,\n" + " \n" + GOOD + "\n\n\n",
    "title_rows": "Subventions 2024\n\n" + HEADER_V211 + "\n" + GOOD + "\n",
    "too_many_cells": HEADER_V211 + "\n" + GOOD + "\n" + GOOD + ",x\n" + GOOD + ", \n",
    "lone_cr": HEADER_V211 + "\r" + GOOD + "\r" + GOOD + "\r",
    "quote_after_quoted_text": HEADER_V211 + "\n" + GOOD.replace("Assoc A", '"Assoc" A') + "\n",
    "quote_inside_unquoted_cell": HEADER_V211 + "\n" + GOOD.replace("Assoc A", 'Assoc 5" A') + "\n",
    "no_final_newline": HEADER_V211 + "\n" + GOOD + "\n" + GOOD,
    "unclosed_quote": HEADER_V211 + "\n" + GOOD + "\n" + GOOD.replace("Assoc A", '"Assoc A'),
}


def _outcome(path: Path):
    try:
        r = read_grants(path)
    except SourceError as exc:
        return str(exc)
    problems = [(p.source_row, p.field, p.value, p.reason, p.severity) for p in r.problems]
    return r.rows_read, r.tables["grants"].rows(), problems


@pytest.mark.parametrize("case", sorted(HOSTILE_CSV))
def test_fast_and_reference_csv_paths_agree(case, tmp_path, monkeypatch):
    from pipelines.sources import scdl_split

    path = write(tmp_path, HOSTILE_CSV[case])
    fast = _outcome(path)
    monkeypatch.setattr(scdl_split, "FAST_PATH", False)
    assert fast == _outcome(path)
    if isinstance(fast, str):
        return
    # and both agree with the stdlib csv module read here (record lines, non-blank records)
    header_line = next(i for i, line in enumerate(HOSTILE_CSV[case].replace("\r\n", "\n").replace("\r", "\n")
                                                  .split("\n"), start=1) if line.startswith("nomAttribuant"))
    expected = raw_records(path, "utf-8", ",", header_line)
    assert fast[0] == len(expected)
    rejected = {int(p[0]) for p in fast[2] if p[4] == "error"}
    assert [row[1] for row in fast[1]] == [line for line, _ in expected if line not in rejected]


def test_problem_frame_and_problem_objects_agree(tmp_path):
    rows = [GOOD, GOOD.replace("1000.50", "1 000,50"), GOOD.replace("1000.50", "NC"), GOOD.replace("2024-03-01", "")]
    path = write(tmp_path, HEADER_V211 + "\n" + "\n".join(rows) + "\n")
    frame_first, objects_first = read_grants(path), read_grants(path)
    frame, rejected = frame_first.rejected, frame_first.rows_rejected  # answered without Problem objects
    objects = objects_first.problems
    assert frame.rows() == [(p.source_file, p.source_row, p.field, p.value, p.reason, p.severity) for p in objects]
    # line 5 has no convention date: its year comes from its payment period (a warning)
    assert rejected == objects_first.rows_rejected == 1 and frame_first.rows_accepted == 3
    assert [p.source_row for p in objects if p.severity == "error"] == ["4"]


def test_total_lines_are_set_aside_only_when_they_are_the_sum(tmp_path):
    """Class 11: a total line is no grant; a labelled total that is no sum stays a grant."""
    text = ("nomBeneficiaire,idBeneficiaire,montant,dateConvention\n"
            "A,,100,2024-01-01\n"            # 2
            "B,,250.50,2024-01-02\n"         # 3
            "TOTAL,,350.50,2024-01-03\n"     # 4 labelled, the sum of 2-3: set aside
            "C,,40,2024-02-01\n"             # 5
            ",,40,2024-02-02\n"              # 6 no beneficiary, equals one row only: a grant
            ",,80,2024-02-03\n"              # 7 no beneficiary, sum of 5-6: set aside
            "Total général,,430.5,2024-03-01\n"  # 8 sum of every grant above: set aside
            "Total,,999,2024-03-02\n")       # 9 labelled but no sum: kept, money is never guessed away
    result = read_grants(write(tmp_path, text))
    check_invariants(result)
    grants = result.tables["grants"]
    assert sorted(grants["source_row"]) == [2, 3, 5, 6, 9]
    aside = result.tables["grants_set_aside"]
    assert aside.select("source_row", "montant_eur", "reason").rows() == [
        (4, 350.5, "total_line"), (7, 80.0, "total_line"), (8, 430.5, "total_line")]
    assert problems_at(result, 4, "_row")[0].startswith("error:total_line: equals the sum of the 2 rows above")
    assert result.rows_rejected == 3 and result.rows_read == 8
