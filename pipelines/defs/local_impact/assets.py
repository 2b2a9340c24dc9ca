"""Local impact: the organisations directory, jobs, and awareness-campaign events."""

from pipelines.defs.factories import ingest_asset
from pipelines.sources.contracts import EVENT_TABLES, JOB_TABLES, ORGANISATION_TABLES
from pipelines.sources.local import events_reader, read_jobs, read_organisations

raw_organisations = ingest_asset(
    source="organisations",
    suffixes=(".csv",),
    reader=lambda: read_organisations,
    tables=ORGANISATION_TABLES,
    group="local_impact",
    description="Organisations directory keyed by SIRET (data/schemas/organisations.schema.json).",
)

raw_jobs = ingest_asset(
    source="jobs",
    suffixes=(".csv",),
    reader=lambda: read_jobs,
    tables=JOB_TABLES,
    group="local_impact",
    description="Jobs linked to international solidarity, per organisation and year "
    "(data/schemas/jobs.schema.json).",
)

raw_events = ingest_asset(
    source="events",
    suffixes=(".csv", ".ics"),
    reader=events_reader,
    tables=EVENT_TABLES,
    group="local_impact",
    # the campaign is yearly (every November): a year re-run replaces that year's events only
    yearly={"events": 'year("start")'},
    description="Awareness-campaign events from CSV and iCalendar agendas "
    "(data/schemas/events.schema.json); the same event in both counts once in staging.",
)
