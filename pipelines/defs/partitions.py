"""Yearly partitions, for the sources whose rows belong to one year (grants, events).

A run *with* a year (or a range of years, from a backfill) re-reads the source's files
and replaces only those years' rows in the raw table: delete-then-insert in one
transaction, so running 2020 twice gives the same table. A run *without* a partition
key (`solidarity materialize`, the inbox sensor, the nightly schedule) is the full
refresh it has always been. The source's file loads and quarantine rows describe the
files as just read in both cases, so `rows_accounted_for` stays true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.ingest import Reader, ingest_source
from pipelines.settings import TIMEZONE
from pipelines.warehouse import ensure_layers

FIRST_YEAR = "2015"

# One key per calendar year from 2015; `end_offset=1` includes the current, open year.
YEARS = dg.TimeWindowPartitionsDefinition(
    start=FIRST_YEAR, cron_schedule="0 0 1 1 *", fmt="%Y", end_offset=1, timezone=TIMEZONE
)


def partition_years(context: dg.AssetExecutionContext) -> list[int] | None:
    """The years a run covers, or None for an unpartitioned (full refresh) run."""
    if context.has_partition_key or context.has_partition_key_range:
        return [int(k) for k in context.partition_keys]
    return None


def replace_years(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    files: Sequence[Path],
    reader: Reader,
    tables: Mapping[str, Mapping[str, pl.DataType]],
    year_of: Mapping[str, str],
    years: Sequence[int],
) -> dict[str, int]:
    """Ingest `files`, but change only the rows of `years` in the tables of `year_of`.

    `year_of` maps a raw table to the SQL expression giving a row's year. Rows of other
    years (and rows with no year) are kept as they were, whatever the files say now.
    """
    ensure_layers(conn)
    wanted = {"years": list(years)}
    conn.execute("begin transaction")
    try:
        kept = []
        for table, expr in year_of.items():
            if _exists(conn, "raw", table):
                conn.execute(
                    f"create or replace temp table _keep_{table} as select * from raw.{table} "
                    f"where not coalesce(list_contains($years, ({expr})::integer), false)",
                    wanted,
                )
                kept.append(table)
        stats = ingest_source(conn, source, files, reader, tables, in_transaction=True)
        for table, expr in year_of.items():
            conn.execute(
                f"delete from raw.{table} "
                f"where not coalesce(list_contains($years, ({expr})::integer), false)",
                wanted,
            )
            if table in kept:
                conn.execute(f"insert into raw.{table} select * from _keep_{table}")
                conn.execute(f"drop table _keep_{table}")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return stats


def rows_in_years(conn: duckdb.DuckDBPyConnection, table: str, expr: str, years: Sequence[int]) -> int:
    return conn.execute(
        f"select count(*) from raw.{table} where list_contains($years, ({expr})::integer)",
        {"years": list(years)},
    ).fetchall()[0][0]


def _exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_schema = $s and table_name = $t",
            {"s": schema, "t": table},
        ).fetchall()[0][0]
    )
