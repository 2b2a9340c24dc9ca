"""A grants CSV cut into blocks of whole records, and each block decoded as the whole file
would be: what lets `split.csv_batches` read a file of any size in bounded memory (issue 19).

Blocks (`record_blocks`): the file is read `batch_bytes()` at a time and cut after the last
record that ends in the bytes read, by Python's `csv` rules (the reference reader): a quote
opens a quoted cell only at a cell's start, `""` inside it is a quote, a line break inside
it is part of the cell, any other quote is a literal character. A block therefore starts
where `csv.reader` over the whole file starts a record, so reading block by block gives the
records of reading the file whole. A block also holds at most `BATCH_CELLS` cells (counted
as separators + line breaks), whatever the bytes: cells cost memory, not bytes (a file of
empty cells). A record longer than `RECORD_BYTES` (a quote left open swallows the rest of
the file) is refused.

Decoding (`Decoding`): the encoding is decided once for the whole file, with
`text.decode_table`'s rules, from the bounded pass (`bounded.scan_text`) and, for a file that
is not UTF-8, one pass over its lines: UTF-8; UTF-8 with some Windows-1252 lines (each line
decoded alone, the cp1252 lines reported); Windows-1252; else charset_normalizer's guess.
Quotes, separators and line breaks are ASCII bytes in all of these, so a block cut on bytes
is a block of text. UTF-16 (and a guess in another multi-byte encoding) is decoded whole,
as before: no grants file has ever come so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.limits import RECORD_BYTES
from pipelines.sources.bounded import TextScan
from pipelines.sources.common import SourceError
from pipelines.sources.text import UTF8_BOM, UTF16_BOMS, decode_table

BATCH_BYTES_ENV = "SOLIDARITY_SCDL_BATCH_BYTES"
# ~4 MB of realistic SCDL is ~16,000 grants: the per-batch overhead (a polars read, 16 joins)
# stays small against the rows, and the process's peak is reached within the first few
# batches (8 MB batches: 250 MB on a 20 MB file, 312 MB from 200 MB; 4 MB: 166 and 182 MB).
DEFAULT_BATCH_BYTES = 4 << 20
# A batch's cells: 2 million cells of an empty-celled file are ~150 MB while split.
BATCH_CELLS = 2_000_000
# charset_normalizer's guess, when a file is neither UTF-8 nor Windows-1252, is made on at most this
_GUESS_BYTES = 8 << 20


def batch_bytes() -> int:
    """Bytes read per batch: `SOLIDARITY_SCDL_BATCH_BYTES` (tests set it small), else the default."""
    raw = os.environ.get(BATCH_BYTES_ENV, "").strip().replace("_", "")
    return max(1, int(raw)) if raw else DEFAULT_BATCH_BYTES


def _records_pattern(delimiter: bytes) -> re.Pattern[bytes]:
    """Whole records from a record's start, as Python's csv splits them (module docstring)."""
    d = re.escape(delimiter)
    record = (rb'(?:[^"\r\n]++'                                     # a run without quotes or breaks
              rb'|(?<![^' + d + rb'\r\n])"(?:[^"]++|"")*+"'          # a quoted cell, at a cell's start
              rb'|(?<=[^' + d + rb'\r\n])")*+'                       # a quote inside a cell: a character
              rb'(?:\r\n|\n|\r)')
    return re.compile(rb"(?:" + record + rb")*+")


def _records_end(pattern: re.Pattern[bytes], buf: bytes, end: int) -> int:
    """Where the last whole record of `buf[:end]` ends (0: none)."""
    if buf[end - 1:end] == b"\r":
        end -= 1  # maybe a CRLF cut between its two bytes: that record ends in the next block
    if buf.find(b'"', 0, end) == -1:  # no quote: every line break ends a record
        return max(buf.rfind(b"\n", 0, end), buf.rfind(b"\r", 0, end)) + 1
    return pattern.match(buf, 0, end).end()


def record_blocks(path: Path, start: int, delimiter: str, name: str, size: int | None = None
                  ) -> Iterator[bytes]:
    """The file's bytes from `start`, in blocks of whole records (module docstring)."""
    pattern = _records_pattern(delimiter.encode())
    size = size or batch_bytes()
    sep = delimiter.encode()
    max_record = RECORD_BYTES.value()
    carry, eof, short = b"", False, False  # short: no record ends in `carry`
    with path.open("rb") as fh:
        fh.seek(start)
        while True:
            if eof or (len(carry) >= size and not short):
                buf = carry
            else:
                more = fh.read(size)
                eof = not more
                buf = carry + more if carry else more
            if not buf:
                return
            cut = _block_end(pattern, buf, eof, sep)
            if cut == 0:  # no record ends in what was read: read on
                if len(buf) > max_record:
                    raise RECORD_BYTES.refuse(name, "-", f"a record runs past {max_record:,} bytes (a quote "
                                              "left open, or a cell holding many lines)")
                carry, short = buf, True
                continue
            carry, short = buf[cut:], False
            yield buf[:cut]


def _block_end(pattern: re.Pattern[bytes], buf: bytes, eof: bool, sep: bytes) -> int:
    """Where the next block of `buf` ends: after its last whole record (at the end of the file,
    the end of `buf`), earlier while the block holds over `BATCH_CELLS` cells (a lone record
    may: `COLUMNS` bounds it). 0: no record ends in `buf` yet."""
    end, last = len(buf), 0
    while True:
        cut = end if eof and end == len(buf) else _records_end(pattern, buf, end)
        if cut == 0:
            return last
        if buf.count(sep, 0, cut) + buf.count(b"\n", 0, cut) <= BATCH_CELLS:
            return cut
        last, end = cut, max(1, cut // 2)


@dataclass
class Decoding:
    """How every block of one file is decoded (module docstring): `codec`, or line by line
    (`mixed`: UTF-8, else cp1252), or `whole` (the file decoded at once, as before)."""

    codec: str = "utf-8"
    bom: int = 0  # bytes of a UTF-8 BOM skipped at the start
    mixed: bool = False
    whole: bool = False
    cp1252_lines: list[int] = field(default_factory=list)  # a mixed file's lines read as cp1252 (1-based)

    def decode(self, block: bytes) -> str:
        if not self.mixed:
            return block.decode(self.codec)
        out = []
        for line in block.split(b"\n"):
            try:
                out.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(line.decode("cp1252"))
        return "\n".join(out)


def decoding(path: Path, scan: TextScan, name: str) -> Decoding:
    """The file's decoding, by `text.decode_table`'s rules without the file in memory."""
    with path.open("rb") as fh:
        head = fh.read(8)
    bom = len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0
    if head.startswith(UTF16_BOMS) or head[bom:].startswith(UTF16_BOMS):
        return Decoding(whole=True)
    if scan.utf8:
        return Decoding("utf-8", bom)
    lines = _mixed_lines(path, bom, declared=bool(bom))
    if lines is not None:
        return Decoding("utf-8", bom, mixed=True, cp1252_lines=lines)
    if scan.cp1252_error is None:
        return Decoding("cp1252", bom)
    from charset_normalizer import from_bytes  # rare path: neither UTF-8 nor cp1252

    with path.open("rb") as fh:
        fh.seek(bom)
        sample = fh.read(_GUESS_BYTES)
    best = from_bytes(sample).best()
    if best is None:
        raise SourceError(name, "1", "cannot detect the text encoding")
    ascii_based = b'";,\t|\r\n'.decode(best.encoding, errors="replace") == '";,\t|\r\n'
    return Decoding(best.encoding, bom) if ascii_based else Decoding(whole=True)


def _mixed_lines(path: Path, bom: int, declared: bool) -> list[int] | None:
    """`text.mixed_lines` line by line over the file: the lines read as cp1252 when the file
    mixes UTF-8 and Windows-1252 lines, else None."""
    utf8_accented = False
    fallback: list[int] = []
    with path.open("rb") as fh:
        fh.seek(bom)
        for number, line in enumerate(fh, start=1):  # binary lines end at b"\n", as bytes.split(b"\n")
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8_accented = True
            except UnicodeDecodeError:
                try:
                    line.decode("cp1252")
                except UnicodeDecodeError:
                    return None
                fallback.append(number)
    return fallback if (utf8_accented or declared) and fallback else None


def decode_whole(path: Path, name: str) -> tuple[str, list[int]]:
    """The rare file decoded at once (UTF-16...), as `text.decode_table` always did."""
    return decode_table(path.read_bytes(), name)
