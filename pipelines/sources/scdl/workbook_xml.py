"""The cells of a zipped workbook's sheet XML, counted while it streams by (xlsx, ods).

`XlsxScanner` reads SpreadsheetML (`<row>`/`<c>` and their `r`, and the shared-strings
table's declared size), `OdsScanner` OpenDocument (rows and cells with their
`number-*-repeated`). Each is fed the inflated part a block at a time and adds the
sheets' ranges to a `Cells` budget; an XML start tag is never held longer than 1 MiB.
"""

from __future__ import annotations

import re

from pipelines.limits import MiB, TABLE_CELLS
from pipelines.sources.common import SourceError
from pipelines.sources.scdl.workbook_cells import Box, Cells

_MAX_TAG = 1 * MiB  # one XML start tag longer than this is no spreadsheet

_ATTRS = rb"""((?:[^>"']+|"[^"]*"|'[^']*')*)"""
_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"


class XmlScanner:
    """Feeds runs of complete start tags (never one cut between two chunks) to `_scan`."""

    TOKEN: re.Pattern[bytes]

    def __init__(self, cells: Cells, label: str):
        self.cells, self.label, self.tail = cells, label, b""

    def feed(self, data: bytes) -> None:
        buf = self.tail + data
        cut = buf.rfind(b"<")
        if cut == -1 or buf.find(b">", cut) != -1:
            cut = len(buf)  # no tag open at the end (a '>' inside a quoted value only makes us wait)
        self._scan(buf, cut)
        self.tail = buf[cut:]
        if len(self.tail) > _MAX_TAG:
            raise SourceError(self.cells.source_file, "1",
                              f"{self.label}: an XML tag longer than {_MAX_TAG:,} bytes: not a spreadsheet")

    def close(self) -> None:
        self._scan(self.tail, len(self.tail))
        self.tail = b""
        self._end_sheet()

    def _scan(self, buf: bytes, end: int) -> None:
        for m in self.TOKEN.finditer(buf, 0, end):
            self._tag(m)

    def _tag(self, m: re.Match[bytes]) -> None:
        raise NotImplementedError

    def _end_sheet(self) -> None:
        raise NotImplementedError


def _attr(attrs: bytes, name: bytes) -> bytes | None:
    m = re.search(rb"(?:^|\s)" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""", attrs)
    if m is None:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


_CELL_REF = re.compile(rb"\$?([A-Za-z]{1,7})\$?(\d{1,15})")


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1


class XlsxScanner(XmlScanner):
    """SpreadsheetML: `<row r="5">`, `<c r="B5" ...>` (`r` may be absent: the next position).

    Fast path, for what spreadsheet software writes (no namespace prefix, `r` the first
    attribute of every `<row>` and `<c>` of the chunk): the chunk's range over *all* its
    cells, styled empty ones included, is found by substring counts and one simple regex;
    when that range keeps the workbook within the limit, it is taken as is (a range a
    little too large is harmless under the limit). Otherwise, and for any other chunk, the
    tags are walked one by one, only cells with a value counted, positions inferred."""

    TOKEN = re.compile(rb"<" + _PREFIX + rb"(row|c|sst)(?=[\s/>])" + _ATTRS + rb">")
    R_CELL = re.compile(rb'<c r="\$?([A-Za-z]{1,7})\$?(\d{1,15})"')
    R_ROW = re.compile(rb'<row r="(\d{1,15})"')
    ODD_TAG = re.compile(rb"<(?:c|row)[>/\t\n\r]")

    def __init__(self, cells: Cells, label: str):
        super().__init__(cells, label)
        self.box, self.row, self.col = Box(), -1, -1

    def _scan(self, buf: bytes, end: int) -> None:
        view = buf[:end] if end < len(buf) else buf
        if b":c" in view or b":row" in view or b"sst" in view:
            return super()._scan(buf, end)  # prefixed tags, or the shared strings' header: walk
        if self.ODD_TAG.search(view):
            return super()._scan(buf, end)  # <c> or <row> followed by something else than a space
        found = self.R_CELL.findall(view)
        row_refs = self.R_ROW.findall(view)
        if len(found) != view.count(b"<c ") or len(row_refs) != view.count(b"<row "):
            return super()._scan(buf, end)  # a cell or row without a leading plain r: walk
        if found:
            numbers = [int(r) for _, r in found]
            columns = [_column(c) for c in set(c for c, _ in found)]
            wider = Box()
            wider.__dict__.update(self.box.__dict__)
            wider.add(min(numbers) - 1, max(numbers) - 1, min(columns), max(columns))
            if self.cells.done + wider.area > self.cells.limit or wider.width > self.cells.columns:
                return super()._scan(buf, end)  # over with the empty cells: count the valued ones only
            self.box = wider
            self.col = _column(found[-1][0])
        if row_refs:
            self.row = int(row_refs[-1]) - 1

    def _tag(self, m: re.Match[bytes]) -> None:
        name, attrs = m.group(1), m.group(2)
        if name == b"c":
            ref = _attr(attrs, b"r")
            if ref is None:
                row, col = max(self.row, 0), self.col + 1
            else:
                parsed = _CELL_REF.fullmatch(ref)
                if parsed is None:
                    raise self._unreadable(ref)
                col, row = _column(parsed.group(1)), int(parsed.group(2)) - 1
            self.col = col
            if not attrs.rstrip().endswith(b"/"):  # <c .../> has no value: calamine skips it
                self.box.add(row, row, col, col)
                self.cells.check(self.box, self.label)
        elif name == b"row":
            ref = _attr(attrs, b"r")
            if ref is None:
                self.row += 1
            elif ref.isdigit() and len(ref) <= 15:
                self.row = int(ref) - 1
            else:
                raise self._unreadable(ref)
            self.col = -1
        else:  # <sst count=".." uniqueCount="..">: calamine reserves that many strings up front
            # the strings a reader holds (distinct: TABLE_CELLS), the cells that point to them (the cells' bound)
            for key, bound in ((b"uniqueCount", TABLE_CELLS), (b"count", self.cells.bound)):
                value = _attr(attrs, key)
                if value is not None and value.strip().isdigit() and int(value) > bound.value():
                    raise bound.refuse(
                        self.cells.source_file, "1",
                        f"{self.label} declares {int(value):,} shared strings ({key.decode()})")

    def _unreadable(self, ref: bytes) -> SourceError:
        return SourceError(self.cells.source_file, "1",
                           f"{self.label}: a cell reference that is not plain ({ref[:40]!r}): not read")

    def _end_sheet(self) -> None:
        self.cells.done += self.box.area
        self.box = Box()


class OdsScanner(XmlScanner):
    """OpenDocument: `<table:table>` sheets of rows and cells, each row or cell repeated
    by `table:number-rows-repeated` / `table:number-columns-repeated`. A row's valued cells
    are added to the sheet's range once, at the row's end (the most cells of any row:
    16,384 for calamine, `COLUMNS` here)."""

    TOKEN = re.compile(rb"<" + _PREFIX + rb"(table|table-row|table-cell|covered-table-cell)(?=[\s/>])" + _ATTRS + rb">")
    ROWS_REPEATED = re.compile(rb"(?:^|\s)" + _PREFIX + rb"""number-rows-repeated\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    COLUMNS_REPEATED = re.compile(rb"(?:^|\s)" + _PREFIX + rb"""number-columns-repeated\s*=\s*(?:"([^"]*)"|'([^']*)')""")

    def __init__(self, cells: Cells, label: str):
        super().__init__(cells, label)
        self.box, self.row, self.next_row, self.rows, self.col = Box(), 0, 0, 1, 0
        self.left = self.right = None  # the current row's first and last valued columns

    def _repeat(self, attrs: bytes, pattern: re.Pattern[bytes], key: str) -> int:
        m = pattern.search(attrs) if b"repeated" in attrs else None
        if m is None:
            return 1
        value = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        if not value.isdigit() or len(value) > 15:
            raise SourceError(self.cells.source_file, "1", f"{self.label}: {key}={value[:40]!r}: not read")
        return max(int(value), 1)

    def _tag(self, m: re.Match[bytes]) -> None:
        name, attrs = m.group(1), m.group(2)
        if name == b"table-cell" or name == b"covered-table-cell":
            cols = self._repeat(attrs, self.COLUMNS_REPEATED, "number-columns-repeated")
            if b"value-type" in attrs or not attrs.rstrip().endswith(b"/"):
                if self.left is None:
                    self.left = self.col
                self.right = self.col + cols - 1
            self.col += cols
        elif name == b"table-row":
            self._end_row()
            self.row, self.rows = self.next_row, self._repeat(attrs, self.ROWS_REPEATED, "number-rows-repeated")
            self.next_row += self.rows
            self.col = 0
        else:
            self._end_sheet()

    def _end_row(self) -> None:
        if self.left is not None:
            self.box.add(self.row, self.row + self.rows - 1, self.left, self.right)
            self.cells.check(self.box, self.label)
            self.left = self.right = None

    def _end_sheet(self) -> None:
        self._end_row()
        self.cells.done += self.box.area
        self.box, self.row, self.next_row, self.rows, self.col = Box(), 0, 0, 1, 0
