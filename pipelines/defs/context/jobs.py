"""The two runs of the context layer (docs/context.md, "Dagster"):

- `context_files`: read one publisher file (a partition of context/registry_files), or a backfill of many.
  Multiprocess executor: the step runs in a process of its own, so a reader crash on a hostile file
  fails that run only; a backfill launches one run per file, as many at once as the instance's run
  queue allows (locally `max_concurrent_runs`; on a cluster the k8s run launcher or executor gives
  each its pod). Runs never write the warehouse, only Parquet parts and, under a lock, the manifest.
- `context_marts`: the context models, in the warehouse, in process (one DuckDB writer at a time), then
  the serving snapshot and its exports published again (group `publish`), so the dashboard's "Autres
  bailleurs" shows the new context at once, not after the next `materialize`. One run, one warehouse
  lock (pipelines/resources.py `Warehouse`): no other run writes between the marts and their publication.
"""

import dagster as dg

from pipelines.defs.context.translator import REGISTRY_FILES_KEY

FILES = dg.AssetSelection.assets(REGISTRY_FILES_KEY)
MODELS = dg.AssetSelection.groups("context") - FILES
PUBLISH = dg.AssetSelection.assets(dg.AssetKey(["publish", "serving_snapshot"]), dg.AssetKey(["publish", "exports"]))

context_files = dg.define_asset_job(
    "context_files",
    selection=FILES,
    executor_def=dg.multiprocess_executor,
    # the run queue can let more of these run at once than warehouse writers (docs/context.md)
    tags={"solidarity/context": "files"},
    description="Read registry dump files (one partition each) into the context layer's Parquet; "
    "an unchanged file (same sha256) is not read again.",
)

context_marts = dg.define_asset_job(
    "context_marts",
    selection=MODELS | PUBLISH,
    executor_def=dg.in_process_executor,
    description="Build the context models (money by country × DAC category × year × organisation type, "
    "top funders, the region's share) from the context layer's Parquet, then publish the serving "
    "snapshot (and its exports) with them.",
)
