"""A workbook's size, checked before calamine opens it (issue 20, `pipelines.limits`).

calamine (through python-calamine) builds a sheet's whole range at once, from its first to its
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
   value, as calamine will allocate it) summed over the workbook (`TABLE_CELLS`; for an
   xlsx or an ods, which stream past 500,000 cells, `STREAMED_CELLS`: the bound is then on time),
   counted while streaming the sheet XML (xlsx: `<row>`/`<c>` and their `r`; ods: rows
   and cells with their `number-*-repeated`), or the BIFF records of a .xls's Workbook
   stream (cells and DIMENSIONS), read from its OLE2 container; an xlsx shared-strings
   table may not declare more distinct strings than `TABLE_CELLS` (every reader holds them)
   (the scanners: `workbook_xml`, `workbook_xls`; the budget they add to: `workbook_cells`).
   The cells counted are returned (`Scanned`): `split` chooses the xlsx reader by them.
The scans are conservative: a cell element that is not self-closing counts as a value,
an element in another part of the zip that looks like a cell counts too; a cell reference
that cannot be read plainly (`r="&#65;1"`) refuses the file.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipelines.limits import (
    MiB, STREAMED_CELLS, TABLE_CELLS, WORKBOOK_BYTES, WORKBOOK_PARTS, WORKBOOK_RATIO, WORKBOOK_UNZIPPED_BYTES, check_file_size,
)
from pipelines.sources.common import SourceError
from pipelines.sources.scdl.workbook_cells import Cells
from pipelines.sources.scdl.workbook_ods import is_ods as _is_ods
from pipelines.sources.scdl.workbook_xls import check_xls
from pipelines.sources.scdl.workbook_xml import OdsScanner, XlsxScanner

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_INFLATE_OUT = 1 * MiB  # inflated bytes held at a time
_RATIO_FLOOR = 1 * MiB  # parts smaller than this may compress as well as they like


# The part an Office Open XML workbook (xlsx, xlsm) starts from, in the layout every spreadsheet
# program writes: such a workbook can stream (`workbook_stream`), so its cells are bounded by
# STREAMED_CELLS, not TABLE_CELLS
XLSX_MAIN_PART = "xl/workbook.xml"


# The workbooks read row by row past `split.STREAM_CELLS` (`workbook_stream`, `workbook_ods`): their
# cells are bounded by STREAMED_CELLS (time), the others' by TABLE_CELLS (memory)
STREAMED_KINDS = ("xlsx", "ods")


@dataclass(frozen=True)
class Scanned:
    """What the check saw: "xlsx", "ods", "zip" (a zip of another layout), "xls", or None
    (no container: calamine then says what the file is); and the cells its sheets' ranges span."""

    kind: str | None
    cells: int


def check_workbook(path: Path, source_file: str) -> Scanned:
    """Refuse (SourceError, where "1") a workbook over a limit; say what was scanned otherwise."""
    size = check_file_size(path, source_file, WORKBOOK_BYTES)
    with path.open("rb") as fh:
        magic = fh.read(8)
        if magic.startswith(_ZIP):
            return _check_zip(fh, size, source_file)
        if magic == _OLE2:
            check_xls(fh, size, source_file)
            return Scanned("xls", 0)
    return Scanned(None, 0)


# --- zip containers: xlsx, ods ------------------------------------------------------

def _check_zip(fh: BinaryIO, size: int, source_file: str) -> Scanned:
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
    kind = "xlsx" if any(i.filename == XLSX_MAIN_PART for i in infos) else "ods" if _is_ods(archive) else "zip"
    cells = Cells(source_file, STREAMED_CELLS if kind in STREAMED_KINDS else TABLE_CELLS)
    for info in infos:
        name = info.filename
        if not name.lower().endswith(".xml"):
            for _ in _inflate(fh, info, source_file):
                pass  # inflated all the same: a part larger than declared is refused
            continue
        scanner = (OdsScanner if name.rsplit("/", 1)[-1].lower() == "content.xml" else XlsxScanner)(
            cells, f"part {name!r}")
        for block in _inflate(fh, info, source_file):
            scanner.feed(block)
        scanner.close()
    return Scanned(kind, cells.done)


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
