"""The one Dagster `Definitions` of the project; `workspace.yaml` points `dagster dev` here."""

import dagster as dg

from pipelines.defs.grants.assets import raw_grants
from pipelines.defs.local_impact.assets import raw_events, raw_jobs, raw_organisations
from pipelines.defs.marts.assets import mart_assets, staging_assets
from pipelines.defs.marts.checks import checks
from pipelines.defs.projects.assets import raw_iati
from pipelines.defs.publish.assets import serving_snapshot
from pipelines.defs.reference.assets import reference_tables
from pipelines.resources import build_resources

ALL_ASSETS = [
    reference_tables,
    raw_grants,
    raw_iati,
    raw_organisations,
    raw_jobs,
    raw_events,
    *staging_assets,
    *mart_assets,
    serving_snapshot,
]
ALL_CHECKS = checks

defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    resources=build_resources(),
    # one DuckDB writer at a time: steps run in the launching process
    executor=dg.in_process_executor,
)
