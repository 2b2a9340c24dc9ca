"""Local impact: the organisations directory, jobs, and awareness-campaign events."""

from functools import partial

from pipelines.defs.factories import ingest_asset
from pipelines.sources.contracts import EVENT_TABLES, JOB_TABLES, ORGANISATION_TABLES


def _organisations_reader():
    from pipelines.sources.local import read_organisations

    return read_organisations


def _jobs_reader():
    from pipelines.sources.local import read_jobs

    return read_jobs


def _events_reader():
    # ICS locations are free text: the communes table lets the reader place them
    from pipelines.reference import load_communes
    from pipelines.sources.local import read_events

    return partial(read_events, communes=load_communes())


raw_organisations = ingest_asset(
    source="organisations",
    suffixes=(".csv",),
    reader=_organisations_reader,
    tables=ORGANISATION_TABLES,
    group="local_impact",
    description="Organisations directory keyed by SIRET (data/schemas/organisations.schema.json).",
)

raw_jobs = ingest_asset(
    source="jobs",
    suffixes=(".csv",),
    reader=_jobs_reader,
    tables=JOB_TABLES,
    group="local_impact",
    description="Jobs linked to international solidarity, per organisation and year "
    "(data/schemas/jobs.schema.json).",
)

raw_events = ingest_asset(
    source="events",
    suffixes=(".csv", ".ics"),
    reader=_events_reader,
    tables=EVENT_TABLES,
    group="local_impact",
    # the campaign is yearly (every November): a year re-run replaces that year's events only
    yearly={"events": 'year("start")'},
    description="Awareness-campaign events from CSV and iCalendar agendas "
    "(data/schemas/events.schema.json); the same event in both counts once in staging.",
)
