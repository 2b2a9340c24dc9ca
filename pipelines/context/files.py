"""One publisher file of the dump to Parquet: the unit of work of `read_dump` (runs in a worker process).

`read_file(task)` hashes the file; when the sha256 is the one the manifest already holds it stops
there (skipped). Otherwise it reads the file with the pipeline's own IATI reader
(`pipelines.sources.iati.iter_activity_batches`, batch by batch, so memory is bounded by the batch
and the write buffer, never by the file) and writes the context tables, hive-partitioned:

    <out>/transactions/publisher=<publisher>/year=<year>/<file name>.parquet
    <out>/<activity table>/publisher=<publisher>/<file name>.parquet

`year` is the transaction's year (transaction date, else value date); a transaction with no year
goes to `year=__HIVE_DEFAULT_PARTITION__` (read back as null by DuckDB and polars). The activity
tables (activities, activity_locations, activity_sectors, participating_orgs) carry the activity's
start year (else end year) as a `year` column but are partitioned by publisher only: a part per
file, table and year was ~55 Parquet files per dump file, and writing them took longer than reading
the XML (measured on a 150 MB generated dump: 8 s of writes for 3.3 s of reading, docs/context.md);
they are small and join to `transactions` per activity (`source_file`, `activity_row`) anyway.
Amounts stay the reader's Decimal(38, 10): frames go to Arrow and Parquet as they are, no per-row
Python.

A file is all or nothing: its parts are written under temporary names and renamed only once the
whole file has parsed. When the reader refuses the file (malformed or truncated XML, DOCTYPE, not an
activity file...) the parts are removed and the file is returned as refused, with the reason;
either way the partitions of the file's previous version are dropped, as it no longer says that.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.sources.common import SourceError, problems_frame
from pipelines.sources.iati import iter_activity_batches

# The tables the context marts need (docs/data-contracts.md, "IATI"): budgets and results are not kept.
CONTEXT_TABLES = ("activities", "transactions", "activity_locations", "activity_sectors", "participating_orgs")
YEAR_PARTITIONED = frozenset({"transactions"})
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
NO_CURRENCY = "(none)"  # manifest key for values with neither their own nor a default currency
FLUSH_ROWS = 100_000  # buffered rows (all tables and years) before a row group is written
_WHOLE = object()  # the buffer key of a table not partitioned by year
_ACTIVITY_ROW = r"^(/iati-activities/iati-activity\[\d+\]|/iati-activity)"


@dataclass(frozen=True)
class FileTask:
    path: str  # the file in the dump
    relpath: str  # `<publisher>/<file name>`: the manifest key
    publisher: str
    publisher_org_type: str | None  # from metadata/<publisher>.json: for activities whose reporting-org has no @type
    out_dir: str
    known_sha256: str | None  # the manifest's, to skip an unchanged file
    filetype: str | None  # from metadata/<publisher>/<dataset>.json: "activity", "organisation" or unknown


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def part_name(file_name: str) -> str:
    return f"{file_name}.parquet"


def drop_outputs(out_dir: Path, publisher: str, file_name: str) -> int:
    """Remove every partition file a dump file wrote (all tables, all years, and its rejected rows)."""
    removed, name = 0, part_name(file_name)  # no glob: file names may hold [ ] or *
    for folder in (*CONTEXT_TABLES, "rejected"):
        root = out_dir / folder / f"publisher={publisher}"
        if not root.is_dir():
            continue
        for part in (root / name, *(year / name for year in root.iterdir() if year.is_dir())):
            if part.is_file():
                part.unlink()
                removed += 1
    return removed


def read_file(task: FileTask) -> dict:
    """The manifest entry of one dump file (docs/context.md, "Incremental, never silent")."""
    started = time.perf_counter()
    path, out_dir = Path(task.path), Path(task.out_dir)
    sha = sha256_of(path)
    entry = {"publisher": task.publisher, "file": path.name, "sha256": sha, "bytes": path.stat().st_size}
    if sha == task.known_sha256:
        return {**entry, "status": "skipped"}
    if task.filetype == "organisation":  # the registry says so: an organisation file has no activities
        drop_outputs(out_dir, task.publisher, path.name)
        return {**entry, "status": "not_activity", "reason": "organisation file (registry metadata filetype)",
                "seconds": round(time.perf_counter() - started, 3)}
    writer = _PartitionWriter(out_dir, task.publisher, path.name)
    counts = {"rows_read": 0, "rows_rejected": 0}
    problems = []
    try:
        for batch in iter_activity_batches(path):
            counts["rows_read"] += batch.rows_read
            counts["rows_rejected"] += batch.rows_rejected
            problems.extend(batch.problems)
            writer.add(context_frames(batch.tables, task.publisher_org_type))
        writer.close()
    except SourceError as err:
        writer.abort()
        drop_outputs(out_dir, task.publisher, path.name)
        return {**entry, "status": "refused", "reason": f"{err}",
                "seconds": round(time.perf_counter() - started, 3)}
    except BaseException:
        writer.abort()
        raise
    drop_outputs(out_dir, task.publisher, path.name)
    writer.commit()
    if problems:  # a few rows per rejected activity: per-row Python is fine here
        rejected = out_dir / "rejected" / f"publisher={task.publisher}" / part_name(path.name)
        rejected.parent.mkdir(parents=True, exist_ok=True)
        problems_frame(problems).write_parquet(rejected)
    return {
        **entry, "status": "read", "reason": None,
        "rows_read": counts["rows_read"], "rows_rejected": counts["rows_rejected"],
        "rows_accepted": counts["rows_read"] - counts["rows_rejected"],
        "warnings": sum(1 for p in problems if p.severity == "warning"),
        "rows": writer.rows, "years": sorted(writer.years, key=str),
        "transaction_values": {cur: str(total) for cur, total in sorted(writer.values.items())},
        "seconds": round(time.perf_counter() - started, 3),
    }


def context_frames(tables: dict[str, pl.DataFrame], publisher_org_type: str | None) -> dict[str, pl.DataFrame]:
    """The batch's context tables, each with its partition `year` and, below the activity, the
    activity's XPath (`activity_row`) so that tables join per activity even when a publisher
    repeats an iati-identifier within a file."""
    activities = tables["activities"].with_columns(
        # the activity's own reporting-org/@type, else the publisher's type in the registry metadata
        pl.coalesce(pl.col("reporting_org_type"), pl.lit(publisher_org_type, dtype=pl.String)).alias("reporting_org_type"),
        pl.coalesce(pl.col("start_date").dt.year(), pl.col("end_date").dt.year()).cast(pl.Int32).alias("year"),
    )
    activity_year = activities.select(pl.col("source_row").alias("activity_row"), "year")
    out = {"activities": activities}
    for name in CONTEXT_TABLES[1:]:
        frame = tables[name].with_columns(pl.col("source_row").str.extract(_ACTIVITY_ROW).alias("activity_row"))
        if name == "transactions":
            out[name] = frame.with_columns(
                pl.coalesce(pl.col("transaction_date").dt.year(), pl.col("value_date").dt.year())
                .cast(pl.Int32).alias("year"))
        else:
            out[name] = frame.join(activity_year, on="activity_row", how="left")
    return out


class _PartitionWriter:
    """Buffers one file's frames per (table, year) and writes them as row groups of temporary
    Parquet files; `commit` renames them into place, `abort` removes them."""

    def __init__(self, out_dir: Path, publisher: str, file_name: str):
        self.out_dir, self.publisher, self.file_name = out_dir, publisher, file_name
        self.buffer: dict[tuple[str, object], list[pa.Table]] = {}
        self.buffered = 0
        self.writers: dict[tuple[str, object], tuple[pq.ParquetWriter, Path]] = {}
        self.rows = {name: 0 for name in CONTEXT_TABLES}
        self.years: set[int | None] = set()
        self.values: dict[str, object] = {}  # currency -> exact Decimal sum of transaction values

    def add(self, frames: dict[str, pl.DataFrame]) -> None:
        sums = frames["transactions"].group_by("currency").agg(pl.col("value").sum())
        for currency, total in sums.iter_rows():
            key = NO_CURRENCY if currency is None else currency
            self.values[key] = self.values.get(key, 0) + total
        for name, frame in frames.items():
            if frame.height == 0:
                continue
            self.rows[name] += frame.height
            self.buffered += frame.height
            if name not in YEAR_PARTITIONED:
                self.buffer.setdefault((name, _WHOLE), []).append(frame.to_arrow())
                continue
            for (year,), part in frame.partition_by("year", as_dict=True, include_key=False).items():
                self.buffer.setdefault((name, year), []).append(part.to_arrow())
                self.years.add(year)
        if self.buffered >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        for key, parts in self.buffer.items():
            table = pa.concat_tables(parts)
            if key not in self.writers:
                name, year = key
                folder = self.out_dir / name / f"publisher={self.publisher}"
                if year is not _WHOLE:
                    folder = folder / f"year={NULL_PARTITION if year is None else year}"
                folder.mkdir(parents=True, exist_ok=True)
                tmp = folder / f".{part_name(self.file_name)}.tmp"
                # no Arrow schema in the footer: the Parquet types say it all (decimal, date) and
                # serialising it doubled the cost of the many small parts. No dictionary pages:
                # snappy alone gives the same bytes (2 % more) for ~40 % less writing time
                writer = pq.ParquetWriter(tmp, table.schema, compression="snappy", store_schema=False,
                                          use_dictionary=False)
                self.writers[key] = (writer, tmp)
            self.writers[key][0].write_table(table)
        self.buffer, self.buffered = {}, 0

    def close(self) -> None:
        self._flush()
        for writer, _tmp in self.writers.values():
            writer.close()

    def commit(self) -> None:
        for _writer, tmp in self.writers.values():
            tmp.replace(tmp.with_name(part_name(self.file_name)))

    def abort(self) -> None:
        for writer, tmp in self.writers.values():
            try:
                writer.close()
            finally:
                tmp.unlink(missing_ok=True)
        self.writers, self.buffer = {}, {}
