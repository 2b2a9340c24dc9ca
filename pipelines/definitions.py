"""The one Dagster `Definitions` of the project; `workspace.yaml` points `dagster dev` here.

Everything under `pipelines/defs/` is found by `dg.load_from_defs_folder`: assets,
checks, jobs, schedules and sensors defined at module level in any file there. Adding
a source is one entry in `pipelines/sources/registry.py` (`docs/adding-a-source.md`).
"""

from pathlib import Path

import dagster as dg

from pipelines.resources import build_resources


def _load() -> tuple[dg.Definitions, list, list]:
    # kept inside a function: Dagster refuses a module with two Definitions at top level
    found = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    merged = dg.Definitions.merge(
        found,
        dg.Definitions(
            resources=build_resources(),
            # one DuckDB writer at a time: steps run in the launching process (docs/scale-out.md)
            executor=dg.in_process_executor,
        ),
    )
    return merged, list(found.assets or []), list(found.asset_checks or [])


defs, ALL_ASSETS, ALL_CHECKS = _load()
