"""One bounded pass over a text file before it is read (issue 20, `pipelines.limits`).

`scan_text` reads the file (or bytes already in memory) in chunks of at most 1 MiB and,
holding nothing but the chunk, finds what decides how to read it or whether to refuse it:
- a line longer than `LINE_BYTES` (a garbage or sparse file has no line breaks): refused
  at once, with its line number, before anything else is decoded or split;
- whether the whole file is UTF-8 (a UTF-8 BOM allowed) and, if it is not, the first byte
  that Windows-1252 cannot decode either (`text.EncodingGuess`, fed chunk by chunk): the
  same answer as decoding the whole file with `text.decode_bytes`, without the file in memory;
- whether it holds anything but whitespace;
- how many times a marker occurs (case-insensitive): `BEGIN:VEVENT` counts an agenda's
  events before one is parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.limits import LINE_BYTES, Limit
from pipelines.sources.text import EncodingGuess

CHUNK = 1 << 20


@dataclass
class TextScan:
    size: int = 0
    newlines: int = 0
    utf8: bool = True  # the whole file is UTF-8 (after an optional BOM)
    cp1252_error: tuple[str, int] | None = None  # (reason, file offset) of the first byte cp1252 cannot decode
    blank: bool = True  # nothing but ASCII whitespace
    matches: int = 0  # occurrences of `count`


def chunks(source: Path | bytes, size: int = CHUNK) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        for start in range(0, len(source), size):
            yield bytes(source[start:start + size])
        return
    with Path(source).open("rb") as fh:
        while block := fh.read(size):
            yield block


def scan_text(source: Path | bytes, source_file: str, *, cr_breaks: bool = True, decode: bool = True,
              count: bytes | None = None, line_limit: Limit = LINE_BYTES) -> TextScan:
    """One pass over `source` (see module docstring). Raises the line limit's SourceError
    (where = the line's number, counting line feeds) on the first line over it.
    `cr_breaks`: a lone CR ends a line too (CSV, as Python's csv reads it); an iCalendar
    line ends with a line feed only."""
    max_line = line_limit.value()
    # A line inside one chunk is shorter than the chunk: with chunks no longer than the
    # limit, only a line running over chunk boundaries can pass it, and `run` sees those.
    size = min(CHUNK, max_line)
    scan = TextScan()
    run = 0  # bytes of the current line so far
    encoding = EncodingGuess() if decode else None
    marker = count.upper() if count else None
    carry = b""  # the end of the previous chunk, for a marker cut in two
    for block in chunks(source, size):
        first = _first_break(block, cr_breaks)
        if first == -1:
            run += len(block)
        else:
            run += first
        if run > max_line:
            raise line_limit.refuse(source_file, str(scan.newlines + 1),
                                    f"line {scan.newlines + 1} runs past {max_line:,} bytes without a line break")
        if first != -1:
            run = len(block) - _last_break(block, cr_breaks) - 1
        scan.newlines += block.count(b"\n")
        if scan.blank and not block.isspace():
            scan.blank = False
        if encoding is not None:
            encoding.feed(block)
        if marker:
            upper = carry + block.upper()
            scan.matches += upper.count(marker)
            carry = upper[-(len(marker) - 1):]
        scan.size += len(block)
    if encoding is not None:
        scan.utf8, scan.cp1252_error = encoding.finish()
    return scan


def _first_break(block: bytes, cr_breaks: bool) -> int:
    lf = block.find(b"\n")
    if not cr_breaks:
        return lf
    cr = block.find(b"\r")
    return lf if cr == -1 else cr if lf == -1 else min(lf, cr)


def _last_break(block: bytes, cr_breaks: bool) -> int:
    lf = block.rfind(b"\n")
    return max(lf, block.rfind(b"\r")) if cr_breaks else lf
