"""The IATI 2.03 export (`pipelines/export/iati.py`) of the sample: valid against the official XSD,
re-read to the snapshot's money to the cent (iati_export_checks.py), and naming no natural person.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from pipelines.sources.person_names import reads_as_person
from raw_files import csv_records
from iati_export_checks import CENT, REGION_REF, check_same_money_as_the_snapshot, xsd_errors


# ------------------------------------------------------------------------------ the sample

@pytest.fixture(scope="module")
def exported(built, tmp_path_factory):
    from pipelines.export.iati import export_iati

    outcome, warehouse, serving = built
    assert outcome.success, outcome.report_lines()
    out = tmp_path_factory.mktemp("iati_export") / "region-iati.xml"
    report = export_iati(warehouse, out)
    return report, out, serving


def test_the_sample_export_is_valid_iati_2_03(exported):
    report, path, serving = exported
    assert report.path == path and path.is_file()
    assert xsd_errors(path) == []
    assert report.validation["ran"] and report.validation["valid"] and report.validation["errors"] == 0
    root = etree.parse(str(path)).getroot()
    assert root.tag == "iati-activities" and root.get("version") == "2.03" and root.get("generated-datetime")
    acts = root.findall("iati-activity")
    with duckdb.connect(str(serving), read_only=True) as conn:
        grants = conn.sql("select count(*) from grants_public").fetchall()[0][0]
    assert report.activities == len(acts) == report.grant_activities + report.cofinancing_activities
    assert report.grant_activities == grants
    assert report.cofinancing_activities > 0
    ids = [a.findtext("iati-identifier") for a in acts]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(REGION_REF + "-") for i in ids)
    assert {a.get("default-currency") for a in acts} == {"EUR"}
    assert {a.find("reporting-org").get("ref") for a in acts} == {REGION_REF}
    assert {a.find("reporting-org").get("type") for a in acts} == {"11"}
    # amounts: plain decimals, no exponent, always with a value-date
    values = root.findall(".//transaction/value")
    assert len(values) == report.transactions
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", v.text) and v.get("value-date") for v in values)


def test_the_sample_export_rereads_to_the_snapshot_money(exported):
    report, path, serving = exported
    reread = check_same_money_as_the_snapshot(path, serving)
    assert reread.result.rows_read == report.activities
    assert len(reread.transactions) == report.transactions
    # the report's totals are the written values, exactly (no rounding on the way)
    by_year = reread.by_year()
    assert {y: c for (y,), (c, _) in by_year.items() if c} == {y: c for y, c in report.committed_by_year.items() if c}
    assert {y: d for (y,), (_, d) in by_year.items() if d} == {y: d for y, d in report.disbursed_by_year.items() if d}


def _sample_beneficiaries(raw: Path) -> tuple[set[str], set[str]]:
    """(names of persons, names of organisations) of the sample's raw grant CSVs: a row with
    an empty idBeneficiaire whose name reads as a person's, and a row with an identifier."""
    persons, organisations = set(), set()
    for path in sorted((raw / "grants").glob("*.csv")):
        for row in csv_records(path):
            name = (row.get("nomBeneficiaire") or "").strip()
            if not (row.get("idBeneficiaire") or "").strip():
                if reads_as_person(name):
                    persons.add(name)
            elif name:
                organisations.add(name)
    return persons, organisations


def _xml_values(path: Path) -> list[str]:
    """Every text and attribute value of the file."""
    values = []
    for el in etree.parse(str(path)).getroot().iter():
        values += [v.strip() for v in [el.text or "", *el.attrib.values()] if v.strip()]
    return values


def test_no_natural_person_is_named_in_the_sample_export(exported, sample_dir):
    report, path, serving = exported
    names, organisations = _sample_beneficiaries(sample_dir)
    assert len(names) > 50
    # a person's name anywhere in a text or attribute, except inside an organisation's own
    # name published with its SIRET: "Collège Louise Michel" is a school, not the person
    # "Louise Michel" (a name both carry in the sample)
    organisations = {o.casefold() for o in organisations}
    leaks = [(n, v) for v in _xml_values(path) if v.casefold() not in organisations
             for n in names if n.casefold() in v.casefold()]
    assert leaks == []
    # their grants are still there, under a neutral title, with their money
    with duckdb.connect(str(serving), read_only=True) as conn:
        persons, amount = conn.sql("select count(*), sum(amount_eur) from grants_public "
                                   "where beneficiary_type = 'personne_physique'").fetchall()[0]
    root = etree.parse(str(path)).getroot()
    neutral = [a for a in root.findall("iati-activity")
               if a.findtext("title/narrative") == "Subvention à une personne physique"]
    assert len(neutral) == persons == report.natural_persons > 0
    written = sum(Decimal(a.xpath("transaction[transaction-type/@code='2']/value")[0].text) for a in neutral)
    assert abs(written - Decimal(amount)) < CENT
    for act in neutral:
        implementing = act.find("participating-org[@role='4']")
        assert implementing.get("ref") is None and implementing.find("narrative") is None
        assert act.find(".//receiver-org") is None
