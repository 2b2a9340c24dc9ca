"""A spreadsheet's cells read as the file stores them (`split.cell_text`).

Two independent readings: the amounts as typed into the workbook, and the sheet's XML itself
(zipfile + lxml: each `<c>`'s `<v>` text and its row's `r` attribute, what the spreadsheet
program wrote). A cell holds a double, and its text is one decimal that reads back as that
double (xlsxwriter writes 16 digits: 99999999.98999999); the reader must give the amount typed
(the shortest such decimal), the very double the file stores, and each row the number the
spreadsheet shows. fastexcel's "9 decimals" turned 99,999,999.99 into 99,999,999.989999995.
"""

from __future__ import annotations

import datetime
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from lxml import etree

from pipelines.sources.scdl.grants import read_grants
from pipelines.sources.scdl import split
from pipelines.sources.scdl.split import cell_text

HEADER = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
          "idBeneficiaire", "objet", "montant", "nature", "conditionsVersement", "datesPeriodeVersement",
          "idRAE", "notificationUE", "pourcentageSubvention"]
# large amounts with cents (doubles whose 9th decimal is noise), small ones, integers
AMOUNTS = [99999999.99, 12345678.91, 15000000.5, 8500000.07, 98765432.1, 1234567.89, 250.0, 1234.1, 45000.0]
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _workbook(path: Path, top: int, left: int) -> None:
    """A SCDL sheet whose header is at row `top` + 1, column `left` + 1 (0-based arguments)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(top, left, HEADER)
    for i, amount in enumerate(AMOUNTS, start=1):
        sheet.write_row(top + i, left, ["Région Exemple", "23350001600040"])
        sheet.write_datetime(top + i, left + 2, datetime.datetime(2024, 3, i), day)
        sheet.write_row(top + i, left + 3, ["D-1", f"Association {i}", "77567227224553", "objet", amount,
                                            "aide en numéraire", "unique", "2024-04-01", "", "Non", 100])
    book.close()


def _sheet_cells(path: Path) -> dict[tuple[int, str], str]:
    """(row number, column letters) -> the `<v>` text of every numeric cell of the first sheet."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for row in root.iterfind(".//m:sheetData/m:row", NS):
        for c in row.iterfind("m:c", NS):
            v = c.find("m:v", NS)
            if v is not None and c.get("t") in (None, "n"):
                ref = c.get("r")
                cells[(int(row.get("r")), ref.rstrip("0123456789"))] = v.text
    return cells


@pytest.mark.parametrize("streamed", [False, True], ids=["calamine", "streamed"])
@pytest.mark.parametrize("top,left", [(0, 0), (2, 1)], ids=["at A1", "at B3"])
def test_amounts_are_the_decimals_the_file_stores_and_rows_are_the_sheets(tmp_path, top, left, streamed, monkeypatch):
    """Both xlsx readers: calamine's (the sheet whole), and the stream of a large xlsx
    (`workbook_stream`, here for this small one: `STREAM_CELLS` 0)."""
    monkeypatch.setattr(split, "STREAM_CELLS", 0 if streamed else 10**15)
    path = tmp_path / "grants.xlsx"
    _workbook(path, top, left)
    montant = "ABCDEFGHIJKLMNOP"[left + HEADER.index("montant")]
    stored = {row: text for (row, col), text in _sheet_cells(path).items() if col == montant}
    typed = {top + 1 + i: Decimal(repr(a)) for i, a in enumerate(AMOUNTS, start=1)}  # the sheet's row numbers
    assert sorted(stored) == sorted(typed)
    assert stored[top + 2] == "99999999.98999999"  # what the file's text says

    result = read_grants(path)
    grants = result.tables["grants"]
    assert result.rows_read == len(AMOUNTS) and grants.height == len(AMOUNTS)
    read = dict(grants.select("source_row", "montant_eur").rows())
    assert read == typed  # row numbers as the sheet's, amounts as typed: exact
    assert all(float(read[row]) == float(text) for row, text in stored.items())  # the double the file stores
    assert read[top + 2] == Decimal("99999999.99")
    assert sum(read.values()) == sum(typed.values()) == Decimal("235892163.56")  # added by hand
    # the header's and a date's problems name the sheet's rows too
    assert {int(p.source_row) for p in result.problems} <= set(range(top + 1, top + 2 + len(AMOUNTS)))
    assert grants["date_convention"].to_list()[0] == datetime.date(2024, 3, 1)


def test_cells_as_text():
    assert cell_text(99999999.99) == "99999999.99"
    assert cell_text(1472120.0) == "1472120"
    assert cell_text(1e21) == "1000000000000000000000"
    assert cell_text(1e-07) == "0.0000001"
    assert cell_text(-0.0) == "-0"
    assert cell_text(0.1 + 0.2) == "0.30000000000000004"  # the double stored, not a rounding of it
    assert cell_text(True) == "true" and cell_text(False) == "false"
    assert cell_text(datetime.date(2024, 1, 31)) == "2024-01-31 00:00:00"
    assert cell_text(datetime.datetime(2024, 1, 31, 13, 45)) == "2024-01-31 13:45:00"
    assert cell_text(datetime.time(12, 0)) == "1899-12-31 12:00:00"
    assert cell_text(float("nan")) == "" and cell_text("") == ""
