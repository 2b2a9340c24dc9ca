"""Awareness-campaign events: the agenda's CSV export and its iCalendar (.ics) export.

Both land in the contract table `events` (see docs/data-contracts.md) with an `origin`
column ('csv' | 'ics'), and both are checked against `data/schemas/events.schema.json`
(the ICS values are mapped onto the schema's fields first). `events_csv` and `events_ics`
read them; the rules a Table Schema cannot express, and the rest both share, are in
`event_rules`.

Times are naive Europe/Paris wall-clock datetimes (an all-day ICS event: `events_ics`).

The same event may arrive from both files; it is merged later in SQL staging, by
the rule documented on `event_rules.event_match_key`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pipelines.sources.common import ReadResult, SourceError
from pipelines.sources.local.commune_lookup import CommuneIndex
from pipelines.sources.local.batches import BATCH_ROWS
from pipelines.sources.local.events_csv import events_csv_batches, read_events_csv
from pipelines.sources.local.events_ics import events_ics_batches, read_events_ics

ICS_SUFFIXES = (".ics", ".ical", ".ifb", ".icalendar")


def read_events(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None) -> ReadResult:
    """Read an events file, dispatching on its suffix: `.csv` or `.ics` -> table `events`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_events_csv(path, communes)
    if suffix in ICS_SUFFIXES:
        return read_events_ics(path, communes)
    raise _unknown_format(path, suffix)


def event_batches(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None,
                  batch_rows: int = BATCH_ROWS) -> Iterator[ReadResult]:
    """`read_events` in batches of `batch_rows` events (a generator, so that
    `pipelines.ingest` streams it: bounded memory, issue 19)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        yield from events_csv_batches(path, communes, batch_rows)
    elif suffix in ICS_SUFFIXES:
        yield from events_ics_batches(path, communes, batch_rows)
    else:
        raise _unknown_format(path, suffix)


def _unknown_format(path: str | Path, suffix: str) -> SourceError:
    return SourceError(str(path), "1", f"unknown events format {suffix!r}: expected .csv or .ics")
