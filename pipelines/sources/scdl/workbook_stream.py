"""A large xlsx sheet read row by row (issue 19): memory that does not grow with its rows.

calamine (`split`: every .xls, .ods and xlsx up to `split.STREAM_CELLS`) builds a sheet's
whole range before its first row is read. A larger xlsx is read here instead, a row at a
time, by calamine's own rules (its `src/xlsx` and `src/formats.rs`, 2026-08; MIT), so that a
workbook gives the same grants whichever reader read it: tests/test_scdl_reader_xlsx_stream.py
holds the two equal on every real xlsx of tests/data/real and ../shared/reference and on
calamine's own test workbooks (tests/data/real/xlsx-calamine).

No xlsx library does it: openpyxl's read-only mode streams too, but keeps the whitespace
calamine trims, reads dates by its own list of formats, and cannot find a shared-strings part
written `xl/SharedStrings.xml`; each would give a file different grants at 500,001 cells than
at 499,999. What is read, with lxml's iterparse (no entity resolved, no DTD, no network;
`workbook_guard` has bounded every part's size before):
- the package: `xl/_rels/workbook.xml.rels` and `xl/workbook.xml` (the sheets in order, the
  1900 or 1904 date system), `xl/styles.xml` (which cell styles are dates or durations:
  `number_format_kind`), `xl/sharedStrings.xml`; a part name matched as calamine matches it,
  ignoring case and Windows' backslashes;
- a text: its `<t>` runs outside phonetic `<rPh>`, each trimmed of ASCII whitespace unless
  `xml:space="preserve"`, then `_x00HH_` unescaped;
- a cell: `<v>` of type n (or none) a double (`split.cell_text` writes its shortest decimal),
  a date or a duration if its style is one (`excel_serial`); s a shared string; b a boolean;
  e an error ("" here); str its text; d an ISO date; `<is>` an inline string; a cell without
  `r` follows the previous one, a row without `r` the previous row;
- the range: from the first to the last cell holding a value (a styled empty cell holds
  none), found by a first pass over the sheet (`_box`) before the second reads the rows;
- a sheet whose rows are not in order (a generator's, never a spreadsheet program's) cannot
  stream: the first pass sees it, and calamine reads that sheet whole if its range is within
  `TABLE_CELLS` (refused otherwise).

What stays in memory: the shared strings (any cell may point to any of them: every xlsx reader
holds that table; at most `TABLE_CELLS` distinct strings, `workbook_guard`) and at most `rows`
rows of cells.
"""

from __future__ import annotations

import datetime
import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import polars as pl
from lxml import etree

from pipelines.sources.common import SourceError
from pipelines.sources.scdl.workbook_cells import Box

# a part that does not inflate, or not to its checksum
# (an encrypted member: RuntimeError; a compression zipfile lacks: NotImplementedError)
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError)
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_ESCAPE = re.compile(r"_x00([0-9A-Fa-f]{2})_")  # calamine unescapes one byte: _x000D_ -> "\r"
# a number as calamine parses it (Rust's float syntax: ASCII digits only, Python's float() takes "１")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan)", re.IGNORECASE | re.ASCII)


def iterparse(source, tags: tuple[str, ...], events: tuple[str, ...] = ("end",), comments: bool = False):
    """lxml's iterparse with the safe options (no entity resolved, no DTD, no network, libxml2's
    depth and size bounds); comments and processing instructions dropped unless `comments`."""
    return etree.iterparse(source, events=events, tag=tags, resolve_entities=False, no_network=True,
                           load_dtd=False, huge_tree=False, remove_comments=not comments,
                           remove_pis=not comments)


_LOCAL: dict[str, str] = {}  # a tag ("{namespace}c") -> its local name ("c"), memoised


def local_name(element) -> str:
    tag = element.tag
    try:
        return _LOCAL[tag]
    except KeyError:
        if not isinstance(tag, str):
            return ""
        if len(_LOCAL) > 10_000:
            _LOCAL.clear()  # a file of endless namespaces: the memo stays bounded
        local = _LOCAL[tag] = tag.rpartition("}")[2]
        return local
    except TypeError:  # a comment's or processing instruction's tag is a function
        return ""


def release(element) -> None:
    """Drop a parsed element and the siblings read before it: iterparse keeps the tree otherwise."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def string_text(element) -> str:
    """The text of a shared string `<si>` or an inline `<is>`, by calamine's rules."""
    if len(element) == 1 and local_name(element[0]) == "t" and not len(element[0]):
        return _run_text(element[0])  # the usual <si><t>text</t></si>
    return "".join(_run_text(t) for t in element.iter("{*}t") if not _phonetic(t, element))


def _run_text(t) -> str:
    """One `<t>`: trimmed of ASCII whitespace unless `xml:space="preserve"`, then `_x00HH_` unescaped."""
    text = t.text or ""
    if t.get(_XML_SPACE) != "preserve":
        text = text.strip(" \t\r\n")
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x00" in text else text


def _phonetic(t, top) -> bool:
    """Is `t` inside a `<rPh>` (the phonetic reading of East Asian text, not the text) below `top`?"""
    for ancestor in t.iterancestors():
        if ancestor is top:
            return False
        if local_name(ancestor) == "rPh":
            return True
    return False


@dataclass(frozen=True)
class _Styles:
    kinds: tuple[str | None, ...]  # per cell style index: "date", "duration" or None (a number)
    is_1904: bool  # the 1904 date system (Mac Excel before 2011)


# Number formats Excel knows by id alone (calamine's `builtin_format_by_id`)
_BUILTIN_DATES = {"14", "15", "16", "17", "18", "19", "20", "21", "22", "45", "47"}
_BUILTIN_DURATIONS = {"46"}


def number_format_kind(code: str) -> str | None:
    """"date", "duration" or None for a custom number format code: calamine's
    `detect_custom_number_format` (itself from openpyxl's rules), decided on the first section:
    a d, m, h, y or s outside quotes, brackets and escapes is a date; [h], [m] or [s] a duration."""
    escaped = quoted = ampm = hms = False
    brackets, prev = 0, " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True  # the next character is a literal (an escape, a width, a fill)
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return None  # the first section only
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return "duration"
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif ch in "aA" and not ampm and brackets == 0:
            ampm = True
        elif ch in "pm/PM" and ampm and brackets == 0:
            return "date"
        elif ch in "dmhysDMHYS" and not ampm and brackets == 0:
            return "date"
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return None


_EPOCH = datetime.datetime(1899, 12, 30)
_DAY_MS = 86_400_000


def excel_serial(value: float, kind: str, is_1904: bool):
    """A serial day number as calamine turns it into a date (its `ExcelDateTime`): a duration in
    whole milliseconds; a date from 1899-12-30 (the 1900 system, whose 60 first days are one day
    off: Excel's 29 February 1900), 1,462 days later in the 1904 system, to the millisecond.
    A number no calendar holds stays a number."""
    try:
        if kind == "duration":
            return datetime.timedelta(milliseconds=_round_half_away(value * _DAY_MS))
        days = value + 1462 if is_1904 else value
        if days < 60:
            days += 1
        return _EPOCH + datetime.timedelta(milliseconds=_round_half_away(days * _DAY_MS))
    except (OverflowError, ValueError):
        return value


def _round_half_away(x: float) -> int:
    """Rust's `f64::round`: half away from zero (Python's `round` goes to even)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def _elements(archive, name: str, tags: tuple[str, ...]):
    """The elements `tags` of the zip part `name`, each released once read (none if the part is absent)."""
    part = _part(archive, name)
    if part is None:
        return
    with archive.open(part) as source:
        for _, element in iterparse(source, tags):
            yield element
            release(element)


def _package(archive, source_file: str) -> tuple[list[tuple[str, str | None]], list[str], _Styles]:
    """The sheets (name, part; None where the workbook names a part the zip lacks), the shared
    strings and the styles of an xlsx in the standard layout (`xl/`)."""
    relations = {}
    for rel in _elements(archive, "xl/_rels/workbook.xml.rels", ("{*}Relationship",)):
        if rel.get("Id") is not None:
            relations[rel.get("Id")] = rel.get("Target") or ""
    sheets, is_1904 = [], False
    for element in _elements(archive, "xl/workbook.xml", ("{*}sheet", "{*}workbookPr")):
        if local_name(element) == "workbookPr":
            is_1904 = element.get("date1904") in ("1", "true")
            continue
        rel_id = next((v for k, v in element.attrib.items() if k.rpartition("}")[2] == "id"), None)
        if rel_id not in relations:
            raise SourceError(source_file, "1", f"cannot read spreadsheet: sheet {element.get('name')!r} has no "
                                                "part in xl/_rels/workbook.xml.rels")
        target = relations[rel_id]
        sheets.append((element.get("name") or "", _part(archive, target[1:] if target.startswith("/")
                                                         else "xl/" + target)))
    formats: dict[str, str] = {}
    kinds: list[str | None] = []
    for element in _elements(archive, "xl/styles.xml", ("{*}numFmt", "{*}xf")):
        if local_name(element) == "numFmt":
            if element.get("numFmtId") is not None and element.get("formatCode") is not None:
                formats[element.get("numFmtId")] = element.get("formatCode")
        elif element.getparent() is not None and local_name(element.getparent()) == "cellXfs":
            fmt = element.get("numFmtId")
            kinds.append(None if fmt is None else number_format_kind(formats[fmt]) if fmt in formats
                         else "date" if fmt in _BUILTIN_DATES else "duration" if fmt in _BUILTIN_DURATIONS else None)
    strings = []
    for si in _elements(archive, "xl/sharedStrings.xml", ("{*}si",)):
        strings.append(string_text(si))
    return sheets, strings, _Styles(tuple(kinds), is_1904)


def _part(archive, name: str) -> str | None:
    """The zip member `name`, or the one that differs from it only by case or by Windows'
    backslashes (calamine finds those: `xl/SharedStrings.xml`, `xl\\sharedStrings.xml`)."""
    if name in archive.NameToInfo:
        return name
    wanted = name.replace("\\", "/").lower()
    return next((n for n in archive.NameToInfo if n.replace("\\", "/").lower() == wanted), None)


def xlsx_sheets(path: Path, source_file: str, rows: int) -> Iterator[Iterator[pl.DataFrame]]:
    """Each sheet of the xlsx, in the workbook's order (a chart sheet as an empty one), as an
    iterator of records frames (`split`'s shape: `_line`, `_ncells`, `c0`...) of at most
    `rows` rows each."""
    from pipelines.sources.scdl.split import records_frames

    with open_zip(path, source_file) as archive:
        try:
            sheets, strings, styles = _package(archive, source_file)
        except (etree.XMLSyntaxError, *ZIP_ERRORS) as exc:
            raise SourceError(source_file, "1", f"cannot open spreadsheet: {exc}") from exc
        for index, (_, part) in enumerate(sheets):
            label = f"sheet {index + 1}"
            box, in_order = _box(archive, part, source_file, label) if part is not None else (Box(), True)
            if box.top is None:
                yield records_frames(iter(()), 0, rows)
            elif in_order:
                yield records_frames(_lines(archive, part, box, strings, styles, source_file, label), box.width, rows)
            else:
                yield sheet_whole(path, source_file, index, box.area, rows, "its rows are out of order")


def open_zip(path: Path, source_file: str) -> zipfile.ZipFile:
    """The workbook's zip, or a SourceError saying why it does not open."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceError(source_file, "1", f"cannot open spreadsheet: {exc}") from exc


def sheet_whole(path: Path, source_file: str, index: int, cells: int, rows: int, why: str) -> Iterator[pl.DataFrame]:
    """A sheet that cannot be read a row at a time (`why`: an xlsx's rows out of order, which no
    spreadsheet program writes but a generator may; an ods naming two sheets alike) is read whole
    by calamine, if the `cells` it will hold are within what a workbook read whole may hold
    (`TABLE_CELLS`)."""
    from python_calamine import CalamineWorkbook

    from pipelines.limits import TABLE_CELLS
    from pipelines.sources.scdl.split import calamine_frame, row_slices

    TABLE_CELLS.check(source_file, "1", cells, f"sheet {index + 1}: {why}, so it is read whole, and that "
                                               f"spans {cells:,} cells")
    try:
        with CalamineWorkbook.from_path(str(path)) as workbook:
            frame = calamine_frame(workbook.get_sheet_by_index(index))
    except Exception as exc:  # calamine raises its own error types
        raise SourceError(source_file, "1", f"cannot read sheet {index + 1}: {exc}") from exc
    return row_slices(frame, rows)


def _box(archive, part: str, source_file: str, label: str) -> tuple[Box, bool]:
    """The sheet's range, and whether its valued cells come row after row (never back up)."""
    box, in_order = Box(), True
    top = bottom = left = right = None
    with archive.open(part) as source:
        for row, col, value in chain.from_iterable(_cells(source, None, None, source_file, label)):
            if value is None:
                continue
            if top is None:
                top = bottom = row
                left = right = col
                continue
            if row < top:
                top = row
                in_order = False
            elif row > bottom:
                bottom = row
            elif row < bottom:
                in_order = False
            if col < left:
                left = col
            elif col > right:
                right = col
    if top is not None:
        box.add(top, bottom, left, right)
    return box, in_order


def _lines(archive, part: str, box: Box, strings: list[str], styles: _Styles, source_file: str,
           label: str) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows inside `box`, each `box.width` texts ("" where empty), numbered as
    the sheet numbers them; the rows without cells in between are empty rows."""
    width, next_row = box.width, box.top
    current, cells = None, None
    with archive.open(part) as source:
        for row, col, value in chain.from_iterable(_cells(source, strings, styles, source_file, label)):
            if value is None or not (box.top <= row <= box.bottom and box.left <= col <= box.right):
                continue
            if row != current:
                if cells is not None:
                    yield current + 1, cells
                    next_row = current + 1
                if row < next_row:  # `_box` saw the rows in order: the part changed between the two passes
                    raise SourceError(source_file, str(row + 1), f"{label}: row {row + 1} comes after row {next_row}: "
                                                                 "rows out of order are not read")
                while next_row < row:
                    yield next_row + 1, [""] * width
                    next_row += 1
                current, cells = row, [""] * width
            cells[col - box.left] = value
    if cells is not None:
        yield current + 1, cells


def _cells(source, strings: list[str] | None, styles: _Styles | None, source_file: str,
           label: str) -> Iterator[list[tuple[int, int, str | None]]]:
    """For each `<row>` of the sheet XML, its cells' (row, column, text), zero-based, text None
    where the cell holds no value. Without `strings` (the range pass) a value is only told
    apart from no value: its text is ""."""
    from pipelines.sources.scdl.split import cell_text

    row_index = 0
    try:
        for _, row in iterparse(source, ("{*}row",)):
            row_ref = row.get("r")
            if row_ref is not None:
                if not row_ref.isdigit() or len(row_ref) > 15:
                    raise SourceError(source_file, "1", f"{label}: row number {row_ref[:40]!r}: not read")
                row_index = int(row_ref) - 1
            col_index, found = 0, []
            for cell in row:
                if local_name(cell) != "c":
                    continue
                ref = cell.get("r")
                if ref is None:
                    at_row = row_index
                else:
                    # fast: "B12" in row 12, letters already met; else read whole
                    letters = ref.rstrip(_DIGITS)
                    col = _COLUMNS.get(letters)
                    if col is not None and ref[len(letters):] == row_ref:
                        at_row, col_index = row_index, col
                    else:
                        at = _reference(ref)
                        if at is None:
                            raise SourceError(source_file, "1", f"{label}: a cell reference that is not plain "
                                                                f"({ref[:40]!r}): not read")
                        at_row, col_index = at
                found.append((at_row, col_index,
                              _value(cell, strings, styles, cell_text, source_file, label, at_row, col_index)))
                col_index += 1
            yield found
            row_index += 1
            release(row)
    except etree.XMLSyntaxError as exc:
        raise SourceError(source_file, "1", f"cannot read spreadsheet: {label}: {exc}") from exc
    except ZIP_ERRORS as exc:
        raise SourceError(source_file, "1", f"cannot read spreadsheet: {label}: {exc}") from exc


_DIGITS = "0123456789"
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
_COLUMNS: dict[str, int] = {}  # column letters -> zero-based index, memoised (at most 26^3 + 26^2 + 26)


def _reference(ref: str) -> tuple[int, int] | None:
    """'B12' -> (11, 1); None if not a plain reference."""
    m = _REF.fullmatch(ref)
    if m is None:
        return None
    letters, digits = m.groups()
    col = _COLUMNS.get(letters)
    if col is None:
        col = 0
        for ch in letters.upper():
            col = col * 26 + ord(ch) - 64
        col -= 1
        if ref == letters + digits:  # memoised only as the fast path finds it: plain letters, no "$"
            _COLUMNS[letters] = col
    return int(digits) - 1, col


def _value(cell, strings, styles, cell_text, source_file: str, label: str, row: int, col: int) -> str | None:
    """A cell's text, or None where it holds no value (calamine's `read_value`: the last of
    its `<is>`/`<v>` children decides; `<f>`, a formula, is no value: its cached `<v>` is)."""
    kind = cell.get("t")
    value = None
    for child in cell:
        local = local_name(child)
        if local == "is":
            value = string_text(child) if strings is not None else ""
        elif local == "v":
            if kind in ("inlineStr", "is"):
                value = None  # redundant beside <is>
            else:
                value = _v(child.text or "", kind, cell.get("s"), strings, styles, cell_text, source_file,
                           label, row, col)
        elif local == "f":
            value = None
        elif local:
            raise SourceError(source_file, str(row + 1), f"{label}: cell {_name(row, col)} holds a <{local}>: not read")
    return value


def _v(text: str, kind: str | None, style: str | None, strings, styles, cell_text, source_file: str, label: str,
       row: int, col: int) -> str | None:
    if kind in ("n", "s", "b", "e", None):
        if text == "":
            return None
        if strings is None:
            return ""
        if kind == "s":
            index = int(text) if text.isdigit() else 0
            if index >= len(strings):
                raise SourceError(source_file, str(row + 1), f"{label}: cell {_name(row, col)} points to shared "
                                                             f"string {index:,}, the table has {len(strings):,}")
            return strings[index]
        if kind == "b":
            return cell_text(text != "0")
        if kind == "e":
            return ""  # an error (#N/A, #DIV/0!...): no value to read
        if not NUMBER.fullmatch(text):
            if kind is None:
                return text
            raise SourceError(source_file, str(row + 1), f"{label}: cell {_name(row, col)} is a number "
                                                         f"{text[:40]!r}: not read")
        number = float(text)
        if style is not None:  # calamine: a style index it cannot read is style 0, one past the list none
            index = int(style) if style.isdigit() else 0
            kind = styles.kinds[index] if index < len(styles.kinds) else None
            if kind is not None:
                return cell_text(excel_serial(number, kind, styles.is_1904))
        return cell_text(number)
    if kind == "str":
        return text
    if kind == "d":
        return text if strings is None else cell_text(_iso_date(text))
    raise SourceError(source_file, str(row + 1), f"{label}: cell {_name(row, col)} has type t={kind[:20]!r}: not read")


def _iso_date(text: str):
    """A cell of type d (ISO 8601, rare: Excel writes serial numbers) as a datetime, as calamine
    reads it; left as written if it is not one."""
    text = text.removesuffix("Z")
    for parse in (datetime.datetime.fromisoformat, datetime.time.fromisoformat):  # a date, or a time alone
        try:
            return parse(text)
        except ValueError:
            pass
    return text


def _name(row: int, col: int) -> str:
    """(11, 1) -> 'B12'."""
    letters, n = "", col + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"
