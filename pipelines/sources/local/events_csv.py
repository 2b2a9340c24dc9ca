"""The agenda's CSV export (`id,titre,debut,fin,code_commune,...,public_jeune`) -> table
`events` (origin 'csv'), checked against `data/schemas/events.schema.json` and the rules
of `event_rules`."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.sources.common import ReadResult
from pipelines.sources.local.commune_lookup import CommuneIndex
from pipelines.sources.local.event_rules import as_commune_index, check_event_rules, event_record, events_frame
from pipelines.sources.local.organisations import checked_table


def read_events_csv(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None) -> ReadResult:
    """Read an agenda CSV (`id,titre,debut,fin,code_commune,...,public_jeune`) -> table `events`.

    `communes`, if given, only flags commune codes absent from the reference.
    """
    index = as_commune_index(communes)
    table, checked = checked_table(path, "events", ["siret_organisateur"])
    records = []
    for row in checked:
        check_event_rules(row, table.labels, table.source_file, index)
        if row.ok:
            records.append(event_record(table.source_file, row, "csv", None, row.flags()))
    problems = [p for p in table.problems if p.source_row == "1"] + [p for row in checked for p in row.problems]
    return ReadResult(table.source_file, table.rows_read, {"events": events_frame(records)}, problems)
