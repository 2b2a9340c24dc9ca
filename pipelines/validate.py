"""`solidarity validate`: the analyst's check of a file before it goes in the inbox.

The file's kind is told by its content (first bytes) and header, then the same reader the pipeline
uses runs on it, so what validate says is exactly what the pipeline will do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest import Reader, isolated
from pipelines.sources.common import ReadResult, SourceError
from pipelines.sources.registry import recognise
from pipelines.sources.text import content_kind


@dataclass
class Report:
    lines: list[str]
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
    try:
        with isolated(path):
            result = _whole(path, reader(path))
    except SourceError as error:
        return Report([str(error)], 1, f"{path}: refused ({kind})")
    lines = [p.message() if p.severity == "error" else f"{p.message()} [warning]" for p in result.problems]
    summary = (
        f"{path}: {kind}, {result.rows_read} rows read, {result.rows_accepted} accepted, "
        f"{result.rows_rejected} rejected"
    )
    return Report(lines, result.rows_rejected, summary)


def _whole(path: Path, read: ReadResult | Iterator[ReadResult]) -> ReadResult:
    """A streaming reader's batches (IATI) as one result: counts and problems, not the rows."""
    if isinstance(read, ReadResult):
        return read
    rows_read, problems = 0, []
    for batch in read:
        rows_read += batch.rows_read
        problems += batch.problems
    return ReadResult(path.name, rows_read, {}, problems)
