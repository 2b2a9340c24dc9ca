"""Shipped DAC sector and category lists, checked against the pinned IATI codelist files shipped beside
them (SOURCES.md), every figure read again with ElementTree, never through pipelines.reference.
"""

from __future__ import annotations

import re

import csv
import hashlib
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from pipelines import reference as ref
from pipelines import reference_codelists as ref_codelists
from pipelines.sources.common import SourceError
from reference_files import CODELISTS, PROJECT, XML_LANG


# ------------------------------------------------------------------------- sectors


# The DAC lists are generated from the IATI codelist files shipped unchanged beside them
# (SOURCES.md). Every figure below is read again from those XML files with ElementTree here,
# never through pipelines.reference.

REFERENCE = PROJECT / "data" / "reference"
SECTOR_XML = REFERENCE / "dac_sector_codelist.xml"
CATEGORY_XML = REFERENCE / "dac_category_codelist.xml"


def _xml_items(path: Path) -> dict[str, dict[str, str | None]]:
    out = {}
    for item in ET.parse(path).getroot().find("codelist-items").findall("codelist-item"):
        names = {n.get(XML_LANG, "en"): n.text.strip() for n in item.find("name").findall("narrative")}
        out[item.find("code").text.strip()] = {
            "en": names["en"], "fr": names.get("fr"), "category": item.findtext("category"),
            "status": item.get("status", "active"),
        }
    return out


def _csv_rows(name: str, key: str) -> dict[str, dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def test_shipped_dac_codelists_are_the_pinned_iati_files():
    """The XML files are IATI's, unchanged: their sha256 is the one SOURCES.md pins."""
    sources = (REFERENCE / "SOURCES.md").read_text(encoding="utf-8")
    for path in (SECTOR_XML, CATEGORY_XML):
        row = next(line for line in sources.splitlines() if line.startswith("|") and f"`{path.name}`" in line)
        assert hashlib.sha256(path.read_bytes()).hexdigest() in row, path.name
        assert "IATI/IATI-Codelists-NonEmbedded" in row and "CC BY 4.0" in row


@pytest.mark.parametrize(("csv_name", "key", "xml"), [("dac_sectors.csv", "code5", SECTOR_XML),
                                                       ("dac_categories.csv", "code3", CATEGORY_XML)])
def test_every_dac_code_is_shipped_with_the_codelists_names(csv_name, key, xml):
    items, rows = _xml_items(xml), _csv_rows(csv_name, key)
    assert list(rows) == list(items)  # every code, withdrawn ones included, in the codelist's order
    for code, item in items.items():
        row = rows[code]
        assert row["name_en"] == item["en"], code
        # the codelist's French name; its English one only where it has no French
        assert row["name_fr"] == (item["fr"] or item["en"]), code
        assert row["status"] == item["status"], code
        if key == "code5":
            assert row["category3"] == item["category"] == code[:3], code
    # only withdrawn codes lack a French name, and SOURCES.md counts them
    no_french = [code for code, item in items.items() if item["fr"] is None]
    assert {items[code]["status"] for code in no_french} <= {"withdrawn"}
    noun = "purpose codes" if key == "code5" else "categories"
    sources = (REFERENCE / "SOURCES.md").read_text(encoding="utf-8")
    assert f"{len(no_french)} withdrawn {noun}" in sources


def test_loaders_read_the_shipped_dac_lists():
    sectors, categories = ref.load_sectors(), ref.load_sector_categories()
    assert sectors.height == len(_xml_items(SECTOR_XML))
    assert categories.height == len(_xml_items(CATEGORY_XML))
    assert categories.columns == ["code3", "name_fr", "name_en", "status"]
    assert sectors.filter(pl.col("name_fr").is_null() | pl.col("name_en").is_null()).height == 0


def test_every_purpose_code_has_a_shipped_category():
    categories = _csv_rows("dac_categories.csv", "code3")
    for code, item in _xml_items(SECTOR_XML).items():
        assert ref.category_of_sector(code) == item["category"] in categories, code
    # category 123 (NCDs, 2020) is the codelist's own now, no longer typed by hand
    assert categories["123"]["name_en"] == _xml_items(CATEGORY_XML)["123"]["en"]


def test_a_purpose_code_newer_than_2018_has_its_name():
    # 74020 was added by the OECD after pyIATI's 2018 list: the dashboard showed "Secteur CAD 74020"
    item = _xml_items(SECTOR_XML)["74020"]
    row = _csv_rows("dac_sectors.csv", "code5")["74020"]
    assert (row["name_fr"], row["name_en"]) == (item["fr"], item["en"])
    assert item["en"] == "Multi-hazard response preparedness" and item["status"] == "active"


def test_no_french_category_name_is_in_capitals_without_its_accents():
    """The 2018 list wrote 18 French categories in capitals without accents ("INDUSTRIES
    MANUFACTURIERES"): wherever the codelist's French name has accents, the shipped one keeps
    them, and so does its display (sentence case)."""
    from dashboard.i18n import sentence_case

    rows = _csv_rows("dac_categories.csv", "code3")
    accented = {code: item["fr"] for code, item in _xml_items(CATEGORY_XML).items()
                if item["fr"] and item["fr"] != _fold(item["fr"])}
    assert accented  # the codelist has accented French names
    for code, name in accented.items():
        shown = rows[code]["name_fr"]
        assert not (shown.isupper() and shown == _fold(shown)), code
        assert _accents(sentence_case(shown)) == _accents(name), code
    assert "Industries Manufacturières" in {r["name_fr"] for r in rows.values()}
    assert sentence_case("Industries Manufacturières") == "Industries manufacturières"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _accents(text: str) -> list[str]:
    return [c.lower() for c in text if not c.isascii()]


def test_sentence_case_keeps_accents_and_acronyms_of_every_dac_name():
    """The display rule on every shipped name: letters only change case (accents kept), the
    first letter never; only a name in capitals or a capitalised word (one capital, then lower
    case) changes, so acronyms (VIH/sida, TIC, MST, COVID-19, NGOs) are unchanged."""
    from dashboard.i18n import sentence_case

    names = [row[f"name_{lang}"] for name, key in (("dac_sectors.csv", "code5"), ("dac_categories.csv", "code3"))
             for row in _csv_rows(name, key).values() for lang in ("fr", "en")]
    for name in names:
        shown = sentence_case(name)
        assert shown.lower() == name.lower() and shown[0] == name[0], name
        if not name.isupper():
            letters = re.compile(r"[^\W\d_]+")
            for before, after in zip(letters.findall(name), letters.findall(shown)):
                assert after == before or (after == before.lower() and len(before) > 1 and before[0].isupper()
                                           and before[1:].islower()), (name, shown)
    acronyms = [n for n in names if any(a in n for a in ("VIH/sida", "(TIC)", "MST", "COVID-19"))]
    assert len(acronyms) >= 4 and all(sentence_case(n) == n for n in acronyms)


def test_sample_draws_only_active_purpose_codes():
    from pipelines.sample import vocab

    items = _xml_items(SECTOR_XML)
    drawn = {code for codes in vocab.SECTORS.values() for code in codes}
    assert {code: items[code]["status"] for code in drawn} == dict.fromkeys(drawn, "active")


def test_write_dac_lists_regenerates_the_shipped_csvs(tmp_path):
    for path in (SECTOR_XML, CATEGORY_XML):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert ref_codelists.write_dac_sectors(tmp_path).read_bytes() == (REFERENCE / "dac_sectors.csv").read_bytes()
    assert ref_codelists.write_dac_categories(tmp_path).read_bytes() == (REFERENCE / "dac_categories.csv").read_bytes()


def test_load_iati_sector_codelist_reads_full_list():
    frame = ref_codelists.load_iati_sector_codelist(SECTOR_XML)
    items = _xml_items(SECTOR_XML)
    assert frame["code5"].to_list() == list(items)
    assert frame.filter(pl.col("name_fr").is_not_null()).height == sum(1 for i in items.values() if i["fr"])
    assert frame.filter(pl.col("status") == "withdrawn").height == sum(
        1 for i in items.values() if i["status"] == "withdrawn"
    )
    first = next(iter(items.values()))
    assert frame.row(0, named=True)["name_en"] == first["en"]


def test_iati_codelist_readers_refuse_another_codelist():
    with pytest.raises(SourceError, match=r"Country\.xml.*Sector"):
        ref_codelists.load_iati_sector_codelist(CODELISTS / "Country.xml")
    with pytest.raises(SourceError, match=r"dac_sector_codelist\.xml.*SectorCategory"):
        ref_codelists.load_iati_sector_category_codelist(SECTOR_XML)
