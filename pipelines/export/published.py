"""The exports published with each snapshot: the region's grants as SCDL (one file a year)
and its programme as IATI 2.03, each with its validation report, written once per snapshot
beside it (`exports/<snapshot version>/`), so the dashboard serves files, never builds them
per request (docs/publishing.md)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from pipelines.export.iati import export_iati
from pipelines.export.scdl import export_scdl
from pipelines.settings import export_duckdb_mb
from pipelines.warehouse import duckdb_settings

REPORT = "validation.json"
KEEP = 2  # snapshot versions kept: the one served and the one before (a request in flight)


def exports_dir(serving_path: Path) -> Path:
    return Path(serving_path).parent / "exports"


def write_exports(conn: duckdb.DuckDBPyConnection, serving_path: Path, version: str) -> dict:
    """Write every export for snapshot `version` from the warehouse `conn`; returns the report.
    DuckDB's memory is bounded meanwhile (`settings.export_duckdb_mb`), then set back."""
    with duckdb_settings(conn, {"memory_limit": f"{int(export_duckdb_mb())}MB"}):
        return _write_exports(conn, serving_path, version)


def _write_exports(conn: duckdb.DuckDBPyConnection, serving_path: Path, version: str) -> dict:
    root = exports_dir(serving_path)
    target = root / version
    partial = root / f".{version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    files = []
    years = [y for (y,) in conn.execute("select distinct year from staging.grants where year is not null "
                                        "order by year").fetchall()]
    for year in years:
        name = f"subventions_{year}.csv"
        report = export_scdl(conn, year, partial / name)
        files.append({"file": name, "standard": "SCDL subventions 2.1.1", "year": year, "rows": report.rows,
                      "total_eur": str(report.total), "missing_required": len(report.missing),
                      "natural_persons": report.natural_persons, "validation": report.validation,
                      "summary": report.summary_lines()})
    report = export_iati(conn, partial / "iati-activities.xml")
    files.append({"file": "iati-activities.xml", "standard": "IATI 2.03", "year": None,
                  "rows": report.activities, "transactions": report.transactions,
                  "validation": report.validation, "summary": report.summary_lines()})
    (partial / REPORT).write_text(json.dumps({"version": version, "files": files}, ensure_ascii=False,
                                             indent=1, default=str), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)  # the version's folder appears whole
    for old in sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime)[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return {"version": version, "files": files}


def read_report(serving_path: Path, version: str) -> dict | None:
    path = exports_dir(serving_path) / version / REPORT
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def export_file(serving_path: Path, version: str, name: str) -> Path | None:
    """The path of an export of that version, or None: names from the report only, never a path."""
    report = read_report(serving_path, version)
    if report is None or name not in {f["file"] for f in report["files"]} | {REPORT}:
        return None
    return exports_dir(serving_path) / version / name
