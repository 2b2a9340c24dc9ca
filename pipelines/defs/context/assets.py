"""The IATI registry as context (issue 19, docs/context.md), as Dagster assets:

- `context/registry_files`, one dynamic partition per publisher file of the dump (`<publisher>/<file>`):
  reads that file into the context layer's Parquet with `pipelines.context` (same reader, same
  manifest: a file whose sha256 is the one recorded is not read again);
- the context models (sql/models/context/, dbt tag `context`): money by country × DAC category × year ×
  organisation type, top funders, the region's share. The main `warehouse_models` excludes them, and
  `pipelines.definitions.ALL_ASSETS` (what `solidarity materialize` runs) leaves this folder out, so
  the pipeline never needs a dump; with no context read, this step builds nothing and says so.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.context.dump import MANIFEST, drop_removed, read_one
from pipelines.context.provenance import SOURCE_TABLE, record_source
from pipelines.dbt_project import DBT_PROJECT
from pipelines.defs.context.partitions import REGISTRY_FILES
from pipelines.defs.context.resources import CONTEXT_ENV, RegistryDump
from pipelines.defs.context.translator import REGISTRY_FILES_KEY, ContextTranslator
from pipelines.defs.models.build import dbt_build
from pipelines.defs.models.translator import OWNERS

CONTEXT_TAG = "tag:context"
READ_STATUSES = ("read", "not_activity")  # an organisation file is not an activity file: no rows, no fault


@dg.asset(
    key=REGISTRY_FILES_KEY,
    partitions_def=REGISTRY_FILES,
    group_name="context",
    owners=OWNERS,
    kinds={"parquet"},
    description="One publisher file of the IATI registry dump read into the context layer's Parquet "
    "(pipelines.context: the pipeline's own IATI reader, exact decimals; docs/context.md). A file whose "
    "sha256 is the one the manifest holds is not read again; a refused file keeps no rows.",
    check_specs=[dg.AssetCheckSpec(
        "file_read", asset=REGISTRY_FILES_KEY,
        description="The reader accepted the file (a refused one, malformed or truncated, adds no rows)."
    )],
)
def registry_files(context, registry_dump: RegistryDump) -> dg.MaterializeResult:  # `context` unannotated: Dagster cannot check string hints
    relpath = context.partition_key
    entry = read_one(registry_dump.dump_dir, registry_dump.context_dir, relpath)
    status = entry["status"]
    metadata = {
        "status": dg.MetadataValue.text(status),
        "sha256": dg.MetadataValue.text(entry["sha256"]),
        "bytes": dg.MetadataValue.int(entry["bytes"]),
    }
    if status != "skipped":
        metadata |= {
            "reason": dg.MetadataValue.text(entry.get("reason") or ""),
            "rows_read": dg.MetadataValue.int(entry.get("rows_read", 0)),
            "rows_accepted": dg.MetadataValue.int(entry.get("rows_accepted", 0)),
            "rows_rejected": dg.MetadataValue.int(entry.get("rows_rejected", 0)),
            "transactions": dg.MetadataValue.int(entry.get("rows", {}).get("transactions", 0)),
        }
    return dg.MaterializeResult(
        metadata=metadata,
        # same bytes, same version: what reads this file need not rebuild
        data_version=dg.DataVersion(entry["sha256"]),
        check_results=[dg.AssetCheckResult(
            check_name="file_read", passed=status in (*READ_STATUSES, "skipped"),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"status": status, "reason": entry.get("reason") or ""},
        )],
    )


def has_context(context_dir: Path) -> bool:
    return (context_dir / MANIFEST).exists() and any((context_dir / "transactions").glob("*/*/*.parquet"))


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, select=CONTEXT_TAG,
    dagster_dbt_translator=ContextTranslator(), name="context_models",
)
def context_models(context, dbt: DbtCliResource, warehouse: DuckDBResource, registry_dump: RegistryDump):
    context_dir = Path(registry_dump.context_dir).resolve()
    with contextlib.suppress(FileNotFoundError):  # no dump folder: what was read stays as it is
        for gone in drop_removed(registry_dump.dump_dir, context_dir):
            context.log.info(f"{gone}: no longer in the dump, its rows dropped")
    if not has_context(context_dir):
        context.log.warning(f"no context layer read at {context_dir}: the context models are not built")
        return
    yield from dbt_build(context, dbt, warehouse, env={CONTEXT_ENV: str(context_dir)})
    # what the marts were built from, published beside them (pipelines/context/provenance.py)
    with warehouse.get_connection() as conn:
        source = record_source(conn, context_dir).row(0, named=True)
    context.log.info(f"context.{SOURCE_TABLE}: {source['files']} files of {source['publishers']} publishers "
                     f"read from {source['dump_dir']} at {source['read_at']}"
                     + (" (generated sample dump)" if source["is_sample"] else ""))
