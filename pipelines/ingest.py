"""Run a reader over every file of a source and store what it gives, nothing lost.

A file refused whole (hostile XML, missing required column...) is recorded with its
reason; the other files of the source still load. Files are written as they are read
(`pipelines.warehouse.store_source`), in file order, whatever reads them:

- a streaming reader yields batches and runs in this process, so memory stays bounded by
  a batch: a generator function (IATI), or a reader offering its batches as `.batches`
  (grants: `read_grants` reads a file at once for small callers, `read_grants.batches` in
  blocks of records, issue 19), used whenever the pool is not;
- readers are pure functions of one file, so when a source has several files and enough bytes
  to be worth it, they run in a pool of processes, one file each, and the warehouse (one
  writer) takes their results in order, each worker at most `POOL_AHEAD` files ahead; a file too
  large to be read whole (`POOL_MAX_FILE_BYTES`, for a reader that also streams) streams in this
  process meanwhile.
  `SOLIDARITY_READ_WORKERS` caps the pool (default: the machine's cores; 1 turns it off).
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.sources.common import ReadResult, SourceError
from pipelines.warehouse import store_source

# A reader gives one ReadResult per file, or an iterator of batches (IATI: bounded
# memory on large files); either way the warehouse appends what it gets as it comes.
Reader = Callable[[Path], ReadResult | Iterator[ReadResult]]

READ_WORKERS_ENV = "SOLIDARITY_READ_WORKERS"
# Below this, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 16 << 20
# A reader that can stream reads a file this large in batches, in this process: read whole in
# a worker, a grants CSV holds ~6x its size at the peak.
POOL_MAX_FILE_BYTES = 48 << 20
# Files a pool worker reads ahead of the writer (their results wait in this process until written).
POOL_AHEAD = 2


@dataclass(frozen=True)
class Refused:
    """A SourceError as it crosses a process boundary (exceptions with extra arguments do not pickle)."""

    source_file: str
    where: str
    reason: str


def batch_reader(reader: Reader) -> Callable[[Path], Iterator[ReadResult]] | None:
    """The reader's streaming form, if it has one: itself when it is a generator function
    (IATI), else its `batches` attribute (grants), else None."""
    if inspect.isgeneratorfunction(reader):
        return reader
    return getattr(reader, "batches", None)


def _batches(reader: Reader) -> Callable[[Path], Iterable[ReadResult]]:
    def read(path: Path) -> Iterator[ReadResult]:
        with isolated(path):
            out = reader(path)
            if isinstance(out, ReadResult):
                yield out
                return
            yield from out

    return read


@contextmanager
def isolated(path: Path) -> Iterator[None]:
    """One unreadable file never stops the others: any error a reader did not foresee
    (a bug, a decoder's surprise) refuses that file whole, with its cause, like a
    `SourceError`. The manifest and the data-quality page show it; the run goes on."""
    try:
        yield
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - the point is to catch what nobody foresaw
        raise SourceError(path.name, "-", f"unreadable file ({type(exc).__name__}: {exc})") from exc


def read_workers(files: Sequence[Path]) -> int:
    configured = os.environ.get(READ_WORKERS_ENV)
    wanted = int(configured) if configured else (os.cpu_count() or 1)
    size = sum(p.stat().st_size for p in files if p.exists())
    if wanted < 2 or len(files) < 2 or size < PARALLEL_MIN_BYTES:
        return 1
    return min(wanted, len(files))


def _read_one(reader: Reader, path: Path) -> ReadResult | Refused:
    try:
        with isolated(path):
            out = reader(path)
    except SourceError as error:
        return Refused(error.source_file, error.where, error.reason)
    if isinstance(out, ReadResult):
        return out
    raise TypeError("a batch reader must not run in the process pool")


def ingest_source(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    files: Sequence[Path],
    reader: Reader,
    table_schemas: Mapping[str, Mapping[str, pl.DataType]],
    *,
    in_transaction: bool = False,
) -> dict[str, int]:
    # `in_transaction`: the caller holds a transaction (`warehouse.store_source` then leaves the
    # checkpoint to its commit).
    # A generator reader (IATI) always streams here, one file at a time. Otherwise the files too
    # large to be read whole (a reader that can stream them) stream here, and the others, when
    # enough, are read whole in a pool meanwhile: a source of many files keeps its parallelism
    # when a few of them grow past the limit (raw/events at x100).
    stream = batch_reader(reader)
    large = set() if stream is None else {p for p in files if p.exists() and p.stat().st_size > POOL_MAX_FILE_BYTES}
    pooled = [p for p in files if p not in large]
    workers = 1 if stream is reader else read_workers(pooled)
    if workers == 1:
        return store_source(conn, source, files, _batches(stream or reader), table_schemas,
                            in_transaction=in_transaction)

    # spawn, not fork: the parent holds DuckDB and Dagster threads that a fork would copy mid-flight
    context = multiprocessing.get_context("spawn")
    streamed = _batches(stream) if stream is not None else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # at most POOL_AHEAD files per worker read ahead of the writer: a whole file's result waits
        # in memory until written, and the writer may be streaming a large file meanwhile
        waiting, queue = deque(), iter(pooled)

        def submit_next() -> None:
            path = next(queue, None)
            if path is not None:
                waiting.append(pool.submit(_read_one, reader, path))

        for _ in range(POOL_AHEAD * workers):
            submit_next()

        def read(path: Path) -> Iterable[ReadResult]:
            if path in large:
                return streamed(path)
            outcome = waiting.popleft().result()  # store_source asks for the files in the order they were submitted
            submit_next()
            if isinstance(outcome, Refused):
                raise SourceError(outcome.source_file, outcome.where, outcome.reason)
            return (outcome,)

        return store_source(conn, source, files, read, table_schemas, in_transaction=in_transaction)
