"""The nightly rebuild. Off by default (the demo runs on demand); switch it on in the
UI (Automation → nightly_rebuild) or with `dagster schedule start nightly_rebuild`."""

import dagster as dg

from pipelines import settings
from pipelines.defs.automation.jobs import rebuild

nightly_rebuild = dg.ScheduleDefinition(
    name="nightly_rebuild",
    job=rebuild,
    cron_schedule=settings.nightly_cron(),
    execution_timezone=settings.TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuild everything from the inbox every night (cron from SOLIDARITY_NIGHTLY_CRON, "
    "Europe/Paris), so a file the sensor missed is still picked up.",
)
