"""Publish: copy the checked marts into a fresh serving snapshot and swap it in."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.factories import OWNERS
from pipelines.publish import SNAPSHOT_MARTS, publish_snapshot
from pipelines.resources import RawFiles, ServingSnapshot


@dg.asset(
    key=dg.AssetKey(["publish", "serving_snapshot"]),
    group_name="publish",
    kinds={"duckdb"},
    owners=OWNERS,
    description="The read-only DuckDB file the dashboard and embeds serve: public marts, "
    "reference tables, manifest (source files, hashes, row counts) and data quality. "
    "Written beside the old one and swapped in atomically; blocking checks on the "
    "marts must pass first.",
    deps=[["marts", m] for m in SNAPSHOT_MARTS],
)
def serving_snapshot(
    warehouse: DuckDBResource, serving: ServingSnapshot, raw_files: RawFiles
) -> dg.MaterializeResult:
    with warehouse.get_connection() as conn:
        read = set(conn.execute("select source, source_file from quality.file_loads").fetchall())
        info = publish_snapshot(conn, serving.path, is_sample=raw_files.is_sample,
                                unread=raw_files.unread(read))
    return dg.MaterializeResult(
        metadata={
            "snapshot_version": info["snapshot_version"],
            "built_at": info["built_at"],
            "code_version": info["code_version"],
            "is_sample": raw_files.is_sample,
            "path": dg.MetadataValue.path(info["path"]),
            "size_bytes": dg.MetadataValue.int(info["size_bytes"]),
        }
    )
