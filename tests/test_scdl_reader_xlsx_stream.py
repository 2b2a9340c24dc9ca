"""A large xlsx streams, row by row (`workbook_stream`), and gives what calamine gives (issue 19).

`split` reads an xlsx of more than `STREAM_CELLS` cells a row at a time, by calamine's
rules, and a smaller one (or any .xls, .ods) with calamine whole. The two must agree cell for
cell, or a file would give other grants the day it passes 500,000 cells. Here every xlsx is read
both ways (`STREAM_CELLS` set to 0, then out of reach) and the results compared:
- calamine's own 69 test workbooks (tests/data/real/xlsx-calamine, origin in SOURCES.md), written
  by Excel, LibreOffice and libraries for calamine's bug reports: whitespace, escapes, phonetic
  runs, 1904 and ISO dates, errors, odd part names, Strict Open XML, chart sheets;
- the real SCDL workbooks: the same grants, set-aside rows and problems.
The amounts read by the stream are also checked against the sheet's XML itself in
tests/test_scdl_reader_workbook_cells.py (run for both readers), and its memory in
tests/hostile/test_bounded_inputs_readers.py (16 million cells).
"""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from pipelines.sources.scdl.workbook_guard import XLSX_MAIN_PART, check_workbook
from pipelines.sources.scdl.workbook_stream import excel_serial, number_format_kind
from workbook_readers import assert_same_grants_both_ways, read_both, read_sheets, readers_chosen, streamed_cells

ROOT = Path(__file__).resolve().parent
CALAMINE_BOOKS = sorted((ROOT / "data/real/xlsx-calamine").glob("*.xls[xm]"))
SCDL_XLSX = sorted((ROOT / "data/real/scdl").glob("*.xlsx")) + sorted(
    (ROOT.parent.parent / "shared/reference/scdl/real").glob("*.xlsx"))


def test_the_corpora_are_there():
    assert len(CALAMINE_BOOKS) == 69
    assert len(SCDL_XLSX) >= 5


@pytest.mark.parametrize("path", CALAMINE_BOOKS, ids=lambda p: p.name)
def test_each_calamine_test_workbook_streams_as_calamine_reads_it(path: Path, monkeypatch):
    with zipfile.ZipFile(path) if zipfile.is_zipfile(path) else open(path, "rb") as container:
        standard = isinstance(container, zipfile.ZipFile) and XLSX_MAIN_PART in container.namelist()
    refused = read_both(path, monkeypatch)
    if isinstance(refused, str):  # encrypted, or a part that does not inflate to its checksum
        assert path.name in {"pass_protected.xlsx", "issue252.xlsx"}, refused
        return
    if standard:  # the layout the stream reads: it did read it (a sheet per <sheet>, its cells)
        assert check_workbook(path, path.name).kind == "xlsx"
    else:  # another layout (parts at the root, Windows paths): calamine reads it, whatever its size
        assert check_workbook(path, path.name).kind == "zip"
        assert path.name in {"minimal_package.xlsx", "issue_530.xlsx"}


def test_what_the_calamine_corpus_holds_is_read(monkeypatch):
    """Not a vacuous comparison: the stream read text, numbers, dates and durations, trimmed
    what calamine trims and unescaped what it unescapes."""
    cells = streamed_cells(CALAMINE_BOOKS, monkeypatch)
    assert len(cells) > 1_000
    assert "trimmed value" in cells and "ABC\r\nDEF" in cells  # whitespace_trim, has_x000D_
    assert "課きく\u3000毛こ" in cells  # rph.xlsx: the phonetic reading left out
    assert "1899-12-31 10:10:10" in cells and "2021-01-01 10:10:10" in cells  # date_iso.xlsx


@pytest.mark.parametrize("path", SCDL_XLSX, ids=lambda p: p.name)
def test_a_real_scdl_workbook_gives_the_same_grants_streamed(path: Path, monkeypatch):
    assert_same_grants_both_ways(path, monkeypatch)


def test_a_large_xlsx_streams_and_a_small_one_does_not(tmp_path, monkeypatch):
    """The choice is made on the cells the guard counted (`workbook_guard.Scanned`)."""
    import xlsxwriter

    path = tmp_path / "grants.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r in range(40):
        sheet.write_row(r, 0, [f"r{r}c{c}" for c in range(5)])
    book.close()
    assert check_workbook(path, path.name).cells == 200
    stream = "pipelines.sources.scdl.workbook_stream.xlsx_sheets"
    assert readers_chosen(path, 200, stream, monkeypatch) == ["calamine", "stream"]


# calamine's own cases for its format detection (src/formats.rs tests, themselves from openpyxl's)
FORMATS = [
    ("DD/MM/YY", "date"), ("H:MM:SS;@", "date"), ("#,##0\\ [$\\u20bd-46D]", None), ('m"M"d"D";@', "date"),
    ("[h]:mm:ss", "duration"), ('"Y: "0.00"m";"Y: "-0.00"m";"Y: <num>m";@', None),
    ("#,##0\\ [$''u20bd-46D]", None), ('"$"#,##0_);[Red]("$"#,##0)', None),
    ('[$-404]e"\\xfc"m"\\xfc"d"\\xfc"', "date"), ("0_ ;[Red]\\-0\\ ", None), ("\\Y000000", None),
    ('#,##0.0####" YMD"', None), ("[h]", "duration"), ("[ss]", "duration"), ("[s].000", "duration"),
    ("[m]", "duration"), ("[mm]", "duration"), ("[Blue]\\+[h]:mm;[Red]\\-[h]:mm;[Green][h]:mm", "duration"),
    ("[>=100][Magenta][s].00", "duration"), ("[h]:mm;[=0]\\-", "duration"), ("[>=100][Magenta].00", None),
    ("[>=100][Magenta]General", None), ("ha/p\\\\m", "date"), ('#,##0.00\\ _M"H"_);[Red]#,##0.00\\ _M"S"_)', None),
    ("#,##0*y", None), ('0"x"*d', None), ("*-#,##0", None), ("*-yyyy-mm-dd", "date"),
    # what French SCDL workbooks use
    ("dd/mm/yyyy", "date"), ("[$-40C]d mmmm yyyy;@", "date"), ("#,##0.00\\ \"€\"", None), ("0.00%", None),
]


@pytest.mark.parametrize("code,kind", FORMATS)
def test_number_formats_are_told_as_calamine_tells_them(code, kind):
    assert number_format_kind(code) == kind


def test_serial_days_become_calamine_s_dates():
    # Excel's own table (1900 system): 1 = 1900-01-01, 60 = the 29 February 1900 that never was,
    # 61 = 1900-03-01; 45321 = 2024-01-30; the 1904 system counts from 1904-01-01
    assert excel_serial(1, "date", False) == datetime.datetime(1900, 1, 1)
    assert excel_serial(61, "date", False) == datetime.datetime(1900, 3, 1)
    assert excel_serial(45321, "date", False) == datetime.datetime(2024, 1, 30)
    assert excel_serial(45321.5, "date", False) == datetime.datetime(2024, 1, 30, 12)
    assert excel_serial(0, "date", True) == datetime.datetime(1904, 1, 1)
    assert excel_serial(1.25, "duration", False) == datetime.timedelta(days=1, hours=6)
    # to the millisecond
    assert excel_serial(45321 + 0.123 / 86400, "date", False) == datetime.datetime(2024, 1, 30, 0, 0, 0, 123000)
    assert excel_serial(1e300, "date", False) == 1e300  # on no calendar: the number


def _sheet_xml(path: Path, rows_xml: str) -> Path:
    """An xlsx of one sheet whose `<sheetData>` is `rows_xml` (inline strings, no styles)."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{rows_xml}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def _row(r: int, *cells: str) -> str:
    return f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                                      for c, v in zip("ABC", cells)) + "</row>"


def test_rows_out_of_order_are_read_whole_as_calamine_reads_them(tmp_path, monkeypatch):
    """No spreadsheet program writes rows out of order, a generator may: such a sheet cannot
    stream; it is read whole by calamine (within TABLE_CELLS), the same rows either way."""
    path = _sheet_xml(tmp_path / "desordre.xlsx", _row(1, "a", "b") + _row(4, "g", "h") + _row(2, "c", "d"))
    whole, streamed = read_sheets(path, False, monkeypatch), read_sheets(path, True, monkeypatch)
    assert not isinstance(streamed, str), streamed
    assert_frame_equal(streamed[0], whole[0])
    assert streamed[0]["_line"].to_list() == [1, 2, 3, 4] and streamed[0]["c0"].to_list() == ["a", "c", "", "g"]
    monkeypatch.setenv("SOLIDARITY_MAX_TABLE_CELLS", "7")  # 4 rows x 2 columns: over it
    refused = read_sheets(path, True, monkeypatch)
    assert isinstance(refused, str) and "out of order" in refused and "SOLIDARITY_MAX_TABLE_CELLS" in refused


def test_a_sheet_in_order_streams_with_its_gaps_and_far_cells(tmp_path, monkeypatch):
    """Rows without cells inside the range are empty rows; the range starts at the first valued
    cell (row 3, column B) whatever empty styled cells lie before it."""
    rows = ('<row r="1"><c r="A1" s="1"/></row>' + '<row r="3"><c r="B3" t="inlineStr"><is><t>x</t></is></c></row>'
            + '<row r="6"><c r="C6"><v>2.5</v></c><c r="D6" t="b"><v>1</v></c></row>')
    path = _sheet_xml(tmp_path / "trous.xlsx", rows)
    whole, streamed = read_sheets(path, False, monkeypatch), read_sheets(path, True, monkeypatch)
    assert_frame_equal(streamed[0], whole[0])
    assert streamed[0].rows() == [(3, 3, "x", "", ""), (4, 3, "", "", ""), (5, 3, "", "", ""),
                                  (6, 3, "", "2.5", "true")]
