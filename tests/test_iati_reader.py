"""IATI activity reader: real reference files, the schema's own test files, and
generated hostile or broken files. Figures are recomputed here with the standard
library's ElementTree, independently of the reader."""

from __future__ import annotations

import json
from decimal import Decimal
import subprocess
import sys
import textwrap
from functools import partial
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from lxml import etree

from pipelines.ingest import ingest_source
from pipelines.sources.common import SourceError
from pipelines.sources.contracts import IATI_TABLES
from pipelines.sources.iati import iter_activity_batches, read_activities
from pipelines.sources.iati_activity import XML_LANG, element_view, plain_values

REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "iati"
PROJECT = Path(__file__).resolve().parents[1]

ACTIVITY_FILES = [
    REF / "examples_v2.03" / "activity-standard-example-annotated.xml",
    REF / "examples_v2.03" / "2.01-example-annotated.xml",
    REF / "publishers_v1" / "aet-activities.xml",
    REF / "publishers_v1" / "complex_example_dfid.xml",
    REF / "publishers_v1" / "single_activity.xml",
]
# Written from the IATI 1.0x TransactionType codelist names, independently of
# pipelines.sources.iati_codes: Commitment, Disbursement, Expenditure, Incoming
# Funds, Interest Repayment, Loan Repayment, Reimbursement, Purchase/Sale of
# Equity, Credit Guarantee.
V1_TO_V2 = {"C": "2", "D": "3", "E": "4", "IF": "1", "IR": "5", "LR": "6",
            "R": "7", "QP": "8", "QS": "9", "CG": "10"}


def et_figures(path: Path) -> tuple[int, int, dict[str, Decimal]]:
    """(activities, transactions, value sum per 2.0x type) by plain ElementTree."""
    root = ET.parse(path).getroot()
    activities = root.findall("iati-activity")
    sums: dict[str, Decimal] = {}
    n_tx = 0
    for act in activities:
        for tx in act.findall("transaction"):
            n_tx += 1
            code = tx.find("transaction-type").get("code")
            code = V1_TO_V2.get(code, code)
            sums[code] = sums.get(code, Decimal(0)) + Decimal(tx.find("value").text.strip())
    return len(activities), n_tx, sums


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def activity(identifier: str, *children: str, currency: str = "EUR") -> str:
    return (f'<iati-activity default-currency="{currency}"><iati-identifier>{identifier}'
            f"</iati-identifier>{''.join(children)}</iati-activity>\n")


def tx(code: str, value: str, iso: str = "2023-03-01") -> str:
    return (f'<transaction><transaction-type code="{code}"/><transaction-date iso-date="{iso}"/>'
            f"<value>{value}</value></transaction>")


def activities_file(tmp_path: Path, *acts: str, version: str = "2.03") -> Path:
    return write(tmp_path, "gen.xml",
                 f'<?xml version="1.0"?>\n<iati-activities version="{version}">\n{"".join(acts)}</iati-activities>\n')


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


# --- the compiled walk reads what lxml reads ----------------------------------
# pipelines/sources/iati_activity.pyx reads libxml2's tree in C instead of through
# lxml's Python API; `element_view` shows what it reads, compared here with lxml itself.

EDGE_CASES = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" xmlns:x="urn:ext" xml:lang="en">
 <iati-activity default-currency=" EUR " x:default-currency="USD" xml:lang="fr" hierarchy="">
  <iati-identifier><![CDATA[FR-1]]> &amp; <!-- a comment --> tail</iati-identifier>
  <title><narrative xml:lang="es">caf&#233; <?pi here?> apr\u00e8s</narrative><narrative/></title>
  <x:transaction><x:value>5</x:value></x:transaction>
  <transaction xmlns="urn:default"><value>7</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2024-01-01"/>
   <value currency="" value-date="2024-01-02">  1.5 </value></transaction>
  <sector code="&lt;15110&gt;" percentage='100' x:code="99"/>
  <description type="2">D\u00e9tail \U0001F600</description>
 </iati-activity>
</iati-activities>
"""


def _disagreements(root) -> tuple[int, list]:
    """Every element of the tree read both ways: (elements compared, differences)."""
    compared, differ = 0, []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments, PIs, entities: never matched by tag
        names = [k for k in el.attrib if not k.startswith("{")] + ["not-there"]
        expected = (None if el.tag.startswith("{") else el.tag, el.text,
                    [el.get(k) for k in names], el.get(XML_LANG))
        got = element_view(el, names)
        compared += 1
        if tuple(got) != expected:
            differ.append((el.sourceline, expected, got))
    return compared, differ


@pytest.mark.parametrize("strip_cdata", [True, False])
@pytest.mark.parametrize("remove_comments", [True, False])
def test_compiled_walk_reads_edge_cases_as_lxml_does(strip_cdata, remove_comments):
    parser = etree.XMLParser(resolve_entities=False, strip_cdata=strip_cdata, remove_comments=remove_comments)
    root = etree.fromstring(EDGE_CASES.encode(), parser)
    compared, differ = _disagreements(root)
    assert compared == 16 and differ == []


def test_compiled_walk_reads_unexpanded_entities_as_lxml_does():
    """The reader refuses DTDs, but the walk still answers as lxml does when an
    attribute or a text holds an entity reference (lxml assembles the attribute)."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    root = etree.fromstring(b'<!DOCTYPE a [<!ENTITY e "ex">]><a code="1&e;2" ref="&e;">t&e;u<b>&e;</b></a>', parser)
    compared, differ = _disagreements(root)
    assert compared == 2 and differ == []
    assert element_view(root, ["code"])[2] == ["1ex2"]


def test_compiled_walk_reads_every_reference_file_as_lxml_does():
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    compared = files = 0
    for path in sorted(REF.rglob("*.xml")):
        try:
            root = etree.parse(str(path), parser).getroot()
        except etree.XMLSyntaxError:
            continue  # the schema's deliberately broken test files
        n, differ = _disagreements(root)
        assert differ == [], path
        compared, files = compared + n, files + 1
    assert files >= 700 and compared > 15_000  # 702 files, 17,601 elements on 2026-11-29


def test_fast_paths_take_only_what_the_checker_takes_and_agree():
    """The walk reads a plain YYYY-MM-DD or a plain decimal in C; anything else goes
    to the Python Checker. The C paths must accept a subset of what the Checker
    accepts (date.fromisoformat; digits with one dot then float()) with equal values."""
    import random

    rng = random.Random(20261129)
    dates = [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in
             ((rng.randint(0, 9999), rng.randint(0, 13), rng.randint(0, 32)) for _ in range(20_000))]
    dates += ["2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "2023-04-31"]
    taken = 0
    for text in dates:
        try:
            expected = date.fromisoformat(text)
        except ValueError:
            expected = None
        assert plain_values(text)[0] == expected, text
        taken += expected is not None
    assert taken > 10_000

    alphabet = "0123456789.-+ eE\u0663"
    numbers = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(20_000)]
    numbers += ["1234.50", "5.", ".5", ".", "", "9" * 400, "0012", "1e5", "inf", "nan", " 5", "\u0661\u0662", "1,5"]
    taken = 0
    for text in numbers:
        value = plain_values(text)[1]
        if value is not None:
            assert text.replace(".", "", 1).isdecimal() and value == float(text), text
            taken += 1
    assert plain_values("1234.50") == (None, 1234.5) and plain_values("9" * 400)[1] is None  # too large: the Checker's
    assert taken > 1_000


# Values a publisher might write where the walk reads a date, a number or a code.
MUTANTS = ["", " ", "1234.50", " 1234.50 ", "1,234.50", "1e5", "inf", "nan", "-5", "+5", ".5", "5.", ".",
           "\u0661\u0662\u0663", "12.3.4", "9" * 400, "0012", "2023-02-29", "2024-02-29", "2023-13-01",
           "0000-01-01", "2023-1-01", "20230301", "2023-03-01T10:00:00", " 2023-03-01", "2023-W10-3", "abc",
           "C", "D", "3", " 3 ", "IF", "EUR", " eur ", "fr", "\t7\n", "<&>"]
MUTATED_ATTRIBUTES = ["iso-date", "value-date", "percentage", "code", "vocabulary", "currency", "value", "year",
                      "type", "role", "{http://www.w3.org/XML/1998/namespace}lang"]


def test_randomly_mutated_activities_keep_the_invariants_and_the_money(sample_dir, tmp_path):
    """A fuzz test of the compiled walk: the sample's activities with random values in
    attributes and texts, CDATA, removed elements. Read in a child process (a crash
    would fail the test, not end the run); every activity accounted for, every error
    names a field, and each accepted activity's transactions carry the values
    ElementTree reads."""
    import random

    rng = random.Random(1129)
    acts = etree.parse(str(sample_dir / "iati" / "region-activities.xml")).getroot().findall("iati-activity")
    paths = []
    for k in range(6):
        root = etree.Element("iati-activities", version="2.03")
        for act in rng.sample(acts, 200):
            act = etree.fromstring(etree.tostring(act))
            elements = list(act.iter())
            for _ in range(rng.randint(0, 6)):
                el, r = rng.choice(elements), rng.random()
                if r < 0.5:
                    el.set(rng.choice(MUTATED_ATTRIBUTES), rng.choice(MUTANTS))
                elif r < 0.8 and len(el) == 0:
                    el.text = rng.choice(MUTANTS)
                elif r < 0.9 and el.getparent() is not None:
                    el.getparent().remove(el)
                elif len(el) == 0 and el.text:
                    el.text = etree.CDATA(el.text)
            root.append(act)
        paths.append(tmp_path / f"mutated-{k}.xml")
        etree.ElementTree(root).write(str(paths[-1]), xml_declaration=True, encoding="UTF-8")
    for path in paths:
        assert _read_in_subprocess(path) == {"ok": 200}, path

    rejected = 0
    for path in paths:
        result = read_activities(path)
        assert result.rows_accepted + result.rows_rejected == result.rows_read == 200
        assert all(p.field for p in result.problems)
        rejected += result.rows_rejected
        accepted = set(result.tables["activities"]["source_row"])
        tx = result.tables["transactions"]
        for n, act in enumerate(ET.parse(path).getroot().findall("iati-activity"), start=1):
            xpath = f"/iati-activities/iati-activity[{n}]"
            if xpath not in accepted:
                continue
            expected = [Decimal(t.find("value").text.strip()) for t in act.findall("transaction")]
            got = tx.filter(pl.col("source_row").str.starts_with(xpath + "/"))["value"].to_list()
            assert got == expected, xpath
    assert 0 < rejected < 1200  # the mutations do reject some activities, not all


def test_edge_cases_read_as_elementtree_reads_them(tmp_path):
    """Namespaced look-alikes are not IATI elements; CDATA, entities and character
    references are text; blank attributes are absent; a typed description is the
    fallback when there is no general one. Expected values from ElementTree."""
    path = tmp_path / "edge.xml"
    path.write_text(EDGE_CASES, encoding="utf-8")
    root = ET.parse(path).getroot()
    act = root.find("iati-activity")
    ours = read_activities(path)
    assert ours.rows_rejected == 0
    row = ours.tables["activities"].row(0, named=True)
    assert row["iati_identifier"] == act.find("iati-identifier").text.strip() == "FR-1 &  tail"
    assert row["default_currency"] == act.get("default-currency").strip()
    assert row["description"] == act.find("description").text
    assert row["hierarchy"] == act.get("hierarchy") == ""
    transactions = ours.tables["transactions"]
    assert transactions.height == len(act.findall("transaction")) == 1
    assert transactions["value"].to_list() == [float(act.find("transaction/value").text)]
    assert transactions["currency"].to_list() == ["EUR"]  # blank currency: the activity's default
    assert ours.tables["activity_sectors"]["code"].to_list() == [act.find("sector").get("code")] == ["<15110>"]


# --- generated files: hostile and broken XML -----------------------------------

def _read_in_subprocess(path: Path) -> dict:
    """Run the reader in a child with a timeout, so a hang fails instead of blocking."""
    code = textwrap.dedent(f"""
        import json
        from pipelines.sources.common import SourceError
        from pipelines.sources.iati import read_activities
        try:
            r = read_activities({str(path)!r})
            print(json.dumps({{"ok": r.rows_read}}))
        except SourceError as e:
            print(json.dumps({{"error": str(e), "reason": e.reason, "where": e.where}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_xxe_is_refused_and_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    path = write(tmp_path, "xxe.xml", f"""
        <?xml version="1.0"?>
        <!DOCTYPE iati-activities [<!ENTITY x SYSTEM "file://{secret}">]>
        <iati-activities version="2.03"><iati-activity><iati-identifier>&x;</iati-identifier>
        </iati-activity></iati-activities>""")
    out = _read_in_subprocess(path)
    assert out["where"] == "line 2" and "DOCTYPE" in out["reason"]
    assert "TOP-SECRET-42" not in out["error"] and "xxe.xml" in out["error"]


def test_billion_laughs_is_refused(tmp_path):
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    path = write(tmp_path, "lol.xml",
                 '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n' + "\n".join(ents) + "\n]>\n"
                 '<iati-activities version="2.03"><iati-activity><iati-identifier>&lol9;'
                 "</iati-identifier></iati-activity></iati-activities>\n")
    out = _read_in_subprocess(path)
    assert out["where"] == "line 2" and "DOCTYPE" in out["reason"]


def test_doctype_hidden_after_a_long_comment_is_still_refused(tmp_path):
    # Past the bounded head scan: the parser's own doctype info catches it.
    path = write(tmp_path, "late.xml",
                 "<!--" + "x" * 100_000 + "-->\n<!DOCTYPE iati-activities>\n"
                 + '<iati-activities version="2.03">' + activity("A-1") + "</iati-activities>\n")
    with pytest.raises(SourceError, match="DOCTYPE"):
        read_activities(path)


def test_plain_doctype_is_refused(tmp_path):
    path = write(tmp_path, "dt.xml", '<?xml version="1.0"?>\n<!DOCTYPE iati-activities SYSTEM "x.dtd">\n'
                 '<iati-activities version="2.03">' + activity("A-1") + "</iati-activities>\n")
    with pytest.raises(SourceError, match="DOCTYPE") as err:
        read_activities(path)
    assert err.value.where == "line 2"


def test_truncated_file_is_refused_with_its_line(tmp_path):
    full = activities_file(tmp_path, activity("A-1", tx("2", "1")), activity("A-2", tx("2", "1")))
    text = full.read_text()
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: text.rindex("<transaction>")])  # cut inside the 2nd activity
    with pytest.raises(SourceError, match="malformed XML") as err:
        read_activities(cut)
    assert err.value.where == f"line {text[: text.rindex('<transaction>')].count(chr(10)) + 1}"


def test_not_xml_at_all_is_refused(tmp_path):
    path = write(tmp_path, "junk.xml", "iati-identifier;value\nA;1\n")
    with pytest.raises(SourceError, match="malformed XML"):
        read_activities(path)


# --- batches and the streamed warehouse load ------------------------------------

def _five_activities(tmp_path: Path) -> Path:
    return activities_file(
        tmp_path,
        activity("B-1", tx("2", "100"), tx("3", "40")),
        activity("B-2", tx("ZZ", "9")),  # rejected: its problems must stay in its batch
        activity("B-3", tx("3", "7")),
        activity("B-4", tx("2", "1"), tx("3", "2"), tx("3", "3")),
        activity("B-5", tx("C", "5")),
    )


def test_batches_balance_and_concatenate_to_the_whole_read(tmp_path):
    path = _five_activities(tmp_path)
    n_act, n_tx, _sums = et_figures(path)
    batches = list(iter_activity_batches(path, batch_size=2))
    assert [b.rows_read for b in batches] == [2, 2, 1]
    assert sum(b.rows_read for b in batches) == n_act == 5
    assert [b.rows_rejected for b in batches] == [1, 0, 0]
    # XPaths number activities across batches, not within one
    assert batches[1].tables["activities"]["source_row"].to_list() == [
        "/iati-activities/iati-activity[3]", "/iati-activities/iati-activity[4]"]
    whole = read_activities(path)
    for name, frame in whole.tables.items():
        assert frame.equals(pl.concat([b.tables[name] for b in batches])), name
    assert whole.tables["transactions"].height == n_tx - 1  # B-2's one transaction is rejected
    assert [b.rows_read for b in iter_activity_batches(path, batch_size=5)] == [5, 0]


def _ingest(tmp_path: Path, files: list[Path], batch_size: int):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    stats = ingest_source(conn, "iati", files, partial(iter_activity_batches, batch_size=batch_size),
                          IATI_TABLES)
    return conn, stats


def test_a_file_refused_after_some_batches_leaves_no_row(tmp_path):
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    good_dir.mkdir(), bad_dir.mkdir()
    good = _five_activities(good_dir)
    text = _five_activities(bad_dir).read_text()
    cut = bad_dir / "cut.xml"
    cut.write_text(text[: text.rindex("<transaction>")])  # cut inside the 5th activity
    n_act, _n_tx, sums = et_figures(good)
    conn, stats = _ingest(tmp_path, [cut, good], batch_size=2)  # the cut file wrote 2 batches first
    assert stats["files_refused"] == 1 and stats["rows_read"] == n_act
    assert conn.execute("select distinct source_file from raw.transactions").fetchall() == [(good.name,)]
    assert conn.execute("select distinct source_file from raw.activities").fetchall() == [(good.name,)]
    got = conn.execute("select sum(value) from raw.transactions").fetchall()[0][0]
    assert got == pytest.approx(sum(sums.values()) - sums["ZZ"])  # B-2 is rejected whole
    loads = {r[0]: r[1:] for r in conn.execute(
        "select source_file, rows_read, rows_accepted, rows_rejected, error is null from quality.file_loads"
    ).fetchall()}
    assert loads == {good.name: (5, 4, 1, True), cut.name: (0, 0, 0, False)}
    # the cut file's own B-2 problem (written with its first batch) is gone too
    rejected = conn.execute("select source_file, source_row, severity from quality.rejected_rows").fetchall()
    assert sorted(rejected) == sorted([("cut.xml", "", "error"),
                                       (good.name, "/iati-activities/iati-activity[2]", "error")])


def test_streamed_load_equals_the_whole_read(tmp_path):
    path = _five_activities(tmp_path)
    whole = read_activities(path)
    conn, stats = _ingest(tmp_path, [path], batch_size=2)
    assert (stats["rows_read"], stats["rows_accepted"], stats["rows_rejected"]) == (5, 4, 1)
    for name, frame in whole.tables.items():
        stored = conn.sql(f"select * from raw.{name}").pl()
        assert stored.height == frame.height, name
        assert sorted(stored["source_row"].to_list()) == sorted(frame["source_row"].to_list()), name


# --- memory --------------------------------------------------------------------

def test_memory_stays_flat_on_a_large_file(tmp_path):
    """~45 MB of activities whose bulk (location descriptions) the reader does not
    keep: peak memory must stay far below the file size. Measured in a child
    process: Python heap via tracemalloc, and the C heap (lxml's tree) through
    the peak resident size gained while reading."""
    path = tmp_path / "big.xml"
    bulk = "<location><description><narrative>" + "lorem ipsum " * 900 + "</narrative></description></location>"
    with path.open("w") as fh:
        fh.write('<?xml version="1.0"?>\n<iati-activities version="2.03">\n')
        for i in range(4000):
            fh.write(activity(f"FR-M-{i}", bulk, tx("2", "10"), tx("3", "5")))
        fh.write("</iati-activities>\n")
    size = path.stat().st_size
    assert size > 40_000_000
    # The child inherits its peak RSS from pytest across fork/exec, so reset the
    # kernel's high-water mark (clear_refs 5) and read VmHWM after the read.
    code = textwrap.dedent(f"""
        import json, re, tracemalloc
        from pipelines.sources.iati import read_activities
        def status(key):
            text = open("/proc/self/status").read()
            return int(re.search(key + r":\\s+(\\d+) kB", text).group(1)) * 1024
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        before = status("VmRSS")
        tracemalloc.start()
        r = read_activities({str(path)!r})
        peak = tracemalloc.get_traced_memory()[1]
        print(json.dumps({{"read": r.rows_read, "tx": r.tables["transactions"].height,
                          "py_peak": peak, "rss_gain": status("VmHWM") - before}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, timeout=300, check=True)
    out = json.loads(done.stdout)
    assert (out["read"], out["tx"]) == (4000, 8000)
    assert out["py_peak"] < size / 5  # mostly the output tables themselves
    assert out["rss_gain"] < size / 2
