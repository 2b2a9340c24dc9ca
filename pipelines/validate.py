"""`solidarity validate`: the analyst's check of a file before it goes in the inbox.

The file's kind is told by its content (first bytes) and header, then the same reader the pipeline
uses runs on it, so what validate says is exactly what the pipeline will do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest import Reader, batch_reader, isolated
from pipelines.sources.common import ReadResult, SourceError
from pipelines.sources.registry import recognise
from pipelines.sources.text import content_kind


@dataclass
class Report:
    lines: Iterable[str]
    rejected: int
    summary: str


def reader_for(path: Path) -> tuple[str, Reader]:
    """The source a file belongs to and its reader, by the registry's rules (pipelines/sources/registry.py)."""
    kind = content_kind(path)  # by content: a registry download has no .xml suffix
    with path.open("rb") as fh:  # the header line only: a 2 GB file is not read to pick its reader
        head = fh.read(4096).decode("utf-8", errors="replace")
    source = recognise(kind, head.splitlines()[0] if head else "")
    return source.name, source.load_reader()


def validate_file(path: Path) -> Report:
    if not path.is_file():
        return Report([f"{path}:0:: file not found"], 1, f"{path}: not found")
    kind, reader = reader_for(path)
    stream = batch_reader(reader)
    try:
        with isolated(path):
            if stream is None:
                return _report(path, kind, reader(path))
            batches = stream(path)
            first = next(batches, None)  # what refuses a file whole comes before its first batch
    except SourceError as error:
        return Report([str(error)], 1, f"{path}: refused ({kind})")
    return StreamedReport(path, kind, first, batches)


def _report(path: Path, kind: str, result: ReadResult) -> Report:
    lines = result.problem_lines()
    return Report(lines, result.rows_rejected, _summary(path, kind, result.rows_read, result.rows_rejected))


def _summary(path: Path, kind: str, read: int, rejected: int) -> str:
    return f"{path}: {kind}, {read} rows read, {read - rejected} accepted, {rejected} rejected"


class StreamedReport:
    """A streaming reader's report (IATI, grants: issue 19), batch by batch: `lines` is one pass
    over the problems, each batch's built when the previous one's are printed (a batch's lines
    come as one string, joined by line breaks), so a 2 GB file with a warning on every row
    never holds them all. `rejected` and `summary` are known once
    the lines have been read; asked first, they read every batch and keep the lines (the old
    behaviour). A file refused after its first batch (a limit passed further on) ends its
    lines with the refusal, and counts as rejected."""

    def __init__(self, path: Path, kind: str, first: ReadResult | None, rest: Iterator[ReadResult]):
        self._path, self._kind = path, kind
        self._pending: Iterator[str] | None = self._lines(first, rest)
        self._kept: list[str] | None = None
        self._read = self._rejected = 0
        self._refused = False

    def _lines(self, first: ReadResult | None, rest: Iterator[ReadResult]) -> Iterator[str]:
        batch, first = first, None  # the first batch is let go once read, as the others
        while batch is not None:
            # a row's problems are all in its batch (a grant, an IATI activity): counts add up
            self._read += batch.rows_read
            self._rejected += batch.rows_rejected
            # one string per batch: printing 200,000 lines one by one costs more than reading them
            # (asked as lines, not `batch.problems`: a grants batch keeps its problems as a frame)
            lines = batch.problem_lines()
            if lines:
                yield "\n".join(lines)
            try:
                with isolated(self._path):
                    batch = next(rest, None)
            except SourceError as error:
                self._refused = True
                yield str(error)
                return

    @property
    def lines(self) -> Iterable[str]:
        if self._kept is not None:
            return self._kept
        pending, self._pending = self._pending, None
        return pending if pending is not None else iter(())

    def _drain(self) -> None:
        if self._pending is not None:
            self._kept, self._pending = list(self._pending), None

    @property
    def rejected(self) -> int:
        self._drain()
        return max(self._rejected, 1) if self._refused else self._rejected

    @property
    def summary(self) -> str:
        self._drain()
        if self._refused:
            return f"{self._path}: refused ({self._kind})"
        return _summary(self._path, self._kind, self._read, self._rejected)
