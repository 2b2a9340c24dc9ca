"""The data dictionary: every column of every table in the serving snapshot, with its type,
meaning, unit and the file that makes it.

Types and the list of columns come from the snapshot itself (DuckDB's information_schema),
so the dictionary cannot drift from the data; meanings and units come from the dbt project's
.yml (each mart's beside it, the reference and load-record tables' in `sql/models/sources/`,
meanings several tables share as docs blocks in `sql/models/columns.md`), read rendered from
dbt's manifest by `column_meanings`, and `tests/test_marts_checks.py` fails when a published column
has no meaning there. The publish step writes it into the snapshot as table
`data_dictionary`; `python -m pipelines.dictionary SNAPSHOT [--out docs/data-dictionary.md]`
renders it as Markdown (the docs copy is checked to be up to date by the tests).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

import duckdb
import polars as pl

from pipelines.settings import SQL_DIR

UNDOCUMENTED = "(not documented)"
# the registry context's marts (docs/context.md), published when the warehouse holds them
CONTEXT_MARTS_DIR = "models/context/marts/"

REFERENCE_SOURCES = {"targets": "data/config/targets.toml"}
PUBLISH_SOURCE = "pipelines/publish.py"
DICTIONARY_TABLE = "data_dictionary"

# dbt's manifest (`python -m pipelines.dbt_project` prepares it): columns' descriptions, doc()
# blocks rendered, and units (`meta: {unit: ...}`) of every model and source
MANIFEST = SQL_DIR / "target" / "manifest.json"
# the dbt sources pipelines/publish.py copies into the snapshot, and the name it gives them there
PUBLISHED_SOURCES = {"ref": {}, "quality": {"file_loads": "manifest"}}
# Columns Python writes, not dbt, so no dbt .yml can hold them: those pipelines/publish.py adds
# to the load records (quality.file_loads) in `manifest`, and this dictionary's own.
WRITTEN_BY_PYTHON: dict[tuple[str, str], tuple[str, str | None]] = {
    ("manifest", "built_at"): ("When the snapshot was built (UTC)", "timestamp"),
    ("manifest", "code_version"): ("Git commit of the code that built it", None),
    ("manifest", "snapshot_version"): ("Hash of the code, SQL and input files: same inputs, same version", None),
    ("manifest", "is_sample"): ("True when built from the generated sample data, not real files", "boolean"),
    # the registry context's provenance (pipelines/context/provenance.py), published with its marts
    ("context_source", "context_dir"): ("Name of the folder the context layer was read into", None),
    ("context_source", "dump_dir"): ("Name of the IATI registry dump folder it was read from", None),
    ("context_source", "files"): ("Activity files read", "count"),
    ("context_source", "publishers"): ("Publishers whose files were read", "count"),
    ("context_source", "activities"): ("Activities accepted by the IATI reader", "count"),
    ("context_source", "activities_rejected"): ("Activities the IATI reader rejected (reasons in the layer)", "count"),
    ("context_source", "read_at"): ("When the dump was last read (UTC)", "timestamp"),
    ("context_source", "is_sample"): ("True when the dump was generated (`solidarity sample --registry`)", "boolean"),
    ("context_source", "manifest_sha256"): ("sha256 of the context layer's manifest.json", None),
    (DICTIONARY_TABLE, "table_name"): ("Table of the snapshot", None),
    (DICTIONARY_TABLE, "column_name"): ("Column of that table", None),
    (DICTIONARY_TABLE, "position"): ("Position of the column in the table", None),
    (DICTIONARY_TABLE, "data_type"): ("DuckDB type of the column", None),
    (DICTIONARY_TABLE, "meaning"): ("What the column holds", None),
    (DICTIONARY_TABLE, "unit"): ("Unit of the values (EUR, count, code, date...)", None),
    (DICTIONARY_TABLE, "source"): ("The file that makes the table", None),
}


def column_meanings(manifest: Path = MANIFEST) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(snapshot table, column) -> (meaning, unit): the columns of the marts and published dbt
    sources as dbt's manifest gives them, and `WRITTEN_BY_PYTHON`."""
    return _read_meanings(manifest, manifest.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _read_meanings(manifest: Path, _mtime_ns: int) -> dict[tuple[str, str], tuple[str, str | None]]:
    parsed = json.loads(manifest.read_text(encoding="utf-8"))
    tables = [(n["name"], n) for n in parsed["nodes"].values()
              if n["resource_type"] == "model" and (n["config"].get("schema") == "marts"
                                                    or n["original_file_path"].startswith(CONTEXT_MARTS_DIR))]
    tables += [(PUBLISHED_SOURCES[s["source_name"]].get(s["name"], s["name"]), s)
               for s in parsed["sources"].values() if s["source_name"] in PUBLISHED_SOURCES]
    meanings = {(table, c["name"]): (c["description"], c["meta"].get("unit"))
                for table, node in tables for c in node["columns"].values() if c["description"]}
    return meanings | WRITTEN_BY_PYTHON


def describe(table: str, column: str) -> tuple[str, str | None]:
    return column_meanings().get((table, column), (UNDOCUMENTED, None))


def source_of(table: str) -> str:
    for folder in ("models/marts/", CONTEXT_MARTS_DIR):
        if (SQL_DIR / folder / f"{table}.sql").exists():
            return f"sql/{folder}{table}.sql"
    if table == "context_source":
        return "pipelines/context/provenance.py"
    if table in REFERENCE_SOURCES:
        return REFERENCE_SOURCES[table]
    if (SQL_DIR.parent / "data" / "reference" / f"{table}.csv").exists():
        return f"data/reference/{table}.csv"
    return PUBLISH_SOURCE


def build_dictionary(conn: duckdb.DuckDBPyConnection, catalog: str) -> pl.DataFrame:
    """One row per column of every table in `catalog` (an attached snapshot), itself included."""
    columns = conn.execute(
        """
        select table_name, column_name, data_type, ordinal_position
        from information_schema.columns
        where table_catalog = $catalog and table_schema = 'main'
        order by table_name, ordinal_position
        """,
        {"catalog": catalog},
    ).fetchall()
    rows = [(t, c, ty, pos) for t, c, ty, pos in columns if t != DICTIONARY_TABLE]
    self_columns = ("table_name", "column_name", "position", "data_type", "meaning", "unit", "source")
    rows += [(DICTIONARY_TABLE, c, "INTEGER" if c == "position" else "VARCHAR", i)
             for i, c in enumerate(self_columns, start=1)]
    records = []
    for table, column, data_type, position in rows:
        meaning, unit = describe(table, column)
        records.append((table, column, int(position), data_type, meaning, unit, source_of(table)))
    return pl.DataFrame(records, schema={c: (pl.Int32 if c == "position" else pl.String) for c in self_columns},
                        orient="row")


def write_dictionary(conn: duckdb.DuckDBPyConnection, catalog: str) -> int:
    """Create `{catalog}.main.data_dictionary`; return its number of rows."""
    frame = build_dictionary(conn, catalog)
    conn.register("_data_dictionary", frame.to_arrow())
    try:
        conn.execute(f"create table {catalog}.main.{DICTIONARY_TABLE} as select * from _data_dictionary")
    finally:
        conn.unregister("_data_dictionary")
    return frame.height


def render_markdown(frame: pl.DataFrame) -> str:
    lines = [
        "# Data dictionary",
        "",
        "Every table and column of the serving snapshot (and of the downloads made from it).",
        "Generated from the snapshot's table `data_dictionary`: do not edit by hand, run",
        "`python -m pipelines.dictionary SNAPSHOT --out docs/data-dictionary.md`.",
        "Meanings live in the dbt project's .yml (`sql/models/`; shared ones in `sql/models/columns.md`);",
        "money rules in `docs/money-rules.md`.",
    ]
    for table in frame["table_name"].unique(maintain_order=True).to_list():
        part = frame.filter(pl.col("table_name") == table).sort("position")
        lines += ["", f"## `{table}`", "", f"Made by `{part['source'][0]}`.", "",
                  "| column | type | unit | meaning |", "|---|---|---|---|"]
        for row in part.iter_rows(named=True):
            meaning = row["meaning"].replace("|", "\\|")
            lines.append(f"| `{row['column_name']}` | {row['data_type']} | {row['unit'] or ''} | {meaning} |")
    return "\n".join(lines) + "\n"


def read_dictionary(snapshot: Path) -> pl.DataFrame:
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        return conn.sql(f"select * from {DICTIONARY_TABLE} order by table_name, position").pl()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the snapshot's data dictionary as Markdown.")
    parser.add_argument("snapshot", type=Path, help="serving snapshot (.duckdb)")
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    text = render_markdown(read_dictionary(args.snapshot))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
