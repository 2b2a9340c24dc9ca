"""The warehouse's staging and mart tables and their checks: the dbt project in `sql/`.

One `@dbt_assets` over the whole project: each model an asset (`staging/*`, `marts/*`), its
dependencies from ref() and source(), its columns and their meanings from the .yml beside it,
each singular test in `sql/checks/` a check of the model its config names. `dbt build` runs
the selected models in dependency order, each followed by its tests: a failing test of
severity error skips what depends on it and fails the step, so nothing is published.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from dagster_dbt import DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.dbt_project import DBT_PROJECT, WAREHOUSE_ENV, prepare
from pipelines.defs.models.metadata import with_table_metadata
from pipelines.defs.models.translator import WarehouseTranslator

# `dagster dev` and `dg` (which set DAGSTER_IS_DEV_CLI) parse a changed project when they load,
# with the virtualenv's dbt (dagster-dbt's own prepare_if_dev looks for `dbt` on PATH);
# elsewhere the manifest `make setup` prepared is read as it is
if os.environ.get("DAGSTER_IS_DEV_CLI"):
    prepare()


@contextlib.contextmanager
def _warehouse_for_dbt(path: str) -> Iterator[None]:
    """sql/profiles.yml reads the warehouse's path from the environment dbt inherits."""
    before = os.environ.get(WAREHOUSE_ENV)
    os.environ[WAREHOUSE_ENV] = path
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(WAREHOUSE_ENV, None)
        else:
            os.environ[WAREHOUSE_ENV] = before


class _LinesToLog(io.TextIOBase):
    """dagster-dbt echoes each dbt event on stdout: sent to the run's debug log instead, where
    the UI shows it, so `solidarity materialize` keeps to its few lines."""

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


# dbt keeps what it parsed (`partial_parse.msgpack`) for the next run, but only for the same
# profile: the warehouse's path is part of it, so a run on another warehouse parses the whole
# project again (3.4 s of the sample build). Each warehouse keeps its own copy beside it.
PARTIAL_PARSE = "partial_parse.msgpack"


def parse_kept_for(warehouse_path: str) -> Path:
    return Path(f"{warehouse_path}.dbt-{PARTIAL_PARSE}")


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=WarehouseTranslator(),
            exclude="tag:context")
def warehouse_models(context, dbt: DbtCliResource, warehouse: DuckDBResource):  # `context` unannotated: Dagster cannot check string hints
    events, failure = [], None
    # each run writes its compiled SQL and results in a folder of its own under sql/target/:
    # kept when the build failed (the error names it), removed when it succeeded
    target = DBT_PROJECT.project_dir / "target" / f"{context.op_execution_context.op.name}-{context.run.run_id[:8]}-{uuid.uuid4().hex[:7]}"
    kept = parse_kept_for(warehouse.database)
    if kept.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, target / PARTIAL_PARSE)
    with _warehouse_for_dbt(warehouse.database), contextlib.redirect_stdout(_LinesToLog(context.log)):
        invocation = dbt.cli(["build"], context=context, target_path=target)
        try:
            events.extend(invocation.stream())
        except Exception as error:  # a failed model or check: its events are still reported
            failure = error
    # dbt holds the DuckDB file while it runs: the tables are described once it is done
    with warehouse.get_connection() as conn:
        yield from with_table_metadata(conn, events, context.assets_def)
    if failure is not None:
        raise failure
    with contextlib.suppress(OSError):
        shutil.copyfile(target / PARTIAL_PARSE, kept)
    shutil.rmtree(target, ignore_errors=True)
