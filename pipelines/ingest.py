"""Run a reader over every file of a source and store what it gives, nothing lost.

A file refused whole (hostile XML, missing required column...) is recorded with its
reason; the other files of the source still load. Files are read one at a time and
written as they are read (`pipelines.warehouse.store_source`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl

from pipelines.sources.common import ReadResult
from pipelines.warehouse import store_source

# A reader gives one ReadResult per file, or an iterator of batches (IATI: bounded
# memory on large files); either way the warehouse appends what it gets as it comes.
Reader = Callable[[Path], ReadResult | Iterator[ReadResult]]


def _batches(reader: Reader) -> Callable[[Path], Iterable[ReadResult]]:
    def read(path: Path) -> Iterable[ReadResult]:
        out = reader(path)
        return (out,) if isinstance(out, ReadResult) else out

    return read


def ingest_source(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    files: Sequence[Path],
    reader: Reader,
    table_schemas: Mapping[str, Mapping[str, pl.DataType]],
) -> dict[str, int]:
    return store_source(conn, source, files, _batches(reader), table_schemas)
