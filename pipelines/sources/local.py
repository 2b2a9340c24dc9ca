"""Local-impact readers, at the paths docs/data-contracts.md names.

- `read_organisations(path)` -> table `organisations` (organisations directory CSV)
- `read_jobs(path)` -> table `jobs` (jobs per organisation and year CSV)
- `read_events(path, communes=None)` -> table `events` (agenda CSV or iCalendar .ics);
  `events_reader()` binds it to the shipped communes table

Each validates its input against the Frictionless Table Schema in `data/schemas/`
(see `pipelines.sources.table_schema`). The implementations live in
`organisations.py` and `events.py`; this module is the stable entry point.
"""

from functools import partial

from pipelines.sources.commune_lookup import CommuneIndex, build_commune_index, resolve_commune
from pipelines.sources.event_rules import event_match_key
from pipelines.sources.events import read_events
from pipelines.sources.events_csv import read_events_csv
from pipelines.sources.events_ics import read_events_ics
from pipelines.sources.organisations import read_jobs, read_organisations



def events_reader():
    """`read_events` bound to the shipped communes table, which places free-text ICS
    locations: what the pipeline and `solidarity validate` both read events with.
    Called when reading starts, never at import (the table is ~35,000 rows)."""
    from pipelines.reference import load_communes

    return partial(read_events, communes=load_communes())


__all__ = [
    "CommuneIndex",
    "build_commune_index",
    "event_match_key",
    "events_reader",
    "read_events",
    "read_events_csv",
    "read_events_ics",
    "read_jobs",
    "read_organisations",
    "resolve_commune",
]
