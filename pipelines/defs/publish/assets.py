"""Publish: copy the checked marts into a fresh serving snapshot and swap it in."""

from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.defs.factories import OWNERS
from pipelines.export.published import write_exports
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


@dg.asset(
    key=dg.AssetKey(["publish", "exports"]),
    group_name="publish",
    kinds={"python", "csv", "xml"},
    owners=OWNERS,
    description="The region's open data, written once per snapshot beside it: its grants as SCDL "
    "`subventions` 2.1.1 (one CSV a year, natural persons unidentifiable) and its programme as an "
    "IATI 2.03 activity file, each validated (frictionless, the IATI XSD) with the report the "
    "dashboard's data page shows (docs/publishing.md).",
    deps=[["publish", "serving_snapshot"]],
)
def exports(warehouse: DuckDBResource, serving: ServingSnapshot) -> dg.MaterializeResult:
    with duckdb.connect(serving.path, read_only=True) as snap:
        version = snap.execute("select snapshot_version from manifest limit 1").fetchall()[0][0]
    with warehouse.get_connection() as conn:
        report = write_exports(conn, Path(serving.path), version)
    invalid = [f["file"] for f in report["files"] if f["validation"].get("ran") and not f["validation"].get("valid")]
    return dg.MaterializeResult(
        metadata={
            "snapshot_version": version,
            "files": dg.MetadataValue.int(len(report["files"])),
            "invalid_files": dg.MetadataValue.text(", ".join(invalid) or "none"),
        }
    )
