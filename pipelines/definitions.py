"""The one Dagster `Definitions` of the project; `workspace.yaml` points `dagster dev` here.

Everything under `pipelines/defs/` is found by `dg.load_from_defs_folder`: assets,
checks, jobs, schedules and sensors defined at module level in any file there. Adding
a source is one entry in `pipelines/sources/registry.py` (`docs/adding-a-source.md`).
"""

from pathlib import Path

import dagster as dg

from pipelines.defs.context.resources import registry_dump
from pipelines.resources import build_resources

# The IATI registry as context (pipelines/defs/context, docs/context.md): in the graph, with its own
# jobs and sensor, but never in ALL_ASSETS, what `solidarity materialize` runs: the pipeline needs no dump.
CONTEXT_GROUP = "context"


def _in_context(assets_def) -> bool:
    return all(spec.group_name == CONTEXT_GROUP for spec in assets_def.specs)


def _load() -> tuple[dg.Definitions, list, list]:
    # kept inside a function: Dagster refuses a module with two Definitions at top level
    found = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    merged = dg.Definitions.merge(
        found,
        dg.Definitions(
            resources={**build_resources(), "registry_dump": registry_dump()},
            # one DuckDB writer at a time: steps run in the launching process (docs/scale-out.md)
            executor=dg.in_process_executor,
        ),
    )
    assets = [a for a in found.assets or [] if not _in_context(a)]
    return merged, assets, list(found.asset_checks or [])


defs, ALL_ASSETS, ALL_CHECKS = _load()
