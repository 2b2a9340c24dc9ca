"""Write the serving snapshot: public marts, reference tables, manifest, data quality.

The snapshot is written to a new file beside the served one, closed, flushed to disk
and swapped in with one `os.replace`, so a reader sees the old snapshot or the new
one, never a partial file. The dashboard only ever opens this file, read-only.
"""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from pipelines.dictionary import write_dictionary
from pipelines.privacy import PrivacyLeak, natural_person_leaks
from pipelines.dbt_project import project_files
from pipelines.settings import CONTEXT_MARTS, CONTEXT_SOURCE, PROJECT_ROOT, SQL_DIR
from pipelines.sources.registry import SOURCES

# What the public may see: every mart in sql/models/marts/, so a new mart reaches the snapshot
# with no list to edit, except the private ones named here (kept in the warehouse).
# Staging tables (with names of natural persons) never leave the warehouse; rejected
# rows keep their reason but not values of identifying fields.
PRIVATE_MARTS: frozenset[str] = frozenset()
# In the snapshot but served only behind the analyst login (dashboard/analyst.py), never as a
# public download or embed: grant-level lists an analyst works from.
ANALYST_MARTS: frozenset[str] = frozenset({"publication_gaps", "link_review"})
SNAPSHOT_MARTS = tuple(sorted(p.stem for p in (SQL_DIR / "models" / "marts").glob("*.sql") if p.stem not in PRIVATE_MARTS))
# consumer_prices: the dashboard's constant euros (docs/money-rules.md) read it from the snapshot
SNAPSHOT_REFERENCE = ("countries", "dac_sectors", "dac_categories", "iati_regions", "departements", "regions", "targets",
                      "consumer_prices")
# The context marts (`settings.CONTEXT_MARTS`, docs/context.md): other publishers' money from the IATI
# registry, organisations' published data naming no natural person (the privacy scan below checks all
# the same). Published when the warehouse holds all of them (the `context_marts` job built them), with
# `context_source` (pipelines/context/provenance.py: which dump, read when, sample or not) and a manifest
# row (source `context`) whose sha256 is the context manifest's, so the snapshot's version follows it.

IDENTIFYING_FIELDS = ("nomBeneficiaire", "beneficiaire_nom", "idBeneficiaire", "beneficiaire_id", "objet",
                      "nom", "organiser_name", "nom_organisateur", "title", "titre", "SUMMARY", "ORGANIZER",
                      "siret_beneficiaire")  # a payment's beneficiary: a sole trader's SIRET names a person


# Codes the reference tables do not know (warnings on accepted rows, staging.unknown_codes)
# are explained beside the readers' problems; absent when only part of the graph was built.
_UNKNOWN_CODES = """
                union all
                select source, source_file, source_row, field, value, reason, severity
                from staging.unknown_codes"""


def _has_table(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(conn.execute(
        "select count(*) from information_schema.tables where table_schema = $schema and table_name = $name",
        {"schema": schema, "name": name},
    ).fetchall()[0][0])


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def snapshot_version(file_hashes: list[str], code: str) -> str:
    """Same inputs and code → same version: what ETags and caches key on."""
    digest = hashlib.sha256(code.encode())
    for model in sorted(project_files()):  # the dbt project as written, not its compiled target
        digest.update(model.read_bytes())
    for h in sorted(file_hashes):
        digest.update(h.encode())
    return digest.hexdigest()[:16]


_FOLDERS = [f"{s.name}/" for s in SOURCES]
NOT_READ = (f"not read: not in a source folder ({', '.join(_FOLDERS[:-1])} or {_FOLDERS[-1]}, "
            "directly); move it there to have it read")


def publish_snapshot(
    warehouse: duckdb.DuckDBPyConnection, serving_path: Path, is_sample: bool,
    unread: list[tuple[str, Path]] = (),
) -> dict[str, object]:
    """`unread`: (folder, path relative to the raw folder) of the files no source read; each
    gets a manifest row with zero rows and the reason, so none is skipped silently."""
    serving_path = Path(serving_path)
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    loads = warehouse.sql("select * from quality.file_loads order by source, source_file").pl()
    if unread:
        loads = pl.concat([loads, pl.DataFrame(
            [{"source": folder, "source_file": relative.as_posix(), "sha256": None, "size_bytes": None,
              "modified_at": None, "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0, "error": NOT_READ}
             for folder, relative in unread], schema=loads.schema)])
    context = context_published(warehouse)
    if context is not None:
        loads = pl.concat([loads, context_load_row(context, loads.schema)])
    code = code_version()
    version = snapshot_version([h for h in loads["sha256"].to_list() if h], code)
    built_at = datetime.now(timezone.utc).replace(microsecond=0)
    manifest = loads.select(
        pl.lit(built_at).alias("built_at"),
        pl.lit(code).alias("code_version"),
        pl.lit(version).alias("snapshot_version"),
        pl.lit(is_sample).alias("is_sample"),
        "source", "source_file", "sha256", "size_bytes", "modified_at",
        "rows_read", "rows_accepted", "rows_rejected", "error",
    )
    if manifest.is_empty():
        manifest = pl.DataFrame(
            {"built_at": [built_at], "code_version": [code], "snapshot_version": [version],
             "is_sample": [is_sample]}
        )

    remove_stale_temps(serving_path)
    tmp = serving_path.with_name(f".{serving_path.name}.{uuid.uuid4().hex}.tmp")
    alias = "snapshot"
    warehouse.execute(f"attach '{_quoted(tmp)}' as {alias}")
    try:
        for mart in SNAPSHOT_MARTS:
            warehouse.execute(f"create table {alias}.main.{mart} as select * from marts.{mart}")
        for ref in SNAPSHOT_REFERENCE:
            warehouse.execute(f"create table {alias}.main.{ref} as select * from ref.{ref}")
        if context is not None:
            for mart in (*CONTEXT_MARTS, CONTEXT_SOURCE):
                warehouse.execute(f"create table {alias}.main.{mart} as select * from context.{mart}")
        warehouse.execute(
            f"""
            create table {alias}.main.rejected_rows as
            with problems as (
                select source, source_file, source_row, field, value, reason, severity
                from quality.rejected_rows
                {_UNKNOWN_CODES if _has_table(warehouse, "staging", "unknown_codes") else ""}
            )
            select source, source_file, source_row, field,
                   case when field in $identifying then '(masqué)' else value end as value,
                   -- a reason may echo the value ("siret_cleaned: read as 1234…"): keep its code only
                   case when field in $identifying
                        then regexp_replace(split_part(reason, ':', 1), '[0-9]{9,}', '(masqué)', 'g')
                        else reason end as reason,
                   severity
            from problems
            """,
            {"identifying": list(IDENTIFYING_FIELDS)},
        )
        warehouse.register("_manifest", manifest.to_arrow())
        warehouse.execute(f"create table {alias}.main.manifest as select * from _manifest")
        warehouse.unregister("_manifest")
        write_dictionary(warehouse, alias)  # last: it describes every table above
        leaks = natural_person_leaks(warehouse, alias)
    finally:
        warehouse.execute(f"detach {alias}")
    if not leaks.is_empty():
        tmp.unlink(missing_ok=True)
        where = ", ".join(f"{r['table']}.{r['column']}" for r in leaks.iter_rows(named=True))
        raise PrivacyLeak(f"natural persons would be named in {where}: snapshot not published")
    _fsync(tmp)
    os.replace(tmp, serving_path)
    _fsync(serving_path.parent)
    return {"snapshot_version": version, "built_at": built_at.isoformat(), "code_version": code,
            "path": str(serving_path), "size_bytes": serving_path.stat().st_size}


def context_published(warehouse: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """The context's source row when the warehouse holds every context mart and it, else None
    (no context built: the snapshot is as it always was)."""
    if not all(_has_table(warehouse, "context", t) for t in (*CONTEXT_MARTS, CONTEXT_SOURCE)):
        return None
    return warehouse.sql(f"select * from context.{CONTEXT_SOURCE}").pl()


def context_load_row(context: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """The manifest's row of the context: its manifest file, hash, when read, activities."""
    row = context.row(0, named=True)
    return pl.DataFrame([{
        "source": "context", "source_file": "manifest.json",  # relative to the context folder, as every source_file
        "sha256": row["manifest_sha256"], "size_bytes": None, "modified_at": row["read_at"],
        "rows_read": row["activities"] + row["activities_rejected"], "rows_accepted": row["activities"],
        "rows_rejected": row["activities_rejected"], "error": None,
    }]).cast({k: v for k, v in schema.items()}, strict=False).select(list(schema))


def remove_stale_temps(serving_path: Path) -> list[Path]:
    """Delete temp snapshots (`.<name>.<hex>.tmp`, and DuckDB's `.wal` beside one) left
    by a run killed mid-publish. They were never served, only take disk. Safe because
    one publisher runs at a time per warehouse: it holds the warehouse's run lock
    (`pipelines/operations.py`). Two warehouses publishing one serving file are not
    serialised: configure one warehouse per serving file."""
    stale = sorted(serving_path.parent.glob(f".{glob.escape(serving_path.name)}.*.tmp*"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
