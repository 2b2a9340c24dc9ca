"""`dbt build` run from an asset, the one way: the warehouse models and the registry context's
models (pipelines/defs/context) both call `dbt_build`.

- dbt reads the warehouse's path, DuckDB's memory limit (`settings.models_duckdb_mb`) and
  the context's Parquet folder from its environment: sql/profiles.yml and the macro
  context_parquet;
- dagster-dbt echoes each dbt event on stdout: sent to the run's debug log, where the UI
  shows it, so `solidarity materialize` keeps to its few lines;
- dbt holds the DuckDB file while it runs: the tables are described once it is done;
- each run writes its compiled SQL and results in a folder of its own under sql/target/:
  kept when the build failed (the error names it), removed when it succeeded;
- dbt keeps what it parsed (`partial_parse.msgpack`) for the next run, but only for the same
  profile: the warehouse's path is part of it, so a run on another warehouse parses the whole
  project again (~1 s of the sample build). Each warehouse keeps its own copy beside it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

from dagster_duckdb import DuckDBResource

from pipelines.dbt_project import DBT_PROJECT, MEMORY_ENV, WAREHOUSE_ENV, WarehouseDbt
from pipelines.defs.models.metadata import with_table_metadata
from pipelines.settings import models_duckdb_mb

PARTIAL_PARSE = "partial_parse.msgpack"


def parse_kept_for(warehouse_path: str) -> Path:
    return Path(f"{warehouse_path}.dbt-{PARTIAL_PARSE}")


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in the environment dbt inherits, for the time of the build."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LinesToLog(io.TextIOBase):
    def __init__(self, log) -> None:
        self._log, self._pending = log, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            if line.strip():
                self._log.debug(line)
        return len(text)


def dbt_build(context, dbt: WarehouseDbt, warehouse: DuckDBResource, env: Mapping[str, str] | None = None):
    """Run `dbt build` on the asset's selection; yield its materialisations and check results
    with the tables' metadata; raise dbt's error after reporting what was built."""
    events, failure = [], None
    name = context.op_execution_context.op.name
    target = DBT_PROJECT.project_dir / "target" / f"{name}-{context.run.run_id[:8]}-{uuid.uuid4().hex[:7]}"
    kept = parse_kept_for(warehouse.database)
    if kept.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, target / PARTIAL_PARSE)
    # dbt runs in sql/: a warehouse path relative to where the run started (`make demo`'s
    # data/warehouse.duckdb) would name another file there
    with environment({WAREHOUSE_ENV: str(Path(warehouse.database).absolute()),
                      MEMORY_ENV: f"{int(models_duckdb_mb())}MB", **(env or {})}), \
            contextlib.redirect_stdout(LinesToLog(context.log)):
        invocation = dbt.build(context, target)
        try:
            events.extend(invocation.stream())
        except Exception as error:  # a failed model or check: its events are still reported
            failure = error
    with warehouse.get_connection() as conn:
        yield from with_table_metadata(conn, events, context.assets_def)
    if failure is not None:
        raise failure
    with contextlib.suppress(OSError):
        shutil.copyfile(target / PARTIAL_PARSE, kept)
    shutil.rmtree(target, ignore_errors=True)
