"""Run a reader over every file of a source and store what it gives, nothing lost.

A file refused whole (hostile XML, missing required column...) is recorded with its
reason; the other files of the source still load.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl

from pipelines.sources.common import ReadResult, SourceError
from pipelines.warehouse import store_source

Reader = Callable[[Path], ReadResult]


def read_all(files: Sequence[Path], reader: Reader) -> tuple[dict[Path, ReadResult], dict[Path, str]]:
    results: dict[Path, ReadResult] = {}
    refused: dict[Path, str] = {}
    for path in files:
        try:
            results[path] = reader(path)
        except SourceError as error:
            refused[path] = str(error)
    return results, refused


def ingest_source(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    files: Sequence[Path],
    reader: Reader,
    table_schemas: Mapping[str, Mapping[str, pl.DataType]],
) -> dict[str, int]:
    results, refused = read_all(files, reader)
    return store_source(conn, source, results, refused, table_schemas)
