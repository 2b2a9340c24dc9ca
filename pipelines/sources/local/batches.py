"""A local file read in batches of rows (issue 19), and the same batches as one result.

Each local reader checks its rows one at a time (`delimited.stream_delimited`,
`ics_lines`, `table_schema.iter_validate_rows`) and hands them here in batches of
`batch_rows`: a batch is a `ReadResult` of its own rows, their problems and frames, so
`pipelines.ingest` appends it and forgets it, and memory is bounded by a batch whatever
the file's length. The header's problems (line 1) come with the first batch; a file
with no data row still gives one batch (its empty frames, its header's problems).
Rows read = accepted + rejected holds batch by batch, so it holds for the file.

`whole` joins a file's batches back into the one `ReadResult` the whole-file readers
(`read_payments`, `read_organisations`, ...) return, as they did before batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

import polars as pl

from pipelines.sources.common import Problem, ReadResult
from pipelines.sources.local.table_schema import CheckedRow

# ~1-3 kB a row while a batch is built (dicts, problems, the frame): 10,000 rows is ~10-30 MB.
BATCH_ROWS = 10_000

Item = TypeVar("Item", bound=tuple)  # (CheckedRow, what the reader keeps of the row for its frames)


def in_batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    if size < 1:
        raise ValueError(f"batch size {size}: expected 1 or more rows")
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def file_batches(
    source_file: str,
    header_problems: Sequence[Problem],
    rows: Iterable[Item],
    batch_rows: int,
    tables: Callable[[list[Item]], dict[str, pl.DataFrame]],
) -> Iterator[ReadResult]:
    """`rows` ((CheckedRow, extra) each, already checked) as ReadResults of `batch_rows` rows;
    `tables` builds a batch's frames from its rows."""
    first = True
    for batch in in_batches(rows, batch_rows):
        problems = [*(header_problems if first else ()), *(p for item in batch for p in _checked(item).problems)]
        yield ReadResult(source_file, len(batch), tables(batch), problems)
        first = False
    if first:
        yield ReadResult(source_file, 0, tables([]), list(header_problems))


def _checked(item: tuple) -> CheckedRow:
    return item[0]


def whole(batches: Iterable[ReadResult]) -> ReadResult:
    """A file's batches as one ReadResult: rows summed, frames and problems joined in order."""
    source_file, rows_read, problems = "", 0, []
    frames: dict[str, list[pl.DataFrame]] = {}
    for batch in batches:
        source_file = batch.source_file
        rows_read += batch.rows_read
        problems += batch.problems
        for name, frame in batch.tables.items():
            frames.setdefault(name, []).append(frame)
    tables = {name: parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=True) for name, parts in frames.items()}
    return ReadResult(source_file, rows_read, tables, problems)
