"""IATI activity reader on real reference files, the schema's own test files, and generated files with
per-element problems. Figures are recomputed here with the standard library's ElementTree (iati_files.py),
independently of the reader."""

from __future__ import annotations

from decimal import Decimal
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.iati import read_activities
from iati_files import REF, activities_file, activity, et_figures, tx, write


ACTIVITY_FILES = [
    REF / "examples_v2.03" / "activity-standard-example-annotated.xml",
    REF / "examples_v2.03" / "2.01-example-annotated.xml",
    REF / "publishers_v1" / "aet-activities.xml",
    REF / "publishers_v1" / "complex_example_dfid.xml",
    REF / "publishers_v1" / "single_activity.xml",
]


# --- real files --------------------------------------------------------------

@pytest.mark.parametrize("path", ACTIVITY_FILES, ids=lambda p: p.name)
def test_counts_and_sums_match_elementtree(path: Path):
    n_act, n_tx, sums = et_figures(path)
    result = read_activities(path)
    assert result.rows_read == n_act
    assert result.rows_rejected == 0  # these published files are all readable
    assert result.rows_accepted + result.rows_rejected == result.rows_read
    assert result.tables["activities"].height == n_act
    tx_frame = result.tables["transactions"]
    assert tx_frame.height == n_tx
    got = {}
    for ttype, value in zip(tx_frame["transaction_type"], tx_frame["value"]):
        got[ttype] = got.get(ttype, Decimal(0)) + value
    assert got.keys() == sums.keys()
    for code, total in sums.items():
        assert got[code] == total  # exact: the reader's amounts are DECIMAL(38, 10)
    assert tx_frame["transaction_date"].null_count() == 0


def test_official_203_example_fields():
    path = ACTIVITY_FILES[0]
    root = ET.parse(path).getroot()
    act = root.find("iati-activity")
    t = read_activities(path).tables
    row = t["activities"].row(0, named=True)
    assert row["iati_identifier"] == act.findtext("iati-identifier").strip()
    assert row["iati_version"] == root.get("version") == "2.03"
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    french = [n.text for n in act.find("title").findall("narrative") if n.get(lang) == "fr"]
    assert row["title"] == french[0]
    a1 = [o.get("ref") for o in act.findall("other-identifier") if o.get("type") == "A1"]
    assert row["grant_reference"] == a1[0]
    dates = {d.get("type"): d.get("iso-date") for d in act.findall("activity-date")}
    assert row["start_date"] == date.fromisoformat(dates["2"])  # actual start beats planned
    assert row["end_date"] == date.fromisoformat(dates["3"])

    sectors = t["activity_sectors"]
    expected = [(s.get("vocabulary") or "1", s.get("code"), float(s.get("percentage")))
                for s in act.findall("sector")]
    assert list(zip(sectors["vocabulary"], sectors["code"], sectors["percentage"])) == expected

    locs = t["activity_locations"]
    assert locs.filter(kind="country")["code"].to_list() == [c.get("code") for c in act.findall("recipient-country")]
    assert locs["percentage"].sum() == pytest.approx(
        sum(float(e.get("percentage")) for e in act if e.tag in ("recipient-country", "recipient-region")))

    ind = act.find("result/indicator")
    res = t["results"].row(0, named=True)
    assert res["baseline_year"] == int(ind.find("baseline").get("year"))
    assert res["baseline_value"] == float(ind.find("baseline").get("value"))
    assert res["target_value"] == float(ind.find("period/target").get("value"))
    assert res["actual_value"] == float(ind.find("period/actual").get("value"))
    assert res["ascending"] is True

    tx_row = t["transactions"].row(0, named=True)
    xtx = act.find("transaction")
    assert tx_row["currency"] == xtx.find("value").get("currency")
    assert tx_row["recipient_country"] == xtx.find("recipient-country").get("code")
    assert tx_row["provider_org_ref"] == xtx.find("provider-org").get("ref")
    assert tx_row["source_row"] == "/iati-activities/iati-activity[1]/transaction[1]"


def test_v1_codes_are_translated():
    path = REF / "publishers_v1" / "single_activity.xml"
    act = ET.parse(path).getroot().find("iati-activity")
    result = read_activities(path)
    roles = {"Funding": "1", "Accountable": "2", "Extending": "3", "Implementing": "4"}
    assert result.tables["participating_orgs"]["role"].to_list() == [
        roles[p.get("role")] for p in act.findall("participating-org")]
    budgets = result.tables["budgets"]
    assert budgets.height == len(act.findall("budget"))
    assert set(budgets["budget_type"]) == {"1"}  # "Original"
    assert budgets["value"].sum() == pytest.approx(sum(float(b.findtext("value")) for b in act.findall("budget")))
    # No default-currency-less values here: every transaction has a currency.
    assert result.tables["transactions"]["currency"].null_count() == 0
    # Indicator figures written "20,000" are flagged, never guessed, and do not
    # cost the activity.
    bad = [p for p in result.problems if "," in (p.value or "")]
    assert bad and all(p.severity == "warning" and p.field.endswith("/@value") for p in bad)
    n_values = sum(1 for per in act.iter("period") for e in per if e.tag in ("target", "actual")
                   and "," in e.get("value", ""))
    assert len(bad) == n_values


def test_v1_dates_and_sector_vocabulary(tmp_path):
    path = write(tmp_path, "v1.xml", """
        <iati-activities version="1.03">
          <iati-activity default-currency="GBP">
            <iati-identifier>GB-1-X</iati-identifier>
            <title>Plain 1.0x title</title>
            <activity-date type="start-planned" iso-date="2010-01-01"/>
            <activity-date type="end-actual" iso-date="2012-06-30"/>
            <participating-org role="Accountable">A</participating-org>
            <sector code="11220" percentage="60"/>
            <sector vocabulary="DAC" code="12220" percentage="40"/>
            <recipient-country code="sn"/>
            <transaction><transaction-type code="IF"/><transaction-date iso-date="2010-02-01"/>
              <value value-date="2010-02-03">10</value></transaction>
            <transaction><transaction-type code="QS"/><transaction-date iso-date="2010-03-01"/>
              <value currency="USD">5</value></transaction>
          </iati-activity>
        </iati-activities>""")
    t = read_activities(path).tables
    row = t["activities"].row(0, named=True)
    assert (row["title"], row["start_date"], row["end_date"]) == (
        "Plain 1.0x title", date(2010, 1, 1), date(2012, 6, 30))
    assert t["participating_orgs"]["role"].to_list() == ["2"]
    assert t["activity_sectors"]["vocabulary"].to_list() == ["1", "1"]
    assert t["activity_locations"].row(0, named=True)["code"] == "SN"
    txs = t["transactions"]
    assert txs["transaction_type"].to_list() == ["1", "9"]
    assert txs["currency"].to_list() == ["GBP", "USD"]
    assert txs["value_date"].to_list() == [date(2010, 2, 3), date(2010, 3, 1)]


def test_bare_activity_root_is_read_and_its_bad_date_rejects_it_by_name():
    """The IATI Datastore's "broken" file is one bare <iati-activity> (no wrapper),
    which is read; its transaction has a free-text `<transaction-date>2010</...>`
    without @iso-date, so the activity is rejected with that field named."""
    path = REF / "publishers_v1" / "broken_activity_01.xml"
    root = ET.parse(path).getroot()
    assert root.tag == "iati-activity" and root.find("transaction/transaction-date").get("iso-date") is None
    result = read_activities(path)
    assert (result.rows_read, result.rows_rejected) == (1, 1)
    [problem] = [p for p in result.problems if p.severity == "error"]
    assert (problem.source_row, problem.field) == ("/iati-activity", "transaction[1]/transaction-date/@iso-date")


def test_organisation_file_is_not_an_activity_file():
    with pytest.raises(SourceError, match="not an IATI activity file"):
        read_activities(REF / "examples_v2.03" / "organisation-standard-example-annotated.xml")


# --- the schema's own test files ----------------------------------------------

SCHEMA_TESTS = REF / "schema_v2.03" / "tests"
SCHEMA_FILES = sorted(
    [*(SCHEMA_TESTS / "activity-tests").rglob("*.xml"), *(SCHEMA_TESTS / "should-pass" / "iati-activities").rglob("*.xml"),
     *(SCHEMA_TESTS / "should-fail" / "iati-activities").rglob("*.xml")]
)


def test_schema_test_files_keep_the_read_invariant(tmp_path):
    """The schema's 500+ activity test files use placeholders (version "xx", empty
    identifiers, codes "xx"). Read as they are they are refused for the version;
    with a real version each one reads, every activity is accounted for, and every
    rejected one carries an error naming a field."""
    assert len(SCHEMA_FILES) > 500
    with pytest.raises(SourceError, match="unsupported IATI version 'xx'"):
        read_activities(SCHEMA_FILES[0])
    work = tmp_path / "t.xml"
    outcomes = {"read": 0, "rejected": 0, "refused": 0}
    for src in SCHEMA_FILES:
        raw = src.read_bytes()
        work.write_bytes(raw.replace(b'version="xx"', b'version="2.03"'))
        try:
            result = read_activities(work)
        except SourceError as err:
            outcomes["refused"] += 1
            assert "version" in err.reason or "root" in err.reason, src
            continue
        n = len(ET.fromstring(raw).findall("iati-activity"))
        assert result.rows_read == n, src
        assert result.rows_accepted + result.rows_rejected == n
        assert result.tables["activities"].height == result.rows_accepted
        errors = {p.source_row for p in result.problems if p.severity == "error"}
        assert len(errors) == result.rows_rejected
        assert all(p.field for p in result.problems)
        outcomes["read"] += n
        outcomes["rejected"] += result.rows_rejected
    # All placeholders have an empty <iati-identifier>: nothing can be joined.
    assert outcomes["read"] > 500 and outcomes["rejected"] == outcomes["read"]
    # Only the "missing version" file has no version to replace... and still reads.
    assert outcomes["refused"] == 0


# --- generated files: per-element problems -------------------------------------

def test_bad_elements_reject_their_activity_only(tmp_path):
    path = activities_file(
        tmp_path,
        activity("FR-OK-1", tx("2", "100"), tx("3", "40")),
        activity("FR-BAD-2", tx("2", "100"), tx("3", "forty")),
        '<iati-activity><title><narrative>no id</narrative></title></iati-activity>\n',
        activity("FR-BAD-4", tx("ZZ", "1"), tx("3", "1", iso="2023-13-45")),
        activity("FR-OK-5", tx("C", "7")),  # a 1.0x code in a 2.0x file is unambiguous
        activity("FR-BAD-6", tx("2", "1"), currency=""),
    )
    result = read_activities(path)
    assert result.rows_read == 6
    assert result.tables["activities"]["iati_identifier"].to_list() == ["FR-OK-1", "FR-OK-5"]
    assert result.rows_accepted == 2 and result.rows_rejected == 4
    assert result.tables["transactions"]["value"].to_list() == [100.0, 40.0, 7.0]
    assert result.tables["transactions"]["transaction_type"].to_list() == ["2", "3", "2"]
    found = {(p.source_row, p.field, p.value) for p in result.problems if p.severity == "error"}
    assert found == {
        ("/iati-activities/iati-activity[2]", "transaction[2]/value", "forty"),
        ("/iati-activities/iati-activity[3]", "iati-identifier", None),
        ("/iati-activities/iati-activity[4]", "transaction[1]/transaction-type/@code", "ZZ"),
        ("/iati-activities/iati-activity[4]", "transaction[2]/transaction-date/@iso-date", "2023-13-45"),
        ("/iati-activities/iati-activity[6]", "transaction[1]/value/@currency", None),
    }
    message = next(p for p in result.problems if p.value == "forty").message()
    assert message == (f"{path.name}:/iati-activities/iati-activity[2]:transaction[2]/value: "
                       "not a decimal number (value: 'forty')")


def test_percentages_not_summing_to_100_warn_but_keep(tmp_path):
    path = activities_file(tmp_path, activity(
        "FR-P-1",
        '<recipient-country code="SN" percentage="50"/><recipient-region code="289" percentage="30"/>',
        '<sector code="11220" percentage="70"/><sector code="12220" percentage="30"/>',
        '<sector vocabulary="2" code="111" percentage="90"/>',
    ))
    result = read_activities(path)
    assert result.rows_accepted == 1
    warnings = [p for p in result.problems if p.severity == "warning"]
    assert all(p.reason.startswith("percent_sum") for p in warnings)
    assert sorted(p.value for p in warnings) == ["80", "90"]
    assert result.tables["activity_locations"].filter(kind="region")["vocabulary"].to_list() == ["1"]


def test_french_narrative_preferred_else_default_language(tmp_path):
    path = write(tmp_path, "lang.xml", """
        <iati-activities version="2.03" xml:lang="es">
          <iati-activity>
            <iati-identifier>X-1</iati-identifier>
            <title><narrative xml:lang="en">Hello</narrative><narrative>Hola</narrative></title>
            <description><narrative xml:lang="en">EN</narrative><narrative xml:lang="fr">FR</narrative></description>
          </iati-activity>
        </iati-activities>""")
    row = read_activities(path).tables["activities"].row(0, named=True)
    assert (row["title"], row["description"]) == ("Hola", "FR")
