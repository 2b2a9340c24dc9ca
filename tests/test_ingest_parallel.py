"""Reading files in a process pool gives exactly what reading them one by one gives."""

from __future__ import annotations

from functools import partial

import duckdb
import pytest

from pipelines import ingest
from pipelines.reference import load_communes
from pipelines.sources.contracts import EVENT_TABLES
from pipelines.sources.local import read_events

TABLES = ("raw.events", "quality.rejected_rows", "quality.file_loads")


def _load(files, workers: int, monkeypatch, reader=None) -> dict[str, list]:
    monkeypatch.setenv(ingest.READ_WORKERS_ENV, str(workers))
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)  # the sample is small: force the pool
    assert ingest.read_workers(files) == (min(workers, len(files)) if workers > 1 else 1)
    conn = duckdb.connect()
    try:
        reader = reader or partial(read_events, communes=load_communes())
        stats = ingest.ingest_source(conn, "events", files, reader, EVENT_TABLES)
        return {"stats": stats} | {t: conn.execute(f"select * exclude (modified_at) from {t} order by all").fetchall()
                                   if t == "quality.file_loads" else
                                   conn.execute(f"select * from {t} order by all").fetchall() for t in TABLES}
    finally:
        conn.close()


def test_pool_and_serial_reads_store_the_same_rows_and_refusals(sample_dir, tmp_path, monkeypatch):
    files = sorted((sample_dir / "events").iterdir())[:4]
    refused = tmp_path / "refused.csv"
    refused.write_text("titre;debut\nsans id;2024-11-20\n", encoding="utf-8")  # required columns missing
    files = [*files[:2], refused, *files[2:]]
    serial = _load(files, 1, monkeypatch)
    pooled = _load(files, 2, monkeypatch)
    assert pooled == serial
    assert serial["stats"]["files_refused"] == 1
    assert serial["stats"]["rows_read"] == serial["stats"]["rows_accepted"] + serial["stats"]["rows_rejected"] > 1000


@pytest.mark.parametrize("workers", ["1", "0"])
def test_the_pool_can_be_turned_off(sample_dir, monkeypatch, workers):
    monkeypatch.setenv(ingest.READ_WORKERS_ENV, workers)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    assert ingest.read_workers(sorted((sample_dir / "events").iterdir())) == 1


def test_files_too_large_for_the_pool_stream_beside_it(sample_dir, tmp_path, monkeypatch):
    """A source whose largest files pass `POOL_MAX_FILE_BYTES` streams those in this process while
    the pool reads the others (raw/events at x100): the same tables as one file at a time."""
    from pipelines.sources.local import events_reader

    files = sorted((sample_dir / "events").iterdir())[:6]
    sizes = sorted(p.stat().st_size for p in files)
    reader = events_reader()
    streamed: list[str] = []
    batches = reader.batches

    def spied(path):
        streamed.append(path.name)
        return batches(path)

    reader.batches = spied

    monkeypatch.setattr(ingest, "POOL_MAX_FILE_BYTES", sizes[len(sizes) // 2])  # the larger half streams
    mixed = _load(files, 2, monkeypatch, reader)
    large = sorted(p.name for p in files if p.stat().st_size > sizes[len(sizes) // 2])
    assert sorted(streamed) == large and 0 < len(large) < len(files)
    streamed.clear()
    serial = _load(files, 1, monkeypatch, reader)
    assert sorted(streamed) == sorted(p.name for p in files)  # one at a time: every file streams
    assert mixed == serial
    assert serial["stats"]["rows_read"] == serial["stats"]["rows_accepted"] + serial["stats"]["rows_rejected"] > 1000
