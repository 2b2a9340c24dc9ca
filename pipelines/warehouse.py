"""The warehouse's few verbs: load a reader's frames, run one SQL file, read a count.

Tables live in DuckDB schemas named after the layers: `raw`, `ref`, `staging`,
`marts`, `quality`. A SQL file `sql/<layer>/<name>.sql` holds one `select`; running
it (re)creates `<layer>.<name>`. Table names come from file names in the repository,
never from user input; values are bound as parameters.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import duckdb
import polars as pl

from pipelines.settings import SQL_DIR, ingest_duckdb_mb
from pipelines.sources.common import REJECTED_SCHEMA, ReadResult, SourceError

LAYERS = ("raw", "ref", "staging", "marts", "quality")

FILE_LOADS_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String,
    "source_file": pl.String,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "modified_at": pl.Datetime("us"),
    "rows_read": pl.Int64,
    "rows_accepted": pl.Int64,
    "rows_rejected": pl.Int64,
    "error": pl.String,
}


# Exact division for money (docs/money-rules.md, "Exact money"): DuckDB divides DECIMALs in
# DOUBLE, so n / d is done on the integers n * 10^10 and d * 10^10 (UHUGEINT: the doubled
# numerator, up to 2 * 10^38, fits) and rounded half away from zero to 10 places, as DuckDB
# rounds a DECIMAL it narrows. Exact for |n|, |d| < 10^18; a result of 10^28 or more fails
# loudly (DECIMAL overflow). Null when d is null or 0. Used for euros at an exchange rate,
# percentage shares and ratios of money. `money_per_person(n, people)` is the same division by
# a whole number of people, rounded to 20 places (DECIMAL(38, 20)): 0.00035 € per inhabitant
# keeps 15 significant digits, where 10 places would keep 5.
MONEY_DIV = """
create or replace macro money_div(n, d) as (
    case when d <> 0 then
        cast(sign(n) * sign(d) as decimal(38, 0))
        * cast((2 * cast(abs(cast(n as decimal(38, 10)) * 10000000000) as uhugeint) * 10000000000
                 // cast(abs(cast(d as decimal(38, 10)) * 10000000000) as uhugeint) + 1) // 2 as decimal(38, 0))
        * cast(0.0000000001 as decimal(38, 10))
    end
);
create or replace macro money_per_person(n, people) as (
    case when people <> 0 then
        cast(sign(n) * sign(people) as decimal(38, 0))
        * cast((2 * cast(abs(cast(n as decimal(38, 10)) * 10000000000) as uhugeint) * 10000000000
                 // cast(abs(people) as uhugeint) + 1) // 2 as decimal(38, 0))
        * cast(0.00000000000000000001 as decimal(38, 20))
    end
)
"""


def ensure_layers(conn: duckdb.DuckDBPyConnection) -> None:
    for layer in LAYERS:
        conn.execute(f"create schema if not exists {layer}")
    conn.execute(MONEY_DIV)
    conn.execute(
        """
        create table if not exists quality.rejected_rows (
            source varchar, source_file varchar, source_row varchar, field varchar,
            value varchar, reason varchar, severity varchar
        )
        """
    )
    conn.execute(
        """
        create table if not exists quality.file_loads (
            source varchar, source_file varchar, sha256 varchar, size_bytes bigint,
            modified_at timestamp, rows_read bigint, rows_accepted bigint,
            rows_rejected bigint, error varchar
        )
        """
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def replace_table(conn: duckdb.DuckDBPyConnection, qualified_name: str, frame: pl.DataFrame) -> None:
    """Replace a table with a frame's content (an empty frame keeps its columns)."""
    arrow = frame.to_arrow()
    conn.register("_incoming", arrow)
    try:
        conn.execute(f"create or replace table {qualified_name} as select * from _incoming")
    finally:
        conn.unregister("_incoming")


# DuckDB checkpoints (writes its WAL into the database file) once the WAL passes
# `checkpoint_threshold`, 16 MiB by default. Each checkpoint also rewrites the metadata of every
# row group of the tables it touches, so while a source of n rows is appended, n / 16 MiB
# checkpoints each cost O(n): quadratic. Measured on raw/iati x10 -> x100 (43,000 -> 428,000
# activities): the appends took 20x the time for 10x the data, the step 12.4x. Spaced to this
# much WAL, the step takes 10.7x (docs/benchmarks.md). The rows waiting for their checkpoint are
# held in memory, beyond `memory_limit`, so this also bounds memory: at x100, 330 MB at 256 MiB,
# 600 MB at 1 GiB.
STORE_CHECKPOINT = "256MiB"


def _store_settings() -> dict[str, str]:
    """What DuckDB runs with while a source is stored: its memory limited to
    `settings.ingest_duckdb_mb()` (what a file costs does not grow with its size), its
    checkpoints spaced (`STORE_CHECKPOINT`)."""
    return {"memory_limit": f"{int(ingest_duckdb_mb())}MB", "checkpoint_threshold": STORE_CHECKPOINT}


@contextmanager
def duckdb_settings(conn: duckdb.DuckDBPyConnection, values: Mapping[str, str]) -> Iterator[None]:
    """DuckDB `values` (setting names written in the code, never user input) while the block runs,
    then each setting set back as it was."""
    def current(name: str) -> str:
        return conn.execute("select current_setting($1)", [name]).fetchall()[0][0]

    restore = []
    for name, value in values.items():
        before = current(name)
        conn.execute(f"reset {name}")
        # DuckDB prints a size to a tenth of its unit ('2.7 GiB'): DuckDB's default (the usual case)
        # comes back exactly with RESET, a value the caller set comes back as printed
        restore.append((f"reset {name}", []) if current(name) == before else (f"set {name} = $1", [before]))
        conn.execute(f"set {name} = $1", [value])
    try:
        yield
    finally:
        for statement in reversed(restore):
            conn.execute(*statement)


def _store_bounded(store: Callable[..., dict[str, int]]) -> Callable[..., dict[str, int]]:
    """`store` run with `_store_settings` on its connection (its first argument), then one
    checkpoint, so that the step which wrote the WAL is the one that pays for writing it out.
    A caller holding a transaction says so (`in_transaction=True`): there is nothing to
    checkpoint before its commit, and DuckDB refuses a CHECKPOINT there by aborting the
    transaction (which cannot be asked beforehand); its commit checkpoints."""
    @wraps(store)
    def bounded(conn: duckdb.DuckDBPyConnection, *args, in_transaction: bool = False, **kwargs) -> dict[str, int]:
        with duckdb_settings(conn, _store_settings()):
            stats = store(conn, *args, **kwargs)
        if not in_transaction:
            conn.execute("checkpoint")
        return stats
    return bounded


@_store_bounded
def store_source(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    files: Sequence[Path],
    read: Callable[[Path], Iterable[ReadResult]],
    table_schemas: Mapping[str, Mapping[str, pl.DataType]],
) -> dict[str, int]:
    """Read and write one source: raw tables, its quarantine rows and its file loads.

    Replaces what this source wrote before (re-running on the same files gives the
    same tables). `read(path)` gives a file's ReadResults: one, or batches, gathered until
    `APPEND_ROWS` rows wait and then appended, so memory is bounded by that, not by the source. A file
    refused whole (`SourceError`, even after some of its batches were written:
    truncated XML) keeps no row in the raw tables or the quarantine: its rows are
    deleted, and it is recorded as a load with zero rows accepted and one quarantine
    row. No transaction is opened here (the caller may hold one, see
    `pipelines.defs.partitions`, and then passes `in_transaction=True`: see
    `_store_bounded`); the raw tables are rebuilt whole on every run. DuckDB's memory is
    bounded and its checkpoints spaced meanwhile (`_store_settings`).
    """
    ensure_layers(conn)
    for table, schema in table_schemas.items():
        replace_table(conn, f"raw.{table}", pl.DataFrame(schema=dict(schema)))
    conn.execute("delete from quality.rejected_rows where source = $source", {"source": source})

    loads = []
    stats = {"files": len(files), "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0, "files_refused": 0}
    for path in files:
        read_n = rejected_n = 0
        written: set[str] = set()  # the source_file values this file's batches wrote
        appender = _Appender(conn, source, table_schemas)
        try:
            for batch in read(path):
                written.add(batch.source_file)
                appender.add(batch)
                read_n += batch.rows_read
                rejected_n += batch.rows_rejected
            appender.flush()
        except SourceError as error:
            _forget_files(conn, source, written, table_schemas)  # what was appended; the rest is dropped
            refused = pl.DataFrame(
                [{"source_file": path.name, "source_row": "", "field": "", "value": None,
                  "reason": str(error), "severity": "error"}],
                schema=REJECTED_SCHEMA,
            )
            _insert(conn, "quality.rejected_rows", refused.with_columns(pl.lit(source).alias("source")).select(
                "source", *REJECTED_SCHEMA))
            loads.append(_file_load(source, path, 0, 0, 0, str(error)))
            stats["files_refused"] += 1
            continue
        loads.append(_file_load(source, path, read_n, read_n - rejected_n, rejected_n, None))
        stats["rows_read"] += read_n
        stats["rows_accepted"] += read_n - rejected_n
        stats["rows_rejected"] += rejected_n

    loads_frame = pl.DataFrame(loads, schema=FILE_LOADS_SCHEMA)
    conn.execute("delete from quality.file_loads where source = $source", {"source": source})
    _insert(conn, "quality.file_loads", loads_frame)
    return stats


# Rows a file's batches gather before they are appended: one INSERT costs ~1.4 ms however
# small, and a streaming reader's batch (1,000 IATI activities) gives 7 tables of a few
# thousand rows each. Bounded: at most this many rows (plus one batch) are held.
APPEND_ROWS = 50_000


class _Appender:
    """A file's batches, conformed to their contract and appended to the raw tables and the
    quarantine once `APPEND_ROWS` rows are waiting, or when the file ends (`flush`)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, source: str,
                 table_schemas: Mapping[str, Mapping[str, pl.DataType]]) -> None:
        self.conn, self.source, self.table_schemas = conn, source, table_schemas
        self.waiting: dict[str, list[pl.DataFrame]] = {}
        self.rows = 0

    def add(self, batch: ReadResult) -> None:
        for table, schema in self.table_schemas.items():
            frame = batch.tables.get(table)
            if frame is not None and frame.height:
                self._wait(f"raw.{table}", conform(frame, schema))
        rejected = batch.rejected  # a frame: readers need not build one Problem object per warning
        if rejected.height:
            self._wait("quality.rejected_rows",
                       rejected.with_columns(pl.lit(self.source).alias("source")).select("source", *REJECTED_SCHEMA))
        if self.rows >= APPEND_ROWS:
            self.flush()

    def _wait(self, qualified_name: str, frame: pl.DataFrame) -> None:
        self.waiting.setdefault(qualified_name, []).append(frame)
        self.rows += frame.height

    def flush(self) -> None:
        for qualified_name, frames in self.waiting.items():
            _insert(self.conn, qualified_name, pl.concat(frames, rechunk=False))
        self.waiting, self.rows = {}, 0


def _forget_files(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    source_files: set[str],
    table_schemas: Mapping[str, Mapping[str, pl.DataType]],
) -> None:
    """Delete the rows a refused file's earlier batches wrote (every raw table carries
    `source_file`, see pipelines.sources.contracts)."""
    if not source_files:
        return
    wanted = {"files": sorted(source_files)}
    for table in table_schemas:
        conn.execute(f"delete from raw.{table} where list_contains($files, source_file)", wanted)
    conn.execute(
        "delete from quality.rejected_rows where source = $source and list_contains($files, source_file)",
        {**wanted, "source": source},
    )


def _insert(conn: duckdb.DuckDBPyConnection, qualified_name: str, frame: pl.DataFrame) -> None:
    conn.register("_incoming", frame.to_arrow())
    try:
        conn.execute(f"insert into {qualified_name} select * from _incoming")
    finally:
        conn.unregister("_incoming")


def _file_load(source: str, p: Path, read: int, accepted: int, rejected: int, error: str | None) -> dict:
    stat = p.stat() if p.exists() else None
    return {
        "source": source,
        "source_file": p.name,  # relative to the source's folder: no server path is ever published
        "sha256": sha256_of(p) if stat else None,
        "size_bytes": stat.st_size if stat else None,
        "modified_at": datetime.fromtimestamp(stat.st_mtime) if stat else None,
        "rows_read": read,
        "rows_accepted": accepted,
        "rows_rejected": rejected,
        "error": error,
    }


def conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Select the contract's columns in order, typed; a column a reader did not give is null.

    Casts are strict: a reader that breaks the contract fails loudly here.
    """
    return frame.select(
        [
            pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def table_rows(conn: duckdb.DuckDBPyConnection, qualified_name: str) -> int:
    return conn.execute(f"select count(*) from {qualified_name}").fetchall()[0][0]


def preview_markdown(conn: duckdb.DuckDBPyConnection, qualified_name: str, limit: int = 10) -> str:
    return markdown_table(conn.sql(f"select * from {qualified_name} limit {int(limit)}").pl())


def markdown_table(frame: pl.DataFrame) -> str:
    """A small frame as a Markdown table, for Dagster metadata previews."""
    if frame.is_empty():
        return "_empty_"
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *rows])
