"""The raw assets' one shape: `ingest_asset`, a reader run over every file of one raw
sub-folder, with an in-asset check that rows read = accepted + rejected.

Each raw asset's `code_version` is a short hash of its reader's module, so the UI marks an
asset whose reader changed since its last materialisation (dagster-dbt does the same for
the SQL models from their checksums). The staging and mart tables and their checks are
the dbt project in `sql/` (`pipelines/defs/models`).
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

from pipelines.collector import own_objects_only
from pipelines.defs.partitions import YEARS, partition_years, replace_years, rows_in_years
from pipelines.ingest import Reader, ingest_source
from pipelines.resources import RawFiles
from pipelines.warehouse import preview_markdown

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
        with own_objects_only(), warehouse.get_connection() as conn:
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
