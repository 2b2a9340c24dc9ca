"""IATI activity reader: the compiled walk (pipelines/sources/iati/activity.pyx) reads what lxml reads, on
edge cases, every reference file and randomly mutated activities, and agrees with ElementTree."""

from __future__ import annotations

from decimal import Decimal
import xml.etree.ElementTree as ET
from datetime import date

import polars as pl
import pytest
from lxml import etree

from pipelines.sources.iati import read_activities
from pipelines.sources.iati.activity import XML_LANG, element_view, plain_values
from iati_files import REF, _read_in_subprocess


# --- the compiled walk reads what lxml reads ----------------------------------
# pipelines/sources/iati/activity.pyx reads libxml2's tree in C instead of through
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
