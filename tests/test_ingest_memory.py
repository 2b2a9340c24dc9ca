"""DuckDB's memory is bounded while a source is stored (issue 19): the buffer pool otherwise
keeps the appended blocks up to 80 % of RAM, so an ingest's memory grew with the file
(docs/benchmarks.md, "SCDL CSV streaming"). The bound holds while the files are read, and the
connection's own limit comes back afterwards, also when a file is refused. Its checkpoints are
spaced the same way (a checkpoint every 16 MiB of WAL made the appends quadratic), and the
store ends with one, so the WAL it wrote is in the database file when it returns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.sources.common import ReadResult, SourceError
from pipelines.sources.contracts import PAYMENT_TABLES
from pipelines.warehouse import store_source


def _limit_mb(conn: duckdb.DuckDBPyConnection) -> float:
    # DuckDB prints the setting in its own unit (MiB/GiB); the bytes are what is compared
    text = conn.execute("select current_setting('memory_limit')").fetchall()[0][0]
    number, unit = text.split()
    return float(number) * {"MiB": 2**20, "GiB": 2**30, "KiB": 2**10}[unit] / 1e6


def _setting(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    return conn.execute("select current_setting($1)", [name]).fetchall()[0][0]


def _store(conn, tmp_path: Path, seen: list[float], refuse: bool = False,
           thresholds: list[str] | None = None) -> dict:
    path = tmp_path / "paiements.csv"
    path.write_text("x\n")

    def read(p: Path):
        seen.append(_limit_mb(conn))
        if thresholds is not None:
            thresholds.append(_setting(conn, "checkpoint_threshold"))
        if refuse:
            raise SourceError(p.name, "2", "broken on purpose")
        yield ReadResult(p.name, 0, {name: pl.DataFrame(schema=dict(schema)) for name, schema in PAYMENT_TABLES.items()})

    return store_source(conn, "payments", [path], read, PAYMENT_TABLES)


def test_duckdb_memory_is_bounded_while_storing_and_restored_after(tmp_path, monkeypatch):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    default = conn.execute("select current_setting('memory_limit')").fetchall()[0][0]
    seen: list[float] = []
    _store(conn, tmp_path, seen)
    # 128 MB by default (DuckDB rounds to its own MiB, so within 5 %), and DuckDB's default after
    assert seen and abs(seen[0] - 128) / 128 < 0.05
    assert conn.execute("select current_setting('memory_limit')").fetchall()[0][0] == default

    conn.execute("set memory_limit = '3GB'")  # a limit the caller chose comes back as DuckDB prints it
    before = _limit_mb(conn)

    monkeypatch.setenv("SOLIDARITY_INGEST_DUCKDB_MB", "300")
    seen.clear()
    stats = _store(conn, tmp_path, seen, refuse=True)
    assert abs(seen[0] - 300) / 300 < 0.05
    assert stats["files_refused"] == 1
    assert abs(_limit_mb(conn) - before) / before < 0.05


def test_checkpoints_are_spaced_while_storing_and_the_wal_written_out_after(tmp_path):
    db = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(db))
    default = _setting(conn, "checkpoint_threshold")
    thresholds: list[str] = []
    _store(conn, tmp_path, [], thresholds=thresholds)
    assert thresholds == ["256.0 MiB"] and default == "16.0 MiB"  # STORE_CHECKPOINT, as DuckDB prints it
    assert _setting(conn, "checkpoint_threshold") == default

    # ~30 MB of rows appended in one store: more WAL than DuckDB's own threshold, less than the
    # store's; the store's last checkpoint writes it into the database file
    rows = pl.DataFrame({"source_file": ["big.csv"] * 400_000, "x": [f"{i:060d}" for i in range(400_000)]})
    wal = Path(str(db) + ".wal")

    def read(p: Path):
        yield ReadResult(p.name, rows.height, {"t": rows})

    store_source(conn, "t", [tmp_path / "big.csv"], read, {"t": dict(rows.schema)})
    assert not wal.exists() or wal.stat().st_size == 0
    assert conn.execute("select count(*), count(distinct x) from raw.t").fetchall() == [(400_000, 400_000)]

    # inside the caller's transaction (said by the caller) nothing is checkpointed, and the
    # transaction goes on: a CHECKPOINT there would abort it; its commit writes the rows
    rows = rows.head(1_000)
    conn.execute("begin transaction")
    store_source(conn, "t", [tmp_path / "big.csv"], read, {"t": dict(rows.schema)}, in_transaction=True)
    conn.execute("insert into raw.t values ('big.csv', 'one more row, in the same transaction')")
    conn.execute("commit")
    assert conn.execute("select count(*) from raw.t").fetchall() == [(1_001,)]
    conn.close()
