"""A workbook's size, checked before calamine opens it (issue 20, `pipelines.limits`).

calamine (through fastexcel) builds a sheet's whole range at once, from its first to its
last cell with a value, 32 bytes a cell whatever the cells hold, and believes what the
file declares: found on this project's calamine,
- two cells A1 and XFD1048576 in a 1.5 kB xlsx: it asks for 550 GB and the process
  *aborts* (a Rust allocation failure: no exception, `isolated` cannot catch it, the
  whole run dies); the same from a .xls whose DIMENSIONS record or one cell says so;
- a shared-strings table declaring four billion strings: 96 GB asked, abort;
- a zip part that inflates past its declared size: calamine reads it all (a 290 kB xlsx
  gave a 300 MB cell and 1.5 GB of memory); a zip bomb inflates to gigabytes;
- an 800-byte .ods repeating one cell 16,384 columns x 3,000 rows: over 3 GB.

`check_workbook(path, source_file)` refuses such files with a `SourceError` naming the
file and the limit, having held at most 1 MiB of the inflated content at a time:
1. the file's size (`WORKBOOK_BYTES`; the only bound calamine's own format gives .xls);
2. a zip (xlsx, ods): its number of parts, their declared unzipped sizes
   (`WORKBOOK_UNZIPPED_BYTES`) and compression ratios (`WORKBOOK_RATIO`), then each part
   inflated here, refused if it inflates past its declared size;
3. the cells: each sheet's range (rows x columns from its first to its last cell with a
   value, as calamine will allocate it) summed over the workbook (`TABLE_CELLS`),
   counted while streaming the sheet XML (xlsx: `<row>`/`<c>` and their `r`; ods: rows
   and cells with their `number-*-repeated`), or the BIFF records of a .xls's Workbook
   stream (cells and DIMENSIONS), read from its OLE2 container; an xlsx shared-strings
   table may not declare more strings than that limit.
The scans are conservative: a cell element that is not self-closing counts as a value,
an element in another part of the zip that looks like a cell counts too; a cell reference
that cannot be read plainly (`r="&#65;1"`) refuses the file.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pipelines.limits import (
    COLUMNS, MiB, TABLE_CELLS, WORKBOOK_BYTES, WORKBOOK_PARTS, WORKBOOK_RATIO, WORKBOOK_UNZIPPED_BYTES,
    check_file_size,
)
from pipelines.sources.common import SourceError

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_INFLATE_OUT = 1 * MiB  # inflated bytes held at a time
_RATIO_FLOOR = 1 * MiB  # parts smaller than this may compress as well as they like
_MAX_TAG = 1 * MiB  # one XML start tag longer than this is no spreadsheet


def check_workbook(path: Path, source_file: str) -> None:
    """Refuse (SourceError, where "1") a workbook over a limit; return quietly otherwise,
    or when the file is no zip or OLE2 container at all (calamine then says what it is)."""
    size = check_file_size(path, source_file, WORKBOOK_BYTES)
    with path.open("rb") as fh:
        magic = fh.read(8)
        if magic.startswith(_ZIP):
            _check_zip(fh, size, source_file)
        elif magic == _OLE2:
            _check_xls(fh, size, source_file)


class _Cells:
    """The cells budget of the whole workbook: sheets' ranges, added as they are scanned;
    and the columns of each."""

    def __init__(self, source_file: str):
        self.source_file, self.limit, self.done = source_file, TABLE_CELLS.value(), 0
        self.columns = COLUMNS.value()

    def check(self, box: "_Box | int", where: str) -> None:
        area = box if isinstance(box, int) else box.area
        total = self.done + area
        if total > self.limit:
            raise TABLE_CELLS.refuse(self.source_file, "1", f"{where} spans {total:,} cells")
        width = 0 if isinstance(box, int) else box.width
        if width > self.columns:
            raise COLUMNS.refuse(self.source_file, "1", f"{where} spans {width:,} columns")


class _Box:
    """A sheet's range: rows and columns from its first to its last cell with a value."""

    def __init__(self) -> None:
        self.top = self.left = None
        self.bottom = self.right = -1

    def add(self, row0: int, row1: int, col0: int, col1: int) -> None:
        self.top = row0 if self.top is None else min(self.top, row0)
        self.left = col0 if self.left is None else min(self.left, col0)
        self.bottom, self.right = max(self.bottom, row1), max(self.right, col1)

    @property
    def width(self) -> int:
        return 0 if self.top is None else self.right - self.left + 1

    @property
    def area(self) -> int:
        return 0 if self.top is None else (self.bottom - self.top + 1) * self.width


# --- zip containers: xlsx, ods ------------------------------------------------------

def _check_zip(fh: BinaryIO, size: int, source_file: str) -> None:
    parts = _declared_parts(fh, size)
    if parts is None:
        raise SourceError(source_file, "1", "cannot open spreadsheet: not a complete zip archive "
                                            "(no end of central directory: truncated?)")
    WORKBOOK_PARTS.check(source_file, "1", parts, f"{parts:,} parts in its zip")
    fh.seek(0)
    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise SourceError(source_file, "1", f"cannot open spreadsheet: {exc}") from exc
    infos = archive.infolist()
    WORKBOOK_PARTS.check(source_file, "1", len(infos), f"{len(infos):,} parts in its zip")
    declared = sum(i.file_size for i in infos)
    WORKBOOK_UNZIPPED_BYTES.check(source_file, "1", declared, f"its parts declare {declared:,} bytes unzipped")
    ratio = WORKBOOK_RATIO.value()
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise WORKBOOK_RATIO.refuse(
                source_file, "1", f"part {info.filename!r} inflates {info.compress_size:,} bytes to "
                f"{info.file_size:,} ({info.file_size / max(info.compress_size, 1):,.0f} to 1: a zip bomb?)")
    binary = next((i.filename for i in infos if i.filename.lower().endswith("workbook.bin")), None)
    if binary is not None:  # xlsb: its sheets are binary records this check does not read
        raise SourceError(source_file, "1", f"a binary workbook (xlsb, {binary!r}) is not read: save it as xlsx")
    cells = _Cells(source_file)
    for info in infos:
        name = info.filename
        if not name.lower().endswith(".xml"):
            for _ in _inflate(fh, info, source_file):
                pass  # inflated all the same: a part larger than declared is refused
            continue
        scanner = (_OdsScanner if name.rsplit("/", 1)[-1].lower() == "content.xml" else _XlsxScanner)(
            cells, f"part {name!r}")
        for block in _inflate(fh, info, source_file):
            scanner.feed(block)
        scanner.close()


def _declared_parts(fh: BinaryIO, size: int) -> int | None:
    """The number of parts the end-of-central-directory record declares (zip64 too)."""
    tail = min(size, 65_536 + 22)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        return None
    parts = struct.unpack_from("<H", data, at + 10)[0]
    if parts == 0xFFFF and at >= 20 and data[at - 20:at - 16] == b"PK\x06\x07":
        offset = struct.unpack_from("<Q", data, at - 20 + 8)[0]
        fh.seek(offset)
        record = fh.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            parts = struct.unpack_from("<Q", record, 32)[0]
    return parts


def _inflate(fh: BinaryIO, info: zipfile.ZipInfo, source_file: str) -> Iterator[bytes]:
    """The part's bytes, at most 1 MiB at a time; refused past its declared size."""
    label = f"part {info.filename!r}"
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != _ZIP:
        raise SourceError(source_file, "1", f"cannot open spreadsheet: {label} has no local header")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise SourceError(source_file, "1", f"cannot open spreadsheet: {label} is stored with "
                                                f"{info.compress_size:,} bytes but declares {info.file_size:,}")
        while left:
            block = fh.read(min(left, _INFLATE_OUT))
            if not block:
                break
            left -= len(block)
            yield block
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise SourceError(source_file, "1", f"cannot open spreadsheet: {label} uses compression method "
                                            f"{info.compress_type}, not deflate (no spreadsheet software writes it)")
    inflater = zlib.decompressobj(-15)
    out = 0
    while left or inflater.unconsumed_tail:
        if inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            data = fh.read(min(left, 1 << 16))
            if not data:
                break
            left -= len(data)
        try:
            block = inflater.decompress(data, _INFLATE_OUT)
        except zlib.error as exc:
            raise SourceError(source_file, "1", f"cannot open spreadsheet: {label} does not inflate ({exc})") from exc
        out += len(block)
        if out > info.file_size:
            raise WORKBOOK_UNZIPPED_BYTES.refuse(
                source_file, "1", f"{label} inflates past the {info.file_size:,} bytes it declares (a zip bomb?)")
        if block:
            yield block
        if inflater.eof:
            break
    rest = inflater.flush()
    if out + len(rest) > info.file_size:
        raise WORKBOOK_UNZIPPED_BYTES.refuse(
            source_file, "1", f"{label} inflates past the {info.file_size:,} bytes it declares (a zip bomb?)")
    if rest:
        yield rest


_ATTRS = rb"""((?:[^>"']+|"[^"]*"|'[^']*')*)"""
_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"


class _XmlScanner:
    """Feeds runs of complete start tags (never one cut between two chunks) to `_scan`."""

    TOKEN: re.Pattern[bytes]

    def __init__(self, cells: _Cells, label: str):
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


class _XlsxScanner(_XmlScanner):
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

    def __init__(self, cells: _Cells, label: str):
        super().__init__(cells, label)
        self.box, self.row, self.col = _Box(), -1, -1

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
            wider = _Box()
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
            for key in (b"count", b"uniqueCount"):
                value = _attr(attrs, key)
                if value is not None and value.strip().isdigit() and int(value) > self.cells.limit:
                    raise TABLE_CELLS.refuse(
                        self.cells.source_file, "1",
                        f"{self.label} declares {int(value):,} shared strings ({key.decode()})")

    def _unreadable(self, ref: bytes) -> SourceError:
        return SourceError(self.cells.source_file, "1",
                           f"{self.label}: a cell reference that is not plain ({ref[:40]!r}): not read")

    def _end_sheet(self) -> None:
        self.cells.done += self.box.area
        self.box = _Box()


class _OdsScanner(_XmlScanner):
    """OpenDocument: `<table:table>` sheets of rows and cells, each row or cell repeated
    by `table:number-rows-repeated` / `table:number-columns-repeated`."""

    TOKEN = re.compile(rb"<" + _PREFIX + rb"(table|table-row|table-cell|covered-table-cell)(?=[\s/>])" + _ATTRS + rb">")

    def __init__(self, cells: _Cells, label: str):
        super().__init__(cells, label)
        self.box, self.row, self.next_row, self.rows, self.col = _Box(), 0, 0, 1, 0

    def _repeat(self, attrs: bytes, key: bytes) -> int:
        value = _attr(attrs, _PREFIX + key)
        if value is None:
            return 1
        value = value.strip()
        if not value.isdigit() or len(value) > 15:
            raise SourceError(self.cells.source_file, "1", f"{self.label}: {key.decode()}={value[:40]!r}: not read")
        return max(int(value), 1)

    def _tag(self, m: re.Match[bytes]) -> None:
        name, attrs = m.group(1), m.group(2)
        if name == b"table":
            self._end_sheet()
        elif name == b"table-row":
            self.row, self.rows = self.next_row, self._repeat(attrs, b"number-rows-repeated")
            self.next_row += self.rows
            self.col = 0
        else:
            cols = self._repeat(attrs, b"number-columns-repeated")
            valued = not attrs.rstrip().endswith(b"/") or b"value-type" in attrs
            if valued:
                self.box.add(self.row, self.row + self.rows - 1, self.col, self.col + cols - 1)
                self.cells.check(self.box, self.label)
            self.col += cols

    def _end_sheet(self) -> None:
        self.cells.done += self.box.area
        self.box, self.row, self.next_row, self.rows, self.col = _Box(), 0, 0, 1, 0


# --- OLE2 containers: legacy .xls ---------------------------------------------------

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_BOF = (0x0809, 0x0409, 0x0209, 0x0009)
_DIMENSIONS = (0x0200, 0x0000)
# BIFF5/8 cell records with a value, (row, col) first; MULRK: row, first col, ..., last col
_CELLS = (0x0006, 0x00D6, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E, 0x0406)
_MULRK = 0x00BD


def _check_xls(fh: BinaryIO, size: int, source_file: str) -> None:
    try:
        streams = list(_ole_streams(fh, size, ("workbook", "book")))
    except (struct.error, IndexError, ValueError) as exc:
        raise SourceError(source_file, "1", f"cannot open spreadsheet: not a readable OLE2 file ({exc})") from exc
    cells = _Cells(source_file)
    for stream in streams:
        _scan_biff(stream, cells)


def _ole_streams(fh: BinaryIO, size: int, names: tuple[str, ...]) -> Iterator[bytes]:
    """The streams called `names` (any case) of an OLE2 compound file (MS-CFB), whole:
    each at most the file's size, which `WORKBOOK_BYTES` bounds."""
    fh.seek(0)
    header = fh.read(512)
    sector = 1 << struct.unpack_from("<H", header, 0x1E)[0]
    mini = 1 << struct.unpack_from("<H", header, 0x20)[0]
    if not 128 <= sector <= 65536 or not 8 <= mini <= sector:
        raise ValueError("bad sector sizes")
    n_sectors = max(size // sector, 1)
    first_dir, cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<I4xIIIII", header, 0x30)

    def read_sector(i: int) -> bytes:
        if i >= n_sectors:
            raise ValueError(f"sector {i} beyond the file")
        fh.seek((i + 1) * sector)
        return fh.read(sector)

    per = sector // 4
    fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < _END]
    difat, seen = first_difat, 0
    while difat < _END and seen <= min(n_difat, n_sectors):
        entries = struct.unpack(f"<{per}I", read_sector(difat))
        fat_sectors += [s for s in entries[:-1] if s < _END]
        difat, seen = entries[-1], seen + 1
    fat: list[int] = []
    for s in fat_sectors[:n_sectors]:
        fat.extend(struct.unpack(f"<{per}I", read_sector(s)))

    def chain(start: int, table: list[int], limit: int) -> Iterator[int]:
        steps = 0
        while start < _END:
            if start >= len(table) or steps > limit:
                raise ValueError("broken sector chain")
            yield start
            start, steps = table[start], steps + 1

    def read_chain(start: int) -> bytes:
        return b"".join(read_sector(i) for i in chain(start, fat, n_sectors))

    directory = read_chain(first_dir)
    entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        raise ValueError("no directory")
    root_start, root_size = struct.unpack_from("<IQ", entries[0], 116)
    if sector == 512:
        root_size &= 0xFFFFFFFF  # version 3: the high half is not to be trusted
    ministream: bytes | None = None
    minifat: list[int] | None = None
    for entry in entries:
        name_len = min(struct.unpack_from("<H", entry, 64)[0], 64)
        name = entry[:max(name_len - 2, 0)].decode("utf-16-le", errors="replace").lower()
        if entry[66] != 2 or name not in names:
            continue
        start, stream_size = struct.unpack_from("<IQ", entry, 116)
        if sector == 512:
            stream_size &= 0xFFFFFFFF  # version 3: the high half is not to be trusted
        if stream_size >= cutoff:
            yield read_chain(start)[:stream_size]
            continue
        if ministream is None:
            ministream = read_chain(root_start)[:root_size]
            raw = b"".join(read_sector(i) for i in chain(first_minifat, fat, n_sectors)) if n_minifat else b""
            minifat = list(struct.unpack(f"<{len(raw) // 4}I", raw[:len(raw) // 4 * 4]))
        per_mini = len(ministream) // mini + 1
        yield b"".join(ministream[i * mini:(i + 1) * mini] for i in chain(start, minifat, per_mini))[:stream_size]


def _scan_biff(stream: bytes, cells: _Cells) -> None:
    """Each sheet's range in a BIFF Workbook stream: its DIMENSIONS record (calamine
    reserves that much up front) and its cells with a value (it places each one)."""
    box, declared, sheet, pos = _Box(), 0, 0, 0
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        data = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if kind in _BOF:
            cells.done += max(box.area, declared)
            box, declared, sheet = _Box(), 0, sheet + 1
            continue
        label = f"sheet {sheet - 1} of the Workbook stream"
        if kind in _DIMENSIONS and len(data) >= 10:
            if len(data) >= 14:  # BIFF8: rows in 32 bits
                first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", data)
            else:
                first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", data)
            if first_row > last_row or first_col > last_col:
                raise SourceError(cells.source_file, "1", f"{label}: its DIMENSIONS record is inverted: not read")
            declared = last_row * last_col  # one past the last row and column, from A1
            cells.check(max(box.area, declared), label)
            if last_col > cells.columns:
                raise COLUMNS.refuse(cells.source_file, "1", f"{label} declares {last_col:,} columns")
        elif kind in _CELLS and len(data) >= 4:
            row, col = struct.unpack_from("<HH", data)
            box.add(row, row, col, col)
            cells.check(max(box.area, declared), label)
            cells.check(box, label)
        elif kind == _MULRK and len(data) >= 6:
            row, first = struct.unpack_from("<HH", data)
            last = struct.unpack_from("<H", data, len(data) - 2)[0]
            box.add(row, row, min(first, last), max(first, last))
            cells.check(max(box.area, declared), label)
            cells.check(box, label)
    cells.done += max(box.area, declared)
