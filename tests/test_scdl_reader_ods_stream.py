"""A large .ods streams, row by row (`workbook_ods`), and gives what calamine gives (issue 19).

`split` reads an .ods of more than `STREAM_CELLS` cells a row at a time, by calamine's rules,
and a smaller one with calamine whole. The two must agree cell for cell, or a file would give
other grants the day it passes 500,000 cells. Each file here is read both ways (`STREAM_CELLS`
set to 0, then out of reach) and the results compared; calamine (python-calamine, as locked)
is the independent reading:
- calamine's own 15 test workbooks (tests/data/real/ods-calamine, origin in SOURCES.md), written
  by LibreOffice and others for calamine's bug reports;
- the real SCDL .ods (the Pyrénées-Orientales file): the same grants, set-aside rows and problems;
- hand-made cells for what those files do not hold: rich text, annotations, repeats, formulas
  without values, covered cells, row groups, the attribute order, some seventy ISO date and time forms.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
from ods_files import cell, date, number, ods, row, table, text, time

from pipelines.sources.scdl import split
from pipelines.sources.scdl.workbook_guard import check_workbook
from workbook_readers import assert_same_grants_both_ways, read_both, read_sheets, readers_chosen, streamed_cells

ROOT = Path(__file__).resolve().parent
CALAMINE_ODS = sorted((ROOT / "data/real/ods-calamine").glob("*.ods"))
SCDL_ODS = sorted((ROOT / "data/real/scdl").glob("*.ods")) + sorted(
    (ROOT.parent.parent / "shared/reference/scdl/real").glob("*.ods"))


def _both(path: Path, monkeypatch) -> list[pl.DataFrame]:
    frames = read_both(path, monkeypatch)
    assert not isinstance(frames, str), frames
    return frames


def test_the_corpora_are_there_as_sources_md_says():
    assert len(CALAMINE_ODS) == 15 and len(SCDL_ODS) >= 1
    listed = dict(re.findall(r"^\| (\S+\.ods) \| tests/\S+ \| [\d,]+ \| ([0-9a-f]{64}) \|$",
                             (ROOT / "data/real/SOURCES.md").read_text(), re.MULTILINE))
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in CALAMINE_ODS} == listed


@pytest.mark.parametrize("path", CALAMINE_ODS, ids=lambda p: p.name)
def test_each_calamine_test_workbook_streams_as_calamine_reads_it(path: Path, monkeypatch):
    refused = read_both(path, monkeypatch)
    if isinstance(refused, str):  # encrypted; a row repeated a billion times (refused by the guard)
        assert path.name in {"pass_protected.ods", "issue_594_dos.ods"}, refused
        return
    assert check_workbook(path, path.name).kind == "ods"  # the stream did read it


def test_what_the_calamine_corpus_holds_is_read(monkeypatch):
    """Not a vacuous comparison: the stream read text, numbers, dates and times, kept the
    spaces a string holds and joined paragraphs with a line break."""
    cells = streamed_cells(CALAMINE_ODS, monkeypatch)
    assert len(cells) > 50
    assert {"  Value   With 2 spaces before and after  ", "Split\nLine", "àâéêèçöïî«»", "1.5"} <= cells
    assert {"2021-01-01 10:10:10", "1899-12-31 10:10:10.123456", "2016-10-20 00:00:00", "false"} <= cells


@pytest.mark.parametrize("path", SCDL_ODS, ids=lambda p: p.name)
def test_a_real_scdl_ods_gives_the_same_grants_streamed(path: Path, monkeypatch):
    assert_same_grants_both_ways(path, monkeypatch)


def test_cells_of_every_kind(tmp_path, monkeypatch):
    """What LibreOffice and others write, read both ways; the values are also written out here,
    read off the XML by hand."""
    rows = [
        row(text("a"), number("1.5"), cell('office:value-type="boolean" office:boolean-value="true"'),
            cell('office:value-type="percentage" office:value="0.25"'),
            cell('office:value-type="currency" office:currency="EUR" office:value="99999999.99"')),
        row(cell('office:value-type="string"', "<text:p>un</text:p><text:p>deux</text:p>"),
            cell('office:value-type="string"', '<text:p>a<text:s text:c="3"/>b<text:s/>c</text:p>'),
            cell('office:value-type="string"', "<text:p>x<text:span>y</text:span><text:a>z</text:a></text:p>"),
            cell('office:value-type="string"',
                 "<office:annotation><text:p>note</text:p></office:annotation><text:p>v</text:p>"),
            cell('office:value-type="string"', "<text:p>a<text:tab/>b<text:line-break/>c &amp; d</text:p>")),
        row(cell('office:value-type="string" office:string-value=""'), cell(), cell('office:value-type="float"'),
            cell('table:formula="of:=1"'), number("3")),
        row(cell('table:number-columns-repeated="2"'), text("r", 'table:number-columns-repeated="2"')),
        row(repeated=3),
        row(number("9"), repeated=2),
        row(cell('office:value="1" office:string-value="s"'), cell('office:string-value="s" office:value="1"'),
            cell('office:value-type="float" office:string-value="zz"'), cell('office:value-type="string"')),
        row(text("m", 'table:number-columns-spanned="2"'), "<table:covered-table-cell/>",
            '<table:covered-table-cell office:value-type="float" office:value="5"/>'),
        row(repeated=100),  # LibreOffice's trailing empty rows: outside the range
    ]
    path = ods(tmp_path / "cellules.ods", table("S", *rows))
    frame = _both(path, monkeypatch)[0]
    assert frame.rows() == [
        (1, 5, "a", "1.5", "true", "0.25", "99999999.99"),
        (2, 5, "un\ndeux", "a   b c", "xyz", "v", "abc & d"),
        (3, 5, "", "", "", "", "3"),
        (4, 5, "", "", "r", "r", ""),
        (5, 5, "", "", "", "", ""), (6, 5, "", "", "", "", ""), (7, 5, "", "", "", "", ""),
        (8, 5, "9", "", "", "", ""), (9, 5, "9", "", "", "", ""),
        (10, 5, "1", "s", "zz", "", ""),
        (11, 5, "m", "", "5", "", ""),
    ]


def test_the_range_starts_at_the_first_value_and_rows_are_numbered_as_the_sheet(tmp_path, monkeypatch):
    path = ods(tmp_path / "marges.ods", table("S", row(repeated=4), row(cell('table:number-columns-repeated="2"'),
                                                                          number("1")),
                                             row(), row(cell(), cell(), number("2"), cell('table:number-columns-repeated="9"'))))
    assert _both(path, monkeypatch)[0].rows() == [(5, 1, "1"), (6, 1, ""), (7, 1, "2")]


def test_sheets_in_order_groups_unnamed_tables_and_empty_sheets(tmp_path, monkeypatch):
    """Header rows and row groups are rows like others; a table without a name is no sheet
    (calamine lists none); an empty sheet is an empty frame."""
    path = ods(tmp_path / "feuilles.ods",
               table("A", "<table:table-header-rows>" + row(text("h")) + "</table:table-header-rows>",
                     "<table:table-row-group>" + row(number("1")) + row(number("2")) + "</table:table-row-group>"),
               table(None, row(number("7"))), table("B", row(number("3"))), table("C"))
    frames = _both(path, monkeypatch)
    assert [f["c0"].to_list() if f.width > 2 else [] for f in frames] == [["h", "1", "2"], ["3"], []]


def test_a_sheet_left_unfinished_is_skipped_over_by_the_next(tmp_path, monkeypatch):
    """The sheets are read in one pass over content.xml: a reader that stops early in one sheet
    (the grants reader does, on a sheet without a SCDL header) still gets the next one whole."""
    path = ods(tmp_path / "deux.ods", table("A", *(row(number(str(i))) for i in range(50))),
               table("B", *(row(text(f"b{i}")) for i in range(5))))
    monkeypatch.setattr(split, "STREAM_CELLS", 0)
    sheets = split.sheet_batches(path, path.name, 10)
    first = next(next(sheets))
    assert first["c0"].to_list() == [str(i) for i in range(10)]
    second = pl.concat(list(next(sheets)))
    assert second["c0"].to_list() == [f"b{i}" for i in range(5)]
    assert next(sheets, None) is None


def test_two_sheets_named_alike_are_read_whole_as_calamine_reads_them(tmp_path, monkeypatch):
    """calamine keeps sheets by name: the last of two alike gives its rows for both. Such a file
    is read whole by calamine, within TABLE_CELLS, so the rows are the same either way."""
    path = ods(tmp_path / "doublon.ods", table("A", row(number("1"))), table("B", row(number("2"))),
               table("A", row(number("3")), row(number("4"))))
    frames = _both(path, monkeypatch)
    assert [f["c0"].to_list() for f in frames] == [["3", "4"], ["2"], ["3", "4"]]
    monkeypatch.setenv("SOLIDARITY_MAX_TABLE_CELLS", "3")  # the three sheets hold 4 cells
    refused = read_sheets(path, True, monkeypatch)
    assert isinstance(refused, str) and "two sheets 'A'" in refused and "SOLIDARITY_MAX_TABLE_CELLS" in refused


def test_rows_repeated_zero_times_above_the_first_value_move_it_down_as_calamine_does(tmp_path, monkeypatch):
    """ODF forbids number-rows-repeated="0"; calamine then numbers the first valued row by the
    row elements above it rather than the rows: followed here."""
    path = ods(tmp_path / "zero.ods", table("S", row(repeated=0), row(repeated=0), row(number("1")), row(repeated=0),
                                           row(number("2"))),
               table("T", row(cell(), repeated=0), row(repeated=2), row(number("3"))))
    first, second = _both(path, monkeypatch)
    assert first.rows() == [(3, 1, "1"), (4, 1, "2")] and second.rows() == [(3, 1, "3")]


def test_a_sheet_over_the_cells_calamine_reads_is_refused(tmp_path, monkeypatch):
    """calamine refuses an .ods sheet spanning more than 100 million cells; so does the stream
    (before building a row), though SOLIDARITY_MAX_STREAMED_CELLS would let 150 million in."""
    path = ods(tmp_path / "vaste.ods", table("S", row(number("1"), cell('table:number-columns-repeated="98"'), number("2")),
                                            row(repeated=1_000_000), row(number("3"))))
    refused = read_sheets(path, True, monkeypatch)
    assert isinstance(refused, str) and "100,000,200 cells" in refused and "100,000,000" in refused, refused
    assert isinstance(read_sheets(path, False, monkeypatch), str)


@pytest.mark.parametrize("name,rows,says", [
    ("indentation", ["<table:table-row>\n  " + number("1") + "\n</table:table-row>"], "text between the cells"),
    ("comment", ["<table:table-row><!-- c -->" + number("1") + "</table:table-row>"], "a comment between the cells"),
    ("decimal comma", [row(number("1,5"))], "office:value='1,5'"),
    ("repeat", [row(cell('table:number-columns-repeated="x" office:value="1"'))], "number-columns-repeated"),
    ("fullwidth digit", [row(number("\uff11"))], "office:value='\uff11'"),
])
def test_what_calamine_refuses_is_refused(tmp_path, monkeypatch, name, rows, says):
    path = ods(tmp_path / "refus.ods", table("S", *rows))
    whole, streamed = read_sheets(path, False, monkeypatch), read_sheets(path, True, monkeypatch)
    assert isinstance(whole, str) and isinstance(streamed, str), (whole, streamed)
    assert "refus.ods:" in streamed and says in streamed, streamed


# ISO forms of office:date-value and office:time-value: LibreOffice's, then the odd ones, whose
# reading by python-calamine these rules were fitted to (`workbook_ods.iso_datetime`)
DATES = [
    "2024-01-31", "2024-01-31T10:30:00", "2024-01-31T10:30:00.123456789", "2024-01-31T00:00:00",
    "2024-1-5", "2024-01-31Z", "2024-01-31T10:30:00Z", "2024-01-31T10:30:00+01:00", "10:30:00", "10:30",
    "2024-01-31 10:30:00", "0000-01-01", "abc", "2024-02-30", "2024-13-01", "2024-01-31t10:30:00", "2024-01-31T10:30",
    "+2024-01-31", "12024-01-31", "+12024-01-31", "-0001-01-01", "024-01-31", "2024-01-31T24:00:00",
    "2024-01-31T23:59:60", " 2024-01-31", "2024-01-31 ", "2024 - 01 - 31", "2024-01-31  10:30:00",
    "2024-01-3110:30:00", "2024-01-31T 10:30:00", "2024-01-31 T10:30:00", "10:30:00.5", "10 : 30", " 10:30", "10:30 ",
    "1:2:3", "2024-01-31T10:30:00.", "2024-01-31T10:30:00.123456789123", "0000-01-01T10:00:00",
    "2024-01-31T1:2:3", "2024-01-31 10:30", "10:30:61", "25:00", "10:30:60.5", "2024-01-31 10:30:00 ",
    " 2024-01-31T10:30:00", "2024-01-31T10 : 30 : 00", "2024-01-31 10 : 30 : 00", "2024-01-31 10:30:00.5",
    "2024-01-31T10:30:00 ", "2024-1-5 1:2:3", "+2024-01-31 10:30:00", "2024-01-31 1:02:03", "24-01-31 10:30:00",
    "2024-01-31 10:30:60", "10:30:00 PM", "T", "2024-01-31Tx",
    # Unicode: spaces chrono skips, digits it does not read
    "\u00a02024-01-31", "2024-01-31\u2003", "10:30\u3000", "\uff12024-01-31",
]
TIMES = ["PT12H30M15S", "PT36H00M00S", "PT12H30M15.5S", "-PT1H", "P1DT2H", "PT1H2M3S", "PT12H30M",
         "PT00H00M00.123456789S", "PT24H00M00S", "PT 12H30M00S", "PT12H 30M 00S"]


def test_iso_dates_and_times_are_read_as_python_calamine_reads_them(tmp_path, monkeypatch):
    path = ods(tmp_path / "dates.ods", table("D", *(row(date(v)) for v in DATES)),
               table("T", *(row(time(v)) for v in TIMES)))
    dates, times = _both(path, monkeypatch)
    got = dict(zip(DATES, dates["c0"]))
    assert got["2024-01-31"] == "2024-01-31 00:00:00" and got["10:30"] == "1899-12-31 10:30:00"
    assert got["2024-01-31T10:30:00.123456789"] == "2024-01-31 10:30:00.123456"
    assert got["2024-01-31T10:30:00Z"] == "2024-01-31T10:30:00Z"  # no zone in a cell: kept as written
    assert dict(zip(TIMES, times["c0"]))["PT12H30M15S"] == "1899-12-31 12:30:15"


def test_a_large_ods_streams_and_a_small_one_does_not(tmp_path, monkeypatch):
    """The choice is made on the cells the guard counted (`workbook_guard.Scanned`)."""
    path = ods(tmp_path / "grants.ods", table("S", *(row(*(text(f"r{r}c{c}") for c in range(5))) for r in range(40))))
    scanned = check_workbook(path, path.name)
    assert (scanned.kind, scanned.cells) == ("ods", 200)
    stream = "pipelines.sources.scdl.workbook_ods.ods_sheets"
    assert readers_chosen(path, 200, stream, monkeypatch) == ["calamine", "stream"]


def test_an_ods_is_told_from_another_zip(tmp_path):
    """By its `mimetype` part, as calamine tells it: a zip without one is no .ods."""
    path = ods(tmp_path / "vrai.ods", table("S", row(number("1"))))
    assert check_workbook(path, path.name).kind == "ods"
    other = tmp_path / "autre.ods"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(other, "w") as dst:
        for name in src.namelist():
            if name != "mimetype":
                dst.writestr(name, src.read(name))
    assert check_workbook(other, other.name).kind == "zip"
