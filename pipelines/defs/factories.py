"""Asset factories: the same few shapes serve every source, SQL table and check.

- `ingest_asset`: a reader run over every file of one raw sub-folder, with an in-asset
  check that rows read = accepted + rejected.
- `sql_table_asset`: one `sql/<layer>/<name>.sql` file → one warehouse table.
- `sql_check`: one `sql/checks/<name>.sql` file returning the offending rows; no row
  means the check passes. Blocking checks stop the publish step.

Each asset's `code_version` is a short hash of the text that defines what it computes (its
SQL file, its reader's module), so the UI marks an asset whose model or reader changed
since its last materialisation. Tables and checks rebuild when an upstream updates
(`pipelines/defs/automation/conditions.py`) once the automation sensor is on.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.automation.conditions import REBUILD_WHEN_UPSTREAM_UPDATES
from pipelines.defs.partitions import YEARS, partition_years, replace_years, rows_in_years
from pipelines.ingest import Reader, ingest_source
from pipelines.resources import RawFiles
from pipelines.settings import SQL_DIR
from pipelines.warehouse import build_table, ensure_layers, markdown_table, preview_markdown

OWNERS = ["team:data"]


def code_version(text: str) -> str:
    """What Dagster compares to say "code changed": 12 hex digits of the text's sha256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def reader_module_file(reader: Callable[[], Reader]) -> Path:
    """The file of the module the reader function lives in, found without calling `reader`
    (building a reader may load a reference table, too slow for definition time):

    - a registry source's `load_reader` (a bound method of a `pipelines.sources.registry.Source`):
      the function its "module:function" name gives, imported but not called (a facade module
      re-exporting it is not where it lives); for a "module:factory()" name, the factory's;
    - a lambda returning the reader function (`lambda: read_grants`): that function's module;
    - any other function is a factory that lives beside the reader it builds: its own module.
    """
    named = getattr(getattr(reader, "__self__", None), "reader", None)
    if isinstance(named, str):
        module, _, function = named.removesuffix("()").partition(":")
        reader = getattr(importlib.import_module(module), function)
    elif getattr(reader, "__name__", "") == "<lambda>":
        found = inspect.getclosurevars(reader)
        functions = [v for v in {**found.nonlocals, **found.globals}.values() if callable(v)]
        if len(functions) != 1:
            raise ValueError(f"reader {reader!r} should name exactly one reader function")
        reader = functions[0]
    return Path(inspect.getsourcefile(inspect.unwrap(reader)) or "")


def ingest_asset(
    *,
    source: str,
    suffixes: tuple[str, ...],
    reader: Callable[[], Reader],
    tables: Mapping[str, Mapping[str, pl.DataType]],
    group: str,
    description: str,
    deps: Sequence[dg.CoercibleToAssetKey] = (),
    yearly: Mapping[str, str] | None = None,
) -> dg.AssetsDefinition:
    """`yearly` (raw table → SQL expression of a row's year) makes the asset partitioned
    by year: see `pipelines.defs.partitions`. Without it, every run reloads everything."""
    key = dg.AssetKey(["raw", source])

    @dg.asset(
        key=key,
        group_name=group,
        kinds={"python", "polars", "duckdb"},
        owners=OWNERS,
        description=description,
        deps=list(deps),
        partitions_def=YEARS if yearly else None,
        code_version=code_version(reader_module_file(reader).read_text(encoding="utf-8")),
        # a backfill of many years is one run, one read of the files
        backfill_policy=dg.BackfillPolicy.single_run() if yearly else None,
        check_specs=[
            dg.AssetCheckSpec(
                "rows_read_equal_accepted_plus_rejected",
                asset=key,
                blocking=True,
                description="Every row read is either accepted or in quality.rejected_rows.",
            )
        ],
    )
    def _ingest(
        context, raw_files: RawFiles, warehouse: DuckDBResource  # `context` unannotated: Dagster cannot check string hints
    ) -> dg.MaterializeResult:
        files = raw_files.files(source, suffixes)
        years = partition_years(context) if yearly else None
        extra: dict[str, dg.MetadataValue] = {}
        with warehouse.get_connection() as conn:
            if years is None:
                stats = ingest_source(conn, source, files, reader(), tables)
            else:
                stats = replace_years(conn, source, files, reader(), tables, yearly, years)
                table, expr = next(iter(yearly.items()))
                # a partition's row count is that year's rows, not the whole table's
                extra["dagster/row_count"] = dg.MetadataValue.int(rows_in_years(conn, table, expr, years))
            balance = conn.execute(
                """
                select sum(rows_read), sum(rows_accepted), sum(rows_rejected)
                from quality.file_loads where source = $source
                """,
                {"source": source},
            ).fetchall()[0]
            previews = {
                f"preview_{table}": dg.MetadataValue.md(preview_markdown(conn, f"raw.{table}"))
                for table in list(tables)[:1]
            }
        read, accepted, rejected = (int(v or 0) for v in balance)
        return dg.MaterializeResult(
            metadata={
                "files": dg.MetadataValue.int(stats["files"]),
                "files_refused": dg.MetadataValue.int(stats["files_refused"]),
                "rows_read": dg.MetadataValue.int(read),
                "rows_accepted": dg.MetadataValue.int(accepted),
                "rows_rejected": dg.MetadataValue.int(rejected),
                "dagster/row_count": dg.MetadataValue.int(accepted),
                **previews,
                **extra,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_read_equal_accepted_plus_rejected",
                    passed=read == accepted + rejected,
                    metadata={"read": read, "accepted": accepted, "rejected": rejected},
                )
            ],
        )

    return _ingest


def sql_table_asset(
    layer: str,
    name: str,
    *,
    deps: Sequence[dg.CoercibleToAssetKey],
    group: str,
    params: Callable[[], Mapping[str, object]] | None = None,
) -> dg.AssetsDefinition:
    path = SQL_DIR / layer / f"{name}.sql"
    description = _leading_comment(path)
    sql = path.read_text(encoding="utf-8")

    @dg.asset(
        key=dg.AssetKey([layer, name]),
        group_name=group,
        kinds={"sql", "duckdb"},
        owners=OWNERS,
        description=description,
        deps=list(deps),
        metadata={"sql_file": str(path.relative_to(SQL_DIR.parent))},
        code_version=code_version(sql),
        automation_condition=REBUILD_WHEN_UPSTREAM_UPDATES,
    )
    def _table(warehouse: DuckDBResource) -> dg.MaterializeResult:
        with warehouse.get_connection() as conn:
            rows = build_table(conn, layer, name, params() if params else None)
            preview = preview_markdown(conn, f"{layer}.{name}")
            columns = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = $layer and table_name = $name order by ordinal_position",
                {"layer": layer, "name": name},
            ).fetchall()
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(rows),
                "preview": dg.MetadataValue.md(preview),
                # the table's columns as built, shown in the asset's Columns tab
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(name=c, type=t) for c, t in columns]
                ),
            }
        )

    return _table


def sql_check(
    name: str, *, asset: dg.CoercibleToAssetKey, blocking: bool = True, deps: Sequence[dg.CoercibleToAssetKey] = ()
) -> dg.AssetChecksDefinition:
    path = SQL_DIR / "checks" / f"{name}.sql"
    query = path.read_text(encoding="utf-8")

    @dg.asset_check(
        asset=asset,
        name=name,
        blocking=blocking,
        description=_leading_comment(path),
        additional_deps=list(deps),
        automation_condition=REBUILD_WHEN_UPSTREAM_UPDATES,
    )
    def _check(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as conn:
            ensure_layers(conn)
            offending = conn.sql(query).pl()
        return dg.AssetCheckResult(
            passed=offending.is_empty(),
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "offending_rows": dg.MetadataValue.int(offending.height),
                "sample": dg.MetadataValue.md(markdown_table(offending.head(10))),
            },
        )

    return _check


def _leading_comment(path: Path) -> str:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines) or path.stem

