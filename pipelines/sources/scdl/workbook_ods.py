"""A large OpenDocument spreadsheet (.ods) read row by row (issue 19): memory that does not grow with its rows.

calamine reads an .ods whole when it opens it: every sheet of `content.xml` becomes a range of
32 bytes a cell before the first row is read (`split` keeps that for an .ods up to
`split.STREAM_CELLS`). A larger .ods is read here instead, a row at a time, by calamine's own
rules (its `src/ods.rs` and python-calamine's `src/types/cell.rs`, 2026; MIT), so that a
workbook gives the same grants whichever reader read it: tests/test_scdl_reader_ods_stream.py
holds the two equal on every real .ods of tests/data/real and ../shared/reference, on
calamine's own test workbooks (tests/data/real/ods-calamine) and on hand-made cells.

What is read, with lxml's iterparse (`workbook_guard` has bounded every part's size before):
- the package: `mimetype` must be the spreadsheet's (as calamine checks it), and a
  `META-INF/manifest.xml` without `encryption-data` (a password-protected file is refused);
- the sheets: each `<table:table>` that has a `table:name`, in order, its `<table:table-row>`s
  wherever they sit (header rows, row groups), each repeated `table:number-rows-repeated`
  times, its cells (`table-cell` and the `covered-table-cell`s of merged cells) each repeated
  `table:number-columns-repeated` times; calamine's caps of 1,048,576 rows and 16,384 columns;
- a cell's value: the first of its `office:value` (a number), `office:string-value`,
  `office:date-value`, `office:time-value`, `office:boolean-value` attributes, in the order
  written; else, if `office:value-type="string"`, its text: every character inside the cell
  but an `<office:annotation>` (a comment), a line break before each `<text:p>` after the
  first, `text:c` spaces for a `<text:s>`. A cell with none of these holds no value (a formula
  without a cached value, a styled empty cell); an empty string is a value;
- dates and times as python-calamine gives them (`iso_datetime`): a date-value read as a
  datetime, a date or a time of day; a time-value "PT12H30M00S" a time of day;
  written as `split.cell_text` writes them, and left as written when they are none;
- the range: from the first to the last row and column holding a value, found by a first pass
  over `content.xml` (`_boxes`) before the second reads the rows.

Refused, as calamine refuses them (it would not open the file): text or a comment between a
row's cells, a number that does not read as one (ASCII digits only), a repeat count that is no
count, a sheet spanning more than 100 million cells. Refused here, where calamine would give a
range that does not add up: a row of values past its row cap or repeated 0 times, a table
inside a cell. A row repeated 0 times above a sheet's first value moves its rows down, as in
calamine. Two sheets of the same name: calamine gives the last one's rows for both, so such a
workbook is read whole by calamine (within `TABLE_CELLS`).

Not followed (no spreadsheet program writes them; found by an independent review against
calamine's source, 2026-12-04): other namespace prefixes than office:/table:/text: (calamine
matches the prefixes as written, this reader the namespaces); CDATA sections (calamine drops
them); literal tabs and line breaks inside an attribute value (XML turns them into spaces,
calamine keeps them); XML that is not well-formed (a mismatched end tag, a control character:
calamine reads on, lxml refuses the file, with the reason); an entity declared in a DTD
(calamine refuses it, lxml leaves it out); a `text:c` signed or over a million spaces (refused
here); the checks calamine makes outside the sheets (whitespace inside `named-expressions`, a
`table:display` that is not a boolean: it refuses such a file, this reader reads it).

What stays in memory: the sheets' ranges (4 integers each), and at most `rows` rows of cells.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from lxml import etree

from pipelines.sources.common import SourceError
from pipelines.sources.scdl.workbook_cells import Box
from pipelines.sources.scdl.workbook_stream import (
    NUMBER, ZIP_ERRORS, iterparse, local_name, open_zip, release, sheet_whole,
)

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

_SHEET, _ROW = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row"
_CELLS = {f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"}
_NAME = f"{{{_TABLE}}}name"
_ROWS_REPEATED = f"{{{_TABLE}}}number-rows-repeated"
_COLUMNS_REPEATED = f"{{{_TABLE}}}number-columns-repeated"
_FORMULA = f"{{{_TABLE}}}formula"
_VALUE, _STRING_VALUE = f"{{{_OFFICE}}}value", f"{{{_OFFICE}}}string-value"
_DATE_VALUE, _TIME_VALUE = f"{{{_OFFICE}}}date-value", f"{{{_OFFICE}}}time-value"
_BOOLEAN_VALUE, _VALUE_TYPE = f"{{{_OFFICE}}}boolean-value", f"{{{_OFFICE}}}value-type"
_ANNOTATION = f"{{{_OFFICE}}}annotation"
_PARAGRAPH, _SPACES, _SPACE_COUNT = f"{{{_TEXT}}}p", f"{{{_TEXT}}}s", f"{{{_TEXT}}}c"

# calamine's bounds on a sheet (`MAX_ROWS`, `MAX_COLUMNS` in its ods.rs): repeats past them are cut;
# a sheet whose range spans more than `MAX_CELLS` is refused
MAX_ROWS, MAX_COLUMNS, MAX_CELLS = 1_048_576, 16_384, 100_000_000


def is_ods(archive: zipfile.ZipFile) -> bool:
    """Is the zip an OpenDocument spreadsheet (its `mimetype` part says so, as calamine reads it)?"""
    if "mimetype" not in archive.NameToInfo:
        return False
    with archive.open("mimetype") as part:
        return part.read(len(MIMETYPE)) == MIMETYPE


@dataclass
class _Sheet:
    name: str
    box: Box = field(default_factory=Box)  # in the sheet's row numbers, `shift` included
    # calamine numbers a sheet's first valued row max(rows above it, row elements above it): the
    # same unless an element above says number-rows-repeated="0" (which ODF forbids); then its
    # rows come lower by the difference, and so they do here
    shift: int = 0


def ods_sheets(path: Path, source_file: str, rows: int) -> Iterator[Iterator[pl.DataFrame]]:
    """Each sheet of the .ods, in the workbook's order, as an iterator of records frames
    (`split`'s shape: `_line`, `_ncells`, `c0`...) of at most `rows` rows each. The sheets are
    read in one pass over `content.xml`; a sheet left unfinished is skipped over by the next."""
    from pipelines.sources.scdl.split import records_frames

    with open_zip(path, source_file) as archive:
        try:
            _check_package(archive, source_file)
            sheets = _boxes(archive, source_file)
        except (etree.XMLSyntaxError, *ZIP_ERRORS) as exc:
            raise SourceError(source_file, "1", f"cannot open spreadsheet: {exc}") from exc
        names = [s.name for s in sheets]
        if len(set(names)) < len(names):
            cells = sum(s.box.area for s in sheets)  # calamine holds every sheet at once
            twice = next(n for n in names if names.count(n) > 1)
            for index in range(len(sheets)):
                yield sheet_whole(path, source_file, index, cells, rows, f"the workbook names two sheets {twice!r}")
            return
        for index, sheet in enumerate(sheets):
            if sheet.box.area > MAX_CELLS:
                raise SourceError(source_file, "1", f"sheet {index + 1} spans {sheet.box.area:,} cells, over the "
                                                    f"{MAX_CELLS:,} calamine reads in an .ods sheet: not read")
        cursor = _Cursor(_row_events(archive, source_file, values=True))
        for index, sheet in enumerate(sheets):
            if sheet.box.top is None:
                yield records_frames(iter(()), 0, rows)
            else:
                yield records_frames(_lines(cursor.rows_of(index), sheet.box, sheet.shift), sheet.box.width, rows)


def _check_package(archive: zipfile.ZipFile, source_file: str) -> None:
    """calamine's checks at opening: the spreadsheet's mimetype, a manifest, no encryption."""
    if not is_ods(archive):
        raise SourceError(source_file, "1", "cannot open spreadsheet: its `mimetype` part is not "
                                            f"{MIMETYPE.decode()!r}")
    if "META-INF/manifest.xml" not in archive.NameToInfo:
        raise SourceError(source_file, "1", "cannot open spreadsheet: 'META-INF/manifest.xml' file not found in archive")
    with archive.open("META-INF/manifest.xml") as source:
        for _, element in iterparse(source, (f"{{{_MANIFEST}}}encryption-data",)):
            raise SourceError(source_file, "1", "cannot open spreadsheet: workbook is password protected")
    if "content.xml" not in archive.NameToInfo:
        raise SourceError(source_file, "1", "cannot open spreadsheet: 'content.xml' file not found in archive")


@dataclass(frozen=True)
class _RowEvent:
    """A `<table:table-row>` of the sheet `sheet` (its rank among the named tables): its sheet
    row number (zero-based), its repeats, and its valued cells as (first column, repeats, text)."""

    sheet: int
    row: int
    repeats: int
    cells: tuple[tuple[int, int, str], ...]


def _row_events(archive: zipfile.ZipFile, source_file: str, values: bool,
                names: list[str] | None = None) -> Iterator[_RowEvent]:
    """Every row of every named table of `content.xml`, in order (and the tables' names added
    to `names`). Without `values` (the range pass) a cell's text is not built: only whether
    it holds a value."""
    from pipelines.sources.scdl.split import cell_text

    text_of = cell_text if values else None
    sheet, depth, named, row, label = -1, 0, False, 0, ""
    try:
        with archive.open("content.xml") as source:
            for event, element in iterparse(source, (_SHEET, _ROW), ("start", "end"), comments=True):
                if element.tag == _SHEET:
                    if event == "start":
                        depth += 1
                        if depth > 1:
                            raise SourceError(source_file, "1", f"{label}: a table inside a cell: not read")
                        named = element.get(_NAME) is not None
                        if named:
                            sheet, row, label = sheet + 1, 0, f"sheet {sheet + 2}"
                            if names is not None:
                                names.append(element.get(_NAME))
                    else:
                        depth -= 1
                        release(element)
                    continue
                if event == "start" or not named:
                    if event == "end":
                        release(element)
                    continue
                repeats = _count(element.get(_ROWS_REPEATED), source_file, label, row, "number-rows-repeated")
                repeats = min(repeats, MAX_ROWS - row)  # calamine cuts the rows past its cap
                cells = _row_cells(element, text_of, source_file, label, row)
                if cells and repeats <= 0:
                    raise SourceError(source_file, str(row + 1), f"{label}: a row of values repeated "
                                                                 f"{element.get(_ROWS_REPEATED) or 1} times at row "
                                                                 f"{row + 1:,}: past the {MAX_ROWS:,} rows a sheet holds")
                yield _RowEvent(sheet, row, repeats, cells)
                row += repeats
                release(element)
    except etree.XMLSyntaxError as exc:
        raise SourceError(source_file, "1", f"cannot read spreadsheet: {label or 'content.xml'}: {exc}") from exc
    except ZIP_ERRORS as exc:
        raise SourceError(source_file, "1", f"cannot read spreadsheet: {exc}") from exc


def _count(text: str | None, source_file: str, label: str, row: int, what: str) -> int:
    """A `number-*-repeated` attribute (1 if absent); calamine refuses the file if it is no count."""
    if text is None:
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        raise SourceError(source_file, str(row + 1), f"{label}: {what}={text[:40]!r} at row {row + 1:,}: not read")
    return int(text)


def _row_cells(row, text_of, source_file: str, label: str, at: int) -> tuple[tuple[int, int, str], ...]:
    """A row's valued cells, (first column, repeats, text), by calamine's `read_row`: an empty
    cell takes its columns only if a cell follows it; a cell with a formula and no value takes
    its columns; each run is cut at `MAX_COLUMNS`. `text_of` writes a value as text
    (`split.cell_text`); None in the range pass, where only whether a cell holds a value matters."""
    if row.text:  # calamine reads nothing but cells in a row, whitespace included
        raise SourceError(source_file, str(at + 1), f"{label}: text between the cells of row {at + 1:,}: not read")
    col, empty, found = 0, 0, []
    for cell in row:
        if cell.tag not in _CELLS:
            what = "a comment" if not isinstance(cell.tag, str) else f"a <{local_name(cell)}>"
            raise SourceError(source_file, str(at + 1), f"{label}: {what} between the cells of row {at + 1:,}: not read")
        if cell.tail:
            raise SourceError(source_file, str(at + 1), f"{label}: text between the cells of row {at + 1:,}: not read")
        repeats = _count(cell.get(_COLUMNS_REPEATED), source_file, label, at, "number-columns-repeated")
        value, formula = _cell_value(cell, text_of, source_file, label, at)
        if empty:
            col += min(empty, MAX_COLUMNS - col)
            empty = 0
        if repeats > 1 or col >= MAX_COLUMNS:
            repeats = min(repeats, MAX_COLUMNS - col)
        if value is None and not formula:
            empty = repeats
            continue
        if value is not None and repeats:
            found.append((col, repeats, value))
        col += repeats
    return tuple(found)


def _cell_value(cell, text_of, source_file: str, label: str, at: int) -> tuple[str | None, bool]:
    """(the cell's text or None if it holds no value, whether it has a formula): calamine's
    `get_datatype`, the first value attribute in the order written deciding."""
    items = cell.items()
    if not items:
        return None, False  # an empty cell (LibreOffice writes many)
    string = formula = False
    value = None
    for key, text in items:
        if key == _FORMULA:
            formula = bool(text)
        elif value is not None:
            continue
        elif key == _VALUE:
            if not NUMBER.fullmatch(text):
                raise SourceError(source_file, str(at + 1), f"{label}: office:value={text[:40]!r} in row "
                                                            f"{at + 1:,} is no number: not read")
            value = text_of(float(text)) if text_of else ""
        elif key == _STRING_VALUE:
            value = text
        elif key == _DATE_VALUE:
            value = text_of(iso_datetime(text)) if text_of else ""
        elif key == _TIME_VALUE:
            value = text_of(iso_duration(text)) if text_of else ""
        elif key == _BOOLEAN_VALUE:
            value = text_of(text in ("TRUE", "true")) if text_of else ""
        elif key == _VALUE_TYPE:
            string = text == "string"
    if value is None and string:
        value = _paragraphs(cell, source_file, label, at) if text_of else ""
    return value, formula


def _paragraphs(cell, source_file: str, label: str, at: int) -> str:
    """A string cell's text: its characters but an annotation's, a line break before each
    paragraph after the first, `<text:s text:c="n"/>` n spaces (calamine adds nothing for a
    tab or a line-break element)."""
    if cell.text is None and len(cell) == 1 and cell[0].tag == _PARAGRAPH and not len(cell[0]) \
            and cell[0].tail is None:
        return cell[0].text or ""  # the usual <table:table-cell ...><text:p>text</text:p></table:table-cell>
    parts: list[str] = []
    first = [True]

    def walk(element) -> None:
        if element.text and isinstance(element.tag, str):
            parts.append(element.text)
        for child in element:
            # an annotation (a comment on the cell), an XML comment or a processing instruction adds nothing
            if child.tag != _ANNOTATION and isinstance(child.tag, str):
                if child.tag == _PARAGRAPH:
                    if not first[0]:
                        parts.append("\n")
                    first[0] = False
                elif child.tag == _SPACES:
                    count = child.get(_SPACE_COUNT)
                    if count is not None and not (count.isascii() and count.isdigit() and len(count) <= 6):
                        raise SourceError(source_file, str(at + 1), f"{label}: text:c={count[:40]!r} in row "
                                                                    f"{at + 1:,}: not a count of spaces under a million")
                    parts.append(" " * (1 if count is None else int(count)))
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(cell)
    return "".join(parts)


# How python-calamine 0.9.1 (calamine 0.37, chrono 0.4.45) reads an ISO date-value, found by
# tests/test_scdl_reader_ods_stream.py on some seventy forms, the usual and the odd: with a "T",
# chrono's datetime grammar (whitespace around the numbers and separators, 1-2 digit fields, a
# signed year, seconds required, a fraction to the nanosecond, a leap second read as :59); without
# one but with a ":", exactly "YYYY-MM-DD HH:MM:SS", else chrono's time grammar (seconds optional);
# else chrono's date grammar
_WS = r"\s*"  # any Unicode whitespace, as Rust's `char::is_whitespace`
_D = "[0-9]"  # ASCII digits only: chrono reads no other (Python's \d takes "２")
_YMD = rf"{_WS}([+-]{_D}+|{_D}{{1,4}}){_WS}-{_WS}({_D}{{1,2}}){_WS}-{_WS}({_D}{{1,2}})"
_HMS = rf"{_WS}({_D}{{1,2}}){_WS}:{_WS}({_D}{{1,2}})(?:{_WS}:{_WS}({_D}{{1,2}})(?:\.({_D}+))?)?{_WS}"
_HMS_SECONDS = rf"{_WS}({_D}{{1,2}}){_WS}:{_WS}({_D}{{1,2}}){_WS}:{_WS}({_D}{{1,2}})(?:\.({_D}+))?{_WS}"
_DATE = re.compile(_YMD + _WS)
_DATETIME = re.compile(_YMD + _WS + "T" + _HMS_SECONDS)
_DATETIME_SPACE = re.compile(rf"({_D}{{4}})-({_D}{{2}})-({_D}{{2}}) ({_D}{{2}}):({_D}{{2}}):({_D}{{2}})()")
_TIME_OF_DAY = re.compile(_HMS)
# chrono's "PT%HH%MM%S%.fS": whitespace may come before each number
_DURATION = re.compile(rf"PT{_WS}({_D}{{1,2}})H{_WS}({_D}{{1,2}})M{_WS}({_D}{{1,2}})(?:\.({_D}+))?S")


def iso_datetime(text: str):
    """An `office:date-value` as python-calamine gives it (the rules above): a datetime, a date
    or a time of day; the text itself if it is none of these, or a year outside Python's 1-9999."""
    if "T" in text or ":" in text:
        m = (_DATETIME if "T" in text else _DATETIME_SPACE).fullmatch(text)
        if m is not None:
            day, clock = _date(m), _time(m, 3, leap="T" in text)
            if day and clock:
                return datetime.datetime.combine(day, clock)
        return text if "T" in text else _time(_TIME_OF_DAY.fullmatch(text)) or text
    m = _DATE.fullmatch(text)
    return (_date(m) if m else None) or text


def iso_duration(text: str):
    """An `office:time-value` ("PT12H30M00S") as python-calamine gives it: a time of day, or
    the text itself (36 hours, a negative duration...)."""
    return _time(_DURATION.fullmatch(text)) or text


def _date(m: re.Match) -> datetime.date | None:
    try:
        return datetime.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:  # no such day, or a year Python's dates do not hold
        return None


def _time(m: re.Match | None, at: int = 0, leap: bool = True) -> datetime.time | None:
    """Hours, minutes, seconds and a fraction (to the nanosecond: Python keeps microseconds); a
    leap second (60) as 59, if `leap`."""
    if m is None:
        return None
    hours, minutes, seconds, fraction = m[at + 1], m[at + 2], m[at + 3], m[at + 4]
    second = int(seconds or 0)
    micro = int((fraction or "")[:9].ljust(9, "0")) // 1000
    if second == 60 and leap:  # a leap second: chrono reads it, Python's datetime cannot hold it
        second = 59
    try:
        return datetime.time(int(hours), int(minutes), second, micro)
    except ValueError:
        return None


def _boxes(archive: zipfile.ZipFile, source_file: str) -> list[_Sheet]:
    """The named sheets, in order, each with its range (rows and columns from the first to the
    last holding a value)."""
    names: list[str] = []
    sheets: dict[int, _Sheet] = {}
    elements, current = 0, -1  # row elements above, in the current sheet
    for event in _row_events(archive, source_file, values=False, names=names):
        if event.sheet != current:
            elements, current = 0, event.sheet
        if event.cells:
            sheet = sheets.get(event.sheet)
            if sheet is None:
                sheet = sheets[event.sheet] = _Sheet("", Box(), max(elements - event.row, 0))
            first, last = event.cells[0], event.cells[-1]
            top = event.row + sheet.shift
            sheet.box.add(top, top + event.repeats - 1, first[0], last[0] + last[1] - 1)
        elements += 1
    return [_Sheet(name, sheets[i].box, sheets[i].shift) if i in sheets else _Sheet(name)
            for i, name in enumerate(names)]


class _Cursor:
    """One pass over the rows of every sheet, handed out sheet by sheet: the rows of a sheet
    its reader left unread are skipped when the next sheet is asked for."""

    def __init__(self, events: Iterator[_RowEvent]):
        self.events, self.held = events, None

    def rows_of(self, sheet: int) -> Iterator[_RowEvent]:
        while True:
            event, self.held = self.held or next(self.events, None), None
            if event is None:
                return
            if event.sheet < sheet:
                continue
            if event.sheet > sheet:
                self.held = event
                return
            yield event


def _lines(events: Iterator[_RowEvent], box: Box, shift: int) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows inside `box`, each `box.width` texts ("" where empty), numbered as the
    sheet numbers them (moved down by `shift`, as calamine does), each row element as many
    times as it is repeated."""
    width = box.width
    for event in events:
        start = event.row + shift
        if start + event.repeats <= box.top or start > box.bottom:
            continue
        cells = [""] * width
        for col, repeats, text in event.cells:
            for c in range(max(col, box.left), min(col + repeats, box.right + 1)):
                cells[c - box.left] = text
        for row in range(max(start, box.top), min(start + event.repeats, box.bottom + 1)):
            yield row + 1, cells  # `records_frames` copies the texts out before the next row
