"""The data dictionary: every column of every table in the serving snapshot, with its type,
meaning, unit and the file that makes it.

Types and the list of columns come from the snapshot itself (DuckDB's information_schema),
so the dictionary cannot drift from the data; meanings and units come from
`pipelines.column_meanings.COLUMNS`, and `tests/test_marts.py` fails when a published column
has no meaning there. The publish step writes it into the snapshot as table
`data_dictionary`; `python -m pipelines.dictionary SNAPSHOT [--out docs/data-dictionary.md]`
renders it as Markdown (the docs copy is checked to be up to date by the tests).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import polars as pl

from pipelines.column_meanings import COLUMNS
from pipelines.settings import SQL_DIR

UNDOCUMENTED = "(not documented)"

REFERENCE_SOURCES = {"targets": "data/config/targets.toml"}
PUBLISH_SOURCE = "pipelines/publish.py"
DICTIONARY_TABLE = "data_dictionary"


def describe(table: str, column: str) -> tuple[str, str | None]:
    return COLUMNS.get(f"{table}.{column}") or COLUMNS.get(column) or (UNDOCUMENTED, None)


def source_of(table: str) -> str:
    if (SQL_DIR / "marts" / f"{table}.sql").exists():
        return f"sql/marts/{table}.sql"
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
        "Meanings live in `pipelines/column_meanings.py`; money rules in `docs/money-rules.md`.",
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
