"""The region's own sources, at the paths docs/data-contracts.md names: files it documents
itself, each a Frictionless Table Schema in `data/schemas/`
(https://specs.frictionlessdata.io/table-schema/, checked by `table_schema`), read from CSV
(`delimited`, decoded by `pipelines.sources.text`) or from an iCalendar agenda
(RFC 5545, https://www.rfc-editor.org/rfc/rfc5545, `events_ics` over `ics_lines`).

- `read_organisations(path)` -> table `organisations` (organisations directory CSV)
- `read_jobs(path)` -> table `jobs` (jobs per organisation and year CSV)
- `read_events(path, communes=None)` -> table `events` (agenda CSV or iCalendar .ics);
  `events_reader()` binds it to the shipped communes table (`commune_lookup`)
- `read_payments(path)` -> tables `payments`, `payments_set_aside` (the accounting's
  payment orders CSV)

Each also reads in batches, a generator of `ReadResult`s of at most `batch_rows` rows
(`organisation_batches`, `job_batches`, `event_batches`, `payment_batches`;
`event_batches_reader()` is `events_reader()`'s): memory stays bounded by a batch whatever
the file's length (issue 19), and `pipelines.ingest` appends each batch as it comes. The
`read_*` functions join a file's batches into one result, as `solidarity validate`
and the tests compare them.

The implementations live in `organisations.py`, `events.py` and `payments.py`; this
package is the stable entry point.
"""

from functools import partial

from pipelines.sources.local.commune_lookup import CommuneIndex, build_commune_index, resolve_commune
from pipelines.sources.local.event_rules import event_match_key
from pipelines.sources.local.events import event_batches, read_events
from pipelines.sources.local.events_csv import events_csv_batches, read_events_csv
from pipelines.sources.local.events_ics import events_ics_batches, read_events_ics
from pipelines.sources.local.organisations import job_batches, organisation_batches, read_jobs, read_organisations
from pipelines.sources.local.payments import payment_batches, read_payments


def events_reader():
    """`read_events` bound to the shipped communes table, which places free-text ICS
    locations: what the pipeline and `solidarity validate` both read events with (its
    `.batches`, `event_batches` bound the same way, when they stream: `pipelines.ingest`).
    Called when reading starts, never at import (the table is ~35,000 rows)."""
    from pipelines.reference import load_communes

    communes = load_communes()
    reader = partial(read_events, communes=communes)
    reader.batches = partial(event_batches, communes=communes)
    return reader


def event_batches_reader():
    """`event_batches` bound to the shipped communes table, as `events_reader` binds
    `read_events`: the streaming reader for the pipeline (a partial of a generator function,
    which `pipelines.ingest` recognises as one)."""
    from pipelines.reference import load_communes

    return partial(event_batches, communes=load_communes())


# The streaming form of each whole-file reader, as `read_grants.batches` (pipelines.ingest: a
# source's files are read whole in a pool when all are small, else streamed in batches here)
read_organisations.batches = organisation_batches
read_jobs.batches = job_batches
read_payments.batches = payment_batches

__all__ = [
    "CommuneIndex",
    "build_commune_index",
    "event_batches",
    "event_batches_reader",
    "event_match_key",
    "events_csv_batches",
    "events_ics_batches",
    "events_reader",
    "job_batches",
    "organisation_batches",
    "payment_batches",
    "read_events",
    "read_events_csv",
    "read_events_ics",
    "read_jobs",
    "read_organisations",
    "read_payments",
    "resolve_commune",
]
