"""Open a delimited text file whose columns a Table Schema names, and read it row by row.

Real French open-data CSVs come in UTF-8 (often with a BOM) or Windows-1252, with
`,` or `;` separators. This module decodes and finds the separator by the rules of
`pipelines.sources.text` (`scanned_encoding`, `sniff_delimiter`: checked against the
expected header), maps header labels to schema fields, and yields each data row with the
physical line number it starts on, one at a time (`stream_delimited`: nothing of a row is
kept once it is given, so a file of any length is read in bounded memory, issue 19).
Whole-file problems (undecodable bytes, empty file, missing required column) raise
SourceError before the first row (a NUL byte: when its line is met); column-level oddities
(unknown or missing optional columns) are warnings on line 1; row-shape errors are errors
on the row's line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.sources.bounded import scan_text
from pipelines.sources.common import Problem, SourceError
from pipelines.sources.text import label_key, reading_codec, scanned_encoding, sniff_delimiter
from pipelines.sources.local.table_schema import field_names, required_fields


Row = tuple[int, dict[str, str | None], Problem | None]  # (first line, field -> cell, its shape error)


@dataclass
class DelimitedStream:
    """A file whose header has been read, and its data rows still to come, one at a time."""

    source_file: str
    encoding: str
    delimiter: str
    labels: dict[str, str]  # schema field -> header label as written in the file
    header_problems: list[Problem]  # warnings on line 1: unknown or missing optional columns
    rows: Iterator[Row]


def stream_delimited(path: str | Path, schema: Mapping[str, Any], source_file: str | None = None) -> DelimitedStream:
    """Open `path`, read its header, and give its data rows one at a time (issue 19).

    The file's size, line lengths and encoding are checked by one bounded pass first
    (`pipelines.limits`); then it is read as a decoded stream, never whole, and nothing is
    kept of a row once it is given. Cells are stripped; empty cells become None. Every
    non-blank data line is a row; a row whose cell count differs from the header's comes
    with an `error` Problem `row_shape` (its cells are still mapped, so other checks
    report too). Raises SourceError(file, "1:<column>", ...) when a required column is
    missing. `source_file` names the file in problems (default: the path as given).
    """
    source_file = str(path) if source_file is None else source_file
    path = Path(path)
    # One bounded pass decides the encoding (as decoding the whole file would) and refuses
    # a line over LINE_BYTES; then the file is read as a decoded stream, never whole.
    scan = scan_text(path, source_file)
    encoding = scanned_encoding(scan, source_file)
    fh = path.open(encoding=reading_codec(encoding), newline="")
    try:
        head = _head(fh)
        if not head.strip() and _blank_to_end(fh):
            raise SourceError(source_file, "1", "empty file: no header row")
        fh.seek(0)
        return _open_rows(fh, head, encoding, source_file, schema)
    except BaseException:
        fh.close()
        raise


def _head(fh) -> str:
    """The text's start: 64k characters for the sniffer, and at least its first line."""
    head = fh.read(65536)
    while "\n" not in head and (more := fh.read(65536)):
        head += more
    return head


def _blank_to_end(fh) -> bool:
    while block := fh.read(1 << 20):
        if block.strip():
            return False
    return True


def _open_rows(fh, text: str, encoding: str, source_file: str, schema: Mapping[str, Any]) -> DelimitedStream:
    expected = field_names(schema)
    delimiter = sniff_delimiter(text, expected)
    reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    header = next(reader)
    by_key = {label_key(n): n for n in expected}

    labels: dict[str, str] = {}
    problems: list[Problem] = []
    columns: list[str | None] = []  # per header position: schema field or None (ignored)
    for label in header:
        name = by_key.get(label_key(label))
        if name is not None and name in labels:
            raise SourceError(source_file, f"1:{label}", f"duplicate column (also column {columns.index(name) + 1})")
        if name is None and label.strip():
            problems.append(Problem(source_file, "1", label, None, "unknown_column: not in the schema, ignored", "warning"))
        if name is not None:
            labels[name] = label
        columns.append(name)
    for name in required_fields(schema):
        if name not in labels:
            raise SourceError(
                source_file, f"1:{name}",
                f"required column missing (delimiter {delimiter!r}; header: {', '.join(h.strip() for h in header)})",
            )
    for name in expected:
        if name not in labels:
            problems.append(Problem(source_file, "1", name, None, "missing_column: optional column absent, read as empty", "warning"))
    rows = _rows(fh, reader, columns, expected, source_file)
    return DelimitedStream(source_file, encoding, delimiter, labels, problems, rows)


def _rows(fh, reader, columns: list[str | None], expected: list[str], source_file: str) -> Iterator[Row]:
    """Each data row as it is read; the file is closed when the rows end (or are dropped)."""
    with fh:
        line = reader.line_num
        try:
            for cells in reader:
                first_line, line = line + 1, reader.line_num
                if not cells:  # a blank line is not a row
                    continue
                row: dict[str, str | None] = dict.fromkeys(expected)
                for name, cell in zip(columns, cells, strict=False):  # shape checked below
                    if name is not None:
                        cell = cell.strip()
                        row[name] = cell or None
                shape = None
                extra = [c for c in cells[len(columns):] if c.strip()]
                if len(cells) < len(columns) or extra:
                    shape = Problem(source_file, str(first_line), "", None,
                                    f"row_shape: {len(cells)} cells, header has {len(columns)}")
                yield first_line, row, shape
        except csv.Error as error:  # e.g. a NUL byte
            raise SourceError(source_file, str(reader.line_num), f"csv: {error}") from None
