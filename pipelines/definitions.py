"""The one Dagster `Definitions` of the project; `workspace.yaml` points `dagster dev` here.

Everything under `pipelines/defs/` is found by `dg.load_from_defs_folder`: assets,
checks, jobs, schedules and sensors defined at module level in any file there. Adding
a source is adding a folder (`docs/adding-a-source.md`); nothing to register here.
"""

from pathlib import Path

import dagster as dg

from pipelines.resources import build_resources

_found = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)

ALL_ASSETS = list(_found.assets or [])
ALL_CHECKS = list(_found.asset_checks or [])

defs = dg.Definitions.merge(
    _found,
    dg.Definitions(
        resources=build_resources(),
        # one DuckDB writer at a time: steps run in the launching process (docs/scale-out.md)
        executor=dg.in_process_executor,
    ),
)
