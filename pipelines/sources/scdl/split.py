"""Splitting a SCDL file into records: (first physical line, cells), as polars frames.

`csv_batches` (a CSV, batch by batch: blocks of whole records cut by `csv_stream`) and
`sheet_batches` (a workbook, sheet by sheet and rows at a time) return frames with `_line` (physical line of the record's
first line, header = 1; the sheet row in a spreadsheet), `_ncells` (cells in the record)
and `c0`, `c1`, ... (String; null where the record has no such cell).

Two CSV paths, one result, chosen block by block:
- the reference path: decode the block as the whole file would be decoded (BOM, UTF-8, cp1252,
  mixed lines...: `csv_stream.decoding`, `text.decode_table`'s rules), then stdlib `csv` (RFC
  4180 with Python's lenient quoting), one record at a time;
- the fast path, for UTF-8 files (the usual case): polars' CSV reader, all strings.
  polars refuses what Python's `csv` reads leniently (a quote inside a quoted field not
  doubled, an unclosed quote, more cells than the first row) and cannot say which lines
  a record spans or whether a trailing cell was empty or absent, so: any polars error,
  a NUL byte or a lone CR (a line break for Python's csv, not for polars) sends the block
  to the reference path; a record's lines are 1 + the line breaks inside its cells, and
  their sum must equal the block's line count, else the reference path is used; records
  whose last cell is null are re-read with stdlib `csv` from their own lines (exact
  cell count: a short row is a warning). tests/test_scdl_reader_csv_paths.py checks that both paths
  give the same records on hostile snippets, tests/test_scdl_reader_batches.py that small
  batches give what one batch gives.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl

from pipelines.limits import COLUMNS, TABLE_CELLS
from pipelines.sources.bounded import scan_text
from pipelines.sources.common import SourceError
from pipelines.sources.scdl.csv_stream import Decoding, decode_whole, decoding, record_blocks
from pipelines.sources.scdl.workbook_guard import check_workbook
from pipelines.sources.scdl.header import _HEADER_SCAN_ROWS, _find_header
from pipelines.sources.text import header_delimiter

_SAMPLE_CHARS = 64_000
# Bytes decoded to sniff the separator: 4 bytes per character at most in UTF-8.
_SAMPLE_BYTES = 4 * _SAMPLE_CHARS + 4
FAST_PATH = True  # tests switch it off to compare both paths


def _delimiter(text: str, name: str) -> str:
    """The separator, from the first `_SAMPLE_CHARS` characters and first lines of `text`,
    kept only if it splits a SCDL header (`text.header_delimiter`)."""
    return header_delimiter(text, name, _find_header, _SAMPLE_CHARS, _HEADER_SCAN_ROWS)


def _csv_records(text: str, delimiter: str, name: str, line: int) -> tuple[list[tuple[int, list[str]]], int]:
    """The records (first line, cells) of `text`, whole records whose first line is `line` + 1
    in the file, and the lines read: the reference path, stdlib `csv`."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    records: list[tuple[int, list[str]]] = []
    last_line = 0
    max_cells = COLUMNS.value()
    try:
        for cells in reader:
            if len(cells) > max_cells:
                _check_shape(name, str(line + last_line + 1), len(cells))
            records.append((line + last_line + 1, cells))  # a record starts on the line after the previous one
            last_line = reader.line_num
    except csv.Error as exc:
        raise SourceError(name, str(line + last_line + 1), f"CSV syntax error: {exc}") from exc
    return records, reader.line_num


def sheet_batches(path: Path, name: str, rows: int) -> Iterator[Iterator[pl.DataFrame]]:
    """Each sheet of the workbook, in order, as an iterator of records frames of at most `rows`
    rows (every cell as text, "" where empty: `cell_text`; `_line` the sheet's own row number).
    The workbook is checked against the limits first (`workbook_guard`). A large xlsx or ods streams
    (`workbook_stream`, `workbook_ods`: a row at a time by calamine's rules); any other workbook is calamine's whole
    range, a sheet at a time, then sliced: calamine has no row stream, so it stays bounded by
    `TABLE_CELLS` (checked again here as each sheet is loaded)."""
    from pipelines.sources.scdl.workbook_ods import ods_sheets
    from pipelines.sources.scdl.workbook_stream import xlsx_sheets

    scanned = check_workbook(path, name)
    if scanned.kind in ("xlsx", "ods") and scanned.cells > min(STREAM_CELLS, TABLE_CELLS.value()):
        yield from (xlsx_sheets if scanned.kind == "xlsx" else ods_sheets)(path, name, rows)
    else:
        yield from _calamine_sheets(path, name, rows)


# An xlsx or ods whose sheets span more cells than this streams (`workbook_stream`, `workbook_ods`:
# a row at a time, memory flat, a few times calamine's time); under it, calamine reads it whole
# (~150 MB at most) as every .xls (a format of 65,536 rows at most). Real SCDL workbooks (a few
# thousand grants) stay under it. Both give the same rows (tests/test_scdl_reader_xlsx_stream.py
# and tests/test_scdl_reader_ods_stream.py, which set it to 0 to stream every workbook).
STREAM_CELLS = 500_000


def _calamine_sheets(path: Path, name: str, rows: int) -> Iterator[Iterator[pl.DataFrame]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise SourceError(name, "1", f"cannot open spreadsheet: {exc}") from exc
    cells = 0
    try:
        for index in range(len(workbook.sheet_names)):
            try:
                sheet = workbook.get_sheet_by_index(index)
            except Exception as exc:
                raise SourceError(name, "1", f"cannot read sheet {index + 1}: {exc}") from exc
            cells += sheet.height * sheet.width  # what the scan allowed, checked again as loaded
            TABLE_CELLS.check(name, "1", cells, f"its sheets hold {cells:,} cells")
            COLUMNS.check(name, "1", sheet.width, f"sheet {index + 1} has {sheet.width:,} columns")
            frame = calamine_frame(sheet)
            del sheet  # its range, before the next sheet's
            yield row_slices(frame, rows)
    finally:
        workbook.close()


def row_slices(frame: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    """A sheet read whole, `rows` rows at a time (zero-copy slices; one empty frame for an empty sheet)."""
    return (frame.slice(offset, rows) for offset in range(0, max(frame.height, 1), rows))


def calamine_frame(sheet) -> pl.DataFrame:
    """A calamine sheet -> the records frame: a row per sheet row from its first non-empty one,
    every row the sheet's width of cells, an empty cell "". calamine yields the rows from the
    sheet's row 1 (the empty ones above its range included) and the cells from the range's
    first column; `_line` is the row's number in the sheet, as a spreadsheet shows it."""
    top, width = sheet.start[0] if sheet.height else 0, sheet.width
    if sheet.height == 0 or width == 0:
        return records_frame([])

    def lines() -> Iterator[tuple[int, list[str]]]:
        skipped = kept = 0
        for row in sheet.iter_rows():
            if skipped < top and not kept and all(v == "" for v in row):
                skipped += 1  # an empty row above the range
                continue
            kept += 1
            yield top + kept, [cell_text(row[i]) if i < len(row) else "" for i in range(width)]

    frames = list(records_frames(lines(), width, _SHEET_CHUNK_ROWS))
    return pl.concat(frames) if len(frames) > 1 else frames[0]


# A sheet's rows turned into a frame at a time: the Python objects of at most this many rows live at once
_SHEET_CHUNK_ROWS = 20_000


def records_frames(lines: Iterator[tuple[int, list[str]]], width: int, rows: int) -> Iterator[pl.DataFrame]:
    """(line, cells) rows of a sheet, each `width` cells, -> records frames of at most `rows`
    rows (at least one frame, empty if there is no row)."""
    schema = {"_line": pl.Int64, "_ncells": pl.Int64, **{f"c{i}": pl.String for i in range(width)}}
    numbers: list[int] = []
    columns: list[list[str]] = [[] for _ in range(width)]
    sent = False

    def frame() -> pl.DataFrame:
        data = {"_line": numbers, "_ncells": [width] * len(numbers), **{f"c{i}": col for i, col in enumerate(columns)}}
        out = pl.DataFrame(data, schema=schema)
        numbers.clear()
        for col in columns:
            col.clear()
        return out

    for number, cells in lines:
        numbers.append(number)
        for i in range(width):
            columns[i].append(cells[i])
        if len(numbers) == rows:
            sent = True
            yield frame()
    if numbers or not sent:
        yield frame()


def cell_text(value) -> str:
    """A spreadsheet cell as the text the SCDL reader validates.

    A number is written exactly as the file stores it: the shortest decimal that reads back as
    the same double (Python's `repr`), never in exponent form, an integer without ".0". Not
    Excel's display rule "at most 9 decimals" (fastexcel's): 99,999,999.99 is the double
    99999999.9899999946..., and 9 decimals of it give 99999999.989999995, an amount no one wrote.
    Dates and times as calamine's other binding wrote them ("2024-01-31 00:00:00"; a time alone
    on Excel's day 0, "1899-12-31 12:00:00"), booleans "true"/"false", an error cell "".
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        text = repr(value)
        if "e" in text:
            text = format(Decimal(text), "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return f"{value.isoformat()} 00:00:00"
    if isinstance(value, datetime.time):
        return f"1899-12-31 {value.isoformat()}"
    if isinstance(value, datetime.timedelta):
        return str(value)
    return "" if value is None else str(value)


def records_frame(records: list[tuple[int, list[str]]]) -> pl.DataFrame:
    """(line, cells) records -> the frame described in the module docstring."""
    width = max((len(cells) for _, cells in records), default=0)
    data: dict[str, list] = {"_line": [line for line, _ in records],
                             "_ncells": [len(cells) for _, cells in records]}
    for i in range(width):
        data[f"c{i}"] = [cells[i] if i < len(cells) else None for _, cells in records]
    schema = {"_line": pl.Int64, "_ncells": pl.Int64, **{f"c{i}": pl.String for i in range(width)}}
    return pl.DataFrame(data, schema=schema)


def head_records(frame: pl.DataFrame) -> list[tuple[int, list[str]]]:
    """The first rows as (line, cells) records, for finding the header."""
    cols = [c for c in frame.columns if not c.startswith("_")]
    return [(row[0], list(row[2:2 + row[1]]))
            for row in frame.head(_HEADER_SCAN_ROWS).select("_line", "_ncells", *cols).iter_rows()]


def sheet_tables(path: Path, name: str) -> list[pl.DataFrame]:
    """Each sheet of the workbook as one records frame (the batches of `sheet_batches` put
    together: for callers that want the whole table)."""
    return [pl.concat(list(frames)) for frames in sheet_batches(path, name, _SHEET_CHUNK_ROWS)]


def csv_table(path: Path, name: str) -> tuple[pl.DataFrame, list[int]]:
    """The file's records frame and the lines of a mixed-encoding file read as cp1252, at once
    (the batches of `csv_batches` put together: for callers that want the whole table)."""
    frames, lines = [], []
    for frame, cp1252_lines in csv_batches(path, name):
        frames.append(frame)
        lines = cp1252_lines or lines
    return pl.concat(frames, how="diagonal"), lines


def csv_batches(path: Path, name: str, size: int | None = None) -> Iterator[tuple[pl.DataFrame, list[int]]]:
    """The file's records frames, batch by batch (`csv_stream`: at most `size` bytes, default
    `csv_stream.batch_bytes()`, of whole records each), and the lines of a mixed-encoding
    file read as cp1252 (with the first batch only; [] with the others).

    One bounded pass first (`bounded.scan_text`): a line over `LINE_BYTES` is refused before
    anything is decoded or split, and it tells whether the file is UTF-8. A UTF-8 file goes
    block by block to polars (the fast path); a block polars cannot read exactly goes to the
    reference path (stdlib `csv`), which reads every block of the other files."""
    scan = scan_text(path, name)  # one bounded pass: refuses a line over LINE_BYTES
    if scan.blank:
        raise SourceError(name, "1", "empty file: no header and no data")
    how = decoding(path, scan, name)
    if how.whole:  # UTF-16 and the like: decoded whole, as always
        text, cp1252_lines = decode_whole(path, name)
        yield records_frame(_csv_records(text, _delimiter(text, name), name, 0)[0]), cp1252_lines
        return
    head = _head_text(path, how, scan.size)
    delimiter = _delimiter(head, name)
    fast = FAST_PATH and how.codec == "utf-8" and not how.mixed
    line = 0  # physical lines before the block, as Python's csv counts them (CR, LF or CRLF)
    first = True
    for block in record_blocks(path, how.bom, delimiter, name, size):
        frame = None
        if fast:
            width = _first_record_width(block, delimiter)
            if width is not None:
                COLUMNS.check(name, str(line + 1), width, f"a record of {width:,} cells")
                frame = _polars_frame(block, delimiter)
        if frame is not None:
            lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            frame = frame.with_columns(pl.col("_line") + line)
        else:
            records, lines = _csv_records(how.decode(block), delimiter, name, line)
            frame = records_frame(records)
        yield frame, (how.cp1252_lines if first else [])
        first, line = False, line + lines


def _head_text(path: Path, how: Decoding, size: int) -> str:
    """The file's first lines decoded, enough for `_delimiter` to decide as on the whole text:
    `_SAMPLE_CHARS` characters and more than the header rows (or the whole file)."""
    want = _SAMPLE_BYTES
    with path.open("rb") as fh:
        while True:
            fh.seek(how.bom)
            raw = fh.read(want)
            whole = how.bom + len(raw) >= size
            cut = raw if whole else raw[:max(raw.rfind(b"\n"), raw.rfind(b"\r")) + 1]
            text = how.decode(cut)
            if whole or (len(text) >= _SAMPLE_CHARS and len(text.splitlines()) > _HEADER_SCAN_ROWS):
                return text
            want *= 4


def _check_shape(name: str, where: str, width: int) -> None:
    """Refuse a record too wide (`COLUMNS`) before its table is built."""
    COLUMNS.check(name, where, width, f"a record of {width:,} cells")


def _first_record_width(data: bytes, delimiter: str) -> int | None:
    """The cells of the first record, read alone (None if Python's csv refuses it: the
    reference path will say why)."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")
    try:
        return len(next(csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True), []))
    except csv.Error:
        return None


def _polars_frame(data: bytes, delimiter: str) -> pl.DataFrame | None:
    """The records frame read by polars, or None when only the reference path is exact."""
    if b"\x00" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    try:
        df = pl.read_csv(data, has_header=False, separator=delimiter, quote_char='"', infer_schema=False,
                         empty_string_is_null=True, raise_if_empty=True)
    except Exception:  # any parse disagreement (polars raises several error types): reference path
        return None
    cols = [f"c{i}" for i in range(df.width)]
    df.columns = cols
    physical = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    lines = pl.lit(1, pl.Int64)
    # Each record spans >= 1 line: as many records as lines means no cell holds a line break.
    if df.height != physical:
        lines = lines + pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0)
                                          for c in cols).cast(pl.Int64)
    df = df.with_columns(_span=lines)
    if df.height != physical and df["_span"].sum() != physical:
        return None
    df = df.with_columns(_line=pl.col("_span").cum_sum() - pl.col("_span") + 1, _ncells=pl.lit(len(cols), pl.Int64))
    # null = an empty unquoted cell, or no cell at all when the record is short: only a null
    # last cell can be the latter, and stdlib csv settles those records from their own lines
    maybe_short = df.select(pl.arg_where(pl.col(cols[-1]).is_null() & ~pl.all_horizontal(pl.col(cols).is_null())))
    maybe_short = maybe_short.to_series().to_list()
    filled = {c: df[c].fill_null("") for c in cols}
    ncells = df["_ncells"]
    if maybe_short:
        raw_lines = data.split(b"\n")
        starts, spans = df["_line"].to_list(), df["_span"].to_list()
        exact = []
        for i in maybe_short:
            text = b"\n".join(raw_lines[starts[i] - 1:starts[i] - 1 + spans[i]]).decode("utf-8")
            try:
                got = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'))
            except csv.Error:
                return None
            if len(got) != 1:
                return None
            exact.append(got[0])
        for j, c in enumerate(cols):
            filled[c] = filled[c].scatter(maybe_short, [cells[j] if j < len(cells) else None for cells in exact])
        ncells = ncells.scatter(maybe_short, [len(cells) for cells in exact])
    return pl.DataFrame([df["_line"], ncells.alias("_ncells"), *(filled[c] for c in cols)])
