"""Open a small delimited text file whose columns a Table Schema names.

Real French open-data CSVs come in UTF-8 (often with a BOM) or Windows-1252, with
`,` or `;` separators. This module decodes and finds the separator by the rules of
`pipelines.sources.text` (`scanned_encoding`, `sniff_delimiter`: checked against the
expected header), maps header labels to schema fields, and yields each data row with the
physical line number it starts on.
Whole-file problems (undecodable bytes, empty file, missing required column)
raise SourceError; column-level oddities (unknown or missing optional columns)
are warnings on line 1; row-shape errors are errors on the row's line.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.limits import LOCAL_CSV_BYTES, check_file_size
from pipelines.sources.bounded import scan_text
from pipelines.sources.common import Problem, SourceError
from pipelines.sources.text import label_key, reading_codec, scanned_encoding, sniff_delimiter
from pipelines.sources.local.table_schema import field_names, required_fields


@dataclass
class DelimitedTable:
    source_file: str
    encoding: str
    delimiter: str
    labels: dict[str, str]  # schema field -> header label as written in the file
    rows: list[tuple[int, dict[str, str | None]]]  # (first physical line, field -> cell)
    problems: list[Problem] = field(default_factory=list)  # row-shape errors, header warnings

    @property
    def rows_read(self) -> int:
        return len(self.rows)


def read_delimited(path: str | Path, schema: Mapping[str, Any]) -> DelimitedTable:
    """Read `path` into raw string cells keyed by schema field name.

    The file is read as a decoded stream, one row at a time (its size, line lengths and
    encoding checked by one bounded pass first, `pipelines.limits`); the rows are kept.
    Cells are stripped; empty cells become None. Every non-blank data line is a
    row (rows_read counts them); a row whose cell count differs from the header's
    gets an `error` Problem `row_shape` (its cells are still mapped, so other
    checks report too). Raises SourceError(file, "1:<column>", ...) when a
    required column is missing.
    """
    source_file = str(path)
    path = Path(path)
    check_file_size(path, source_file, LOCAL_CSV_BYTES)
    # One bounded pass decides the encoding (as decoding the whole file would) and refuses
    # a line over LINE_BYTES; then the file is read as a decoded stream, never whole.
    scan = scan_text(path, source_file)
    encoding = scanned_encoding(scan, source_file)
    with path.open(encoding=reading_codec(encoding), newline="") as fh:
        head = _head(fh)
        if not head.strip() and _blank_to_end(fh):
            raise SourceError(source_file, "1", "empty file: no header row")
        fh.seek(0)
        return _read_rows(fh, head, encoding, source_file, schema)


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


def _read_rows(fh, text: str, encoding: str, source_file: str, schema: Mapping[str, Any]) -> DelimitedTable:
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

    rows: list[tuple[int, dict[str, str | None]]] = []
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
            extra = [c for c in cells[len(columns):] if c.strip()]
            if len(cells) < len(columns) or extra:
                problems.append(Problem(
                    source_file, str(first_line), "", None,
                    f"row_shape: {len(cells)} cells, header has {len(columns)}",
                ))
            rows.append((first_line, row))
    except csv.Error as error:  # e.g. a NUL byte
        raise SourceError(source_file, str(reader.line_num), f"csv: {error}") from None
    return DelimitedTable(source_file, encoding, delimiter, labels, rows, problems)
