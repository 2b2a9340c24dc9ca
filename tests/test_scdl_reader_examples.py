"""SCDL grants reader on the schema's own examples (2.1.1 and legacy, 2018 header spellings).

Expected figures are computed in the test from the raw bytes with the stdlib csv
module and Decimal (scdl_files.py), so they do not share code with the reader.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.scdl import read_grants
from scdl_files import (
    LEGACY,
    V211,
    accepted_total,
    check_invariants,
    check_sirets,
    expected_siret,
    luhn,
    money,
    problems_at,
    raw_records,
)


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
