"""`solidarity validate`: the analyst's check of a file before it goes in the inbox.

The file's kind is told by its content (first bytes) and header, then the same reader the pipeline
uses runs on it, so what validate says is exactly what the pipeline will do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest import isolated
from pipelines.sources.common import ReadResult, SourceError
from pipelines.sources.sniff import content_kind


@dataclass
class Report:
    lines: list[str]
    rejected: int
    summary: str


def reader_for(path: Path) -> tuple[str, Callable[[Path], ReadResult]]:
    from pipelines.sources import local, payments, scdl
    from pipelines.sources.iati import read_activities

    kind = content_kind(path)  # by content: a registry download has no .xml suffix
    if kind == "xml":
        return "iati", read_activities
    if kind == "ics":
        return "events", local.events_reader()
    if kind == "spreadsheet":
        return "grants", scdl.read_grants
    with path.open("rb") as fh:  # the header line only: a 2 GB file is not read to pick its reader
        head = fh.read(4096).decode("utf-8", errors="replace").lower()
    first_line = head.splitlines()[0] if head else ""
    if "type_structure" in first_line:
        return "organisations", local.read_organisations
    if "etp" in first_line and "annee" in first_line:
        return "jobs", local.read_jobs
    if "type_evenement" in first_line:
        return "events", local.events_reader()
    if "numero_mandat" in first_line:
        return "payments", payments.read_payments
    return "grants", scdl.read_grants


def validate_file(path: Path) -> Report:
    if not path.is_file():
        return Report([f"{path}:0:: file not found"], 1, f"{path}: not found")
    kind, reader = reader_for(path)
    try:
        with isolated(path):
            result = reader(path)
    except SourceError as error:
        return Report([str(error)], 1, f"{path}: refused ({kind})")
    lines = [p.message() if p.severity == "error" else f"{p.message()} [warning]" for p in result.problems]
    summary = (
        f"{path}: {kind}, {result.rows_read} rows read, {result.rows_accepted} accepted, "
        f"{result.rows_rejected} rejected"
    )
    return Report(lines, result.rows_rejected, summary)
