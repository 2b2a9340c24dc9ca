"""The two ways to run the graph from Dagster: everything, or one year of the yearly sources."""

import dagster as dg

from pipelines.defs.partitions import YEARS
from pipelines.sources.registry import SOURCES

# Everything, without a partition key: the same full refresh as `solidarity materialize`.
rebuild = dg.define_asset_job(
    "rebuild",
    # the IATI registry as context (group context, docs/context.md) has its own jobs and sensor
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("context"),
    description="Full refresh: every source, table, check and the serving snapshot.",
)

# Pick a year in the launchpad (or backfill several): the yearly sources replace that
# year's rows only, then everything downstream is rebuilt from the whole raw tables.
reload_year = dg.define_asset_job(
    "reload_year",
    # the yearly sources of the registry (pipelines/sources/registry.py): today grants and events
    selection=dg.AssetSelection.assets(*(s.key for s in SOURCES if s.yearly)).downstream(),
    partitions_def=YEARS,
    description="Re-read the grants and events files for one year (or a range) and replace "
    "only that year's rows, then rebuild what depends on them.",
)
