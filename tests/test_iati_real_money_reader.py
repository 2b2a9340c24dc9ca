"""Real IATI files through the reader: bare `<iati-activity>` roots, BOMs and file names,
other roots refused by name, and negative money read as written.

Every expected figure is computed another way (tests/real_iati_reading.py): the files are
read with the standard library's ElementTree and amounts with `decimal.Decimal`, never with
the pipeline's reader. Reference files are copied or reshaped into tmp_path at test time,
never into the repository. The money these files hold reaching the figures is
tests/test_iati_real_money.py's.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.iati import read_activities
from real_iati_reading import (BOM, DFID, EXAMPLE_203, GLOBAL_FUND, ORGANISATION_203, activities_of, bare_activity,
                               et_transactions)


# --- the reader: bare <iati-activity> roots, BOM, file names ------------------------------

def reader_transactions(path: Path) -> list[tuple]:
    frame = read_activities(path).tables["transactions"]
    return [(r["iati_identifier"], r["transaction_index"], r["transaction_type"], r["transaction_date"],
             r["value"], r["currency"], r["value_date"]) for r in frame.iter_rows(named=True)]


def et_rows(path: Path) -> list[tuple]:
    return [(t.identifier, t.index, t.ttype, t.day, float(t.value), t.currency, t.value_date)
            for t in et_transactions(path)]


@pytest.mark.parametrize(("src", "position"), [(DFID, 0), (DFID, 30), (DFID, 56), (GLOBAL_FUND, 0), (EXAMPLE_203, 0)],
                         ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_a_bare_activity_root_reads_its_transactions(tmp_path, src, position):
    path = bare_activity(src, position, tmp_path / "export.xml")
    assert ET.parse(path).getroot().tag == "iati-activity"
    result = read_activities(path)
    assert (result.rows_read, result.rows_rejected) == (1, 0)
    assert [p for p in result.problems if p.severity == "error"] == []
    expected = et_rows(path)
    assert expected and reader_transactions(path) == expected
    act = result.tables["activities"].row(0, named=True)
    assert act["source_row"] == "/iati-activity"
    assert act["iati_identifier"] == ET.parse(path).getroot().findtext("iati-identifier").strip()
    assert act["iati_version"] == ET.parse(src).getroot().get("version")  # None for the Global Fund's file
    assert result.tables["transactions"]["source_row"].to_list() == [
        f"/iati-activity/transaction[{n}]" for n in range(1, len(expected) + 1)]


def test_a_bare_root_takes_its_own_version(tmp_path):
    path = bare_activity(GLOBAL_FUND, 0, tmp_path / "gf.xml", version="1.03")
    assert ET.parse(path).getroot().get("version") == "1.03"
    result = read_activities(path)
    assert result.tables["activities"]["iati_version"].to_list() == ["1.03"]
    # the version is checked as a wrapper's is: a bare root cannot smuggle in an unknown one
    bad = bare_activity(GLOBAL_FUND, 0, tmp_path / "v3.xml", version="3.01")
    with pytest.raises(SourceError, match="unsupported IATI version '3.01'"):
        read_activities(bad)


@pytest.mark.parametrize("bare", [False, True], ids=["wrapped", "bare"])
def test_bom_and_file_name_change_nothing(tmp_path, bare):
    plain = (bare_activity(DFID, 3, tmp_path / "plain.xml") if bare
             else Path(shutil.copyfile(DFID, tmp_path / "plain.xml")))
    data = plain.read_bytes()
    assert not data.startswith(BOM)
    variants = {"bom.xml": BOM + data, "export": data, "export.XML": data, "activities.txt": BOM + data}
    reference = read_activities(plain)
    assert reference.rows_read == len(activities_of(ET.parse(plain).getroot()))
    for name, content in variants.items():
        path = tmp_path / name
        path.write_bytes(content)
        got = read_activities(path)
        assert (got.rows_read, got.rows_rejected) == (reference.rows_read, reference.rows_rejected), name
        for table, frame in reference.tables.items():
            assert got.tables[table].drop("source_file").equals(frame.drop("source_file")), (name, table)
            assert set(got.tables[table]["source_file"]) <= {path.name}
        assert reader_transactions(path) == et_rows(plain), name


def test_other_roots_are_refused_by_name(tmp_path):
    with pytest.raises(SourceError) as err:
        read_activities(ORGANISATION_203)
    assert "root element is <iati-organisations>" in err.value.reason
    assert "organisation file" in err.value.reason and "not an IATI activity file" in err.value.reason

    rss = tmp_path / "feed.xml"
    rss.write_text('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>x</title></channel></rss>\n')
    with pytest.raises(SourceError, match=r"feed\.xml:line 2: root element is <rss>.*not an IATI activity file"):
        read_activities(rss)

    # an activity nested inside a bare activity is no IATI shape: refused, not half-read
    nested = tmp_path / "nested.xml"
    inner = ET.tostring(activities_of(ET.parse(DFID).getroot())[1], encoding="unicode")
    outer = ET.tostring(activities_of(ET.parse(DFID).getroot())[0], encoding="unicode")
    nested.write_text(outer.replace("</iati-activity>", inner + "</iati-activity>", 1))
    with pytest.raises(SourceError, match="nested inside the root <iati-activity>"):
        read_activities(nested)


def test_negative_values_are_read_as_written():
    """CAFOD's file reports reversals as negative disbursements and incoming funds."""
    negatives = [t for t in et_transactions(DFID) if t.value < 0]
    assert len(negatives) == 23 and {t.ttype for t in negatives} == {"1", "3"}
    frame = read_activities(DFID).tables["transactions"].filter(pl.col("value") < 0)
    assert sorted(frame.select("iati_identifier", "transaction_index", "transaction_type", "value").rows()) == sorted(
        (t.identifier, t.index, t.ttype, float(t.value)) for t in negatives)
