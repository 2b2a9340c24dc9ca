"""What a built model's materialisation says of its table: row count, columns as built, preview.

dagster-dbt reports dbt's run results; these are read from the warehouse itself once dbt has
released it (DuckDB admits one writing process), and added to each model's event: the asset's
Columns tab then gives each column's type as built beside its meaning from the .yml.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dagster as dg
import duckdb

from pipelines.warehouse import preview_markdown, table_rows


def table_metadata(conn: duckdb.DuckDBPyConnection, layer: str, name: str,
                   meanings: Mapping[str, str | None]) -> dict[str, Any]:
    columns = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = $layer and table_name = $name order by ordinal_position",
        {"layer": layer, "name": name},
    ).fetchall()
    return {
        "dagster/row_count": dg.MetadataValue.int(table_rows(conn, f"{layer}.{name}")),
        "preview": dg.MetadataValue.md(preview_markdown(conn, f"{layer}.{name}")),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=c, type=t, description=meanings.get(c)) for c, t in columns]
        ),
    }


def column_meanings(spec: dg.AssetSpec) -> dict[str, str | None]:
    """The columns' meanings dagster-dbt read from the model's .yml, by column name."""
    schema = spec.metadata.get("dagster/column_schema")
    schema = getattr(schema, "schema", schema)
    return {c.name: c.description for c in getattr(schema, "columns", [])}


def with_table_metadata(conn: duckdb.DuckDBPyConnection, events: Iterable[Any],
                        assets_def: dg.AssetsDefinition) -> Iterator[Any]:
    """Each model's Output (or materialisation) with its table's metadata added; other events as they are."""
    specs = assets_def.specs_by_key
    for event in events:
        key = getattr(event, "asset_key", None)
        if isinstance(event, dg.Output):
            key = assets_def.keys_by_output_name.get(event.output_name)
        if isinstance(event, (dg.Output, dg.AssetMaterialization)) and key is not None and len(key.path) == 2:
            layer, name = key.path
            exists = conn.execute(
                "select count(*) from information_schema.tables where table_schema = $l and table_name = $n",
                {"l": layer, "n": name},
            ).fetchall()[0][0]
            if exists:
                event = event.with_metadata({**event.metadata, **table_metadata(conn, layer, name, column_meanings(specs[key]) if key in specs else {})})
        yield event
