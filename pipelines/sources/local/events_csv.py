"""The agenda's CSV export (`id,titre,debut,fin,code_commune,...,public_jeune`) -> table
`events` (origin 'csv'), checked against `data/schemas/events.schema.json` and the rules
of `event_rules`, row by row and given in batches (`events_csv_batches`, issue 19)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pipelines.sources.common import ReadResult
from pipelines.sources.local.batches import BATCH_ROWS, file_batches, whole
from pipelines.sources.local.commune_lookup import CommuneIndex
from pipelines.sources.local.event_rules import as_commune_index, check_event_rules, event_record, events_frame
from pipelines.sources.local.organisations import checked_table
from pipelines.sources.local.table_schema import CheckedRow


def events_csv_batches(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None,
                       batch_rows: int = BATCH_ROWS) -> Iterator[ReadResult]:
    """An agenda CSV in batches of `batch_rows` rows (`batches`); see `read_events_csv`."""
    index = as_commune_index(communes)
    stream, rows = checked_table(path, "events", ["siret_organisateur"])
    source_file = stream.source_file

    def checked() -> Iterator[tuple[CheckedRow, dict | None]]:
        for row, _raw in rows:
            check_event_rules(row, stream.labels, source_file, index)
            yield row, event_record(source_file, row, "csv", None, row.flags()) if row.ok else None

    def tables(batch: list[tuple[CheckedRow, dict | None]]) -> dict[str, pl.DataFrame]:
        return {"events": events_frame([record for _, record in batch if record is not None])}

    yield from file_batches(source_file, stream.header_problems, checked(), batch_rows, tables)


def read_events_csv(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None) -> ReadResult:
    """Read an agenda CSV (`id,titre,debut,fin,code_commune,...,public_jeune`) -> table `events`.

    `communes`, if given, only flags commune codes absent from the reference.
    """
    return whole(events_csv_batches(path, communes))
