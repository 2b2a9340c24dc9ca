"""The warehouse's staging and mart tables and their checks: the dbt project in `sql/`.

One `@dbt_assets` over the whole project: each model an asset (`staging/*`, `marts/*`), its
dependencies from ref() and source(), its columns and their meanings from the .yml beside it,
each singular test in `sql/checks/` a check of the model its config names. `dbt build` runs
the selected models in dependency order, each followed by its tests: a failing test of
severity error skips what depends on it and fails the step, so nothing is published
(`pipelines/defs/models/build.py`, the one way assets run dbt).
"""

from __future__ import annotations

import os

from dagster_dbt import dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.dbt_project import DBT_PROJECT, WarehouseDbt, prepare
from pipelines.defs.models.build import dbt_build
from pipelines.defs.models.translator import WarehouseTranslator

# `dagster dev` and `dg` (which set DAGSTER_IS_DEV_CLI) parse a changed project when they load,
# with the virtualenv's dbt (dagster-dbt's own prepare_if_dev looks for `dbt` on PATH);
# elsewhere the manifest `make setup` prepared is read as it is
if os.environ.get("DAGSTER_IS_DEV_CLI"):
    prepare()


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=WarehouseTranslator(),
            exclude="tag:context")
def warehouse_models(context, dbt: WarehouseDbt, warehouse: DuckDBResource):  # `context` unannotated: Dagster cannot check string hints
    yield from dbt_build(context, dbt, warehouse)
