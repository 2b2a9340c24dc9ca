"""The cells of a legacy .xls workbook: the BIFF records of its Workbook stream, read
from its OLE2 compound file (MS-CFB), each sheet's DIMENSIONS record and cells with a value
added to a `Cells` budget.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from pipelines.limits import COLUMNS
from pipelines.sources.common import SourceError
from pipelines.sources.scdl.workbook_cells import Box, Cells

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_BOF = (0x0809, 0x0409, 0x0209, 0x0009)
_DIMENSIONS = (0x0200, 0x0000)
# BIFF5/8 cell records with a value, (row, col) first; MULRK: row, first col, ..., last col
_CELLS = (0x0006, 0x00D6, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E, 0x0406)
_MULRK = 0x00BD


def check_xls(fh: BinaryIO, size: int, source_file: str) -> None:
    try:
        streams = list(_ole_streams(fh, size, ("workbook", "book")))
    except (struct.error, IndexError, ValueError) as exc:
        raise SourceError(source_file, "1", f"cannot open spreadsheet: not a readable OLE2 file ({exc})") from exc
    cells = Cells(source_file)
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


def _scan_biff(stream: bytes, cells: Cells) -> None:
    """Each sheet's range in a BIFF Workbook stream: its DIMENSIONS record (calamine
    reserves that much up front) and its cells with a value (it places each one)."""
    box, declared, sheet, pos = Box(), 0, 0, 0
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        data = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if kind in _BOF:
            cells.done += max(box.area, declared)
            box, declared, sheet = Box(), 0, sheet + 1
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
