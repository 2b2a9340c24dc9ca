"""How dbt's nodes become Dagster assets and checks.

- a model's key is its layer and name (`staging/grants`, `marts/funding`), its group its layer;
- a dbt source is a registered source (`pipelines/sources/registry.py`): all the tables of
  `source('iati', ...)` are the one asset `raw/iati`; `source('ref', ...)` is
  `ref/reference_tables`; `source('quality', ...)`, which every raw asset writes, stands for
  every registered source, so a model reading the load records (data_quality) is rebuilt
  when any source is;
- a check (a singular dbt test in `sql/checks/`) is described by its leading comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from pipelines.defs.automation.conditions import REBUILD_WHEN_UPSTREAM_UPDATES
from pipelines.defs.factories import code_version
from pipelines.sources.registry import BY_NAME, SOURCES

OWNERS = ["team:data"]
REFERENCE_KEY = dg.AssetKey(["ref", "reference_tables"])
LOAD_RECORDS = "quality"


def leading_comment(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


class WarehouseTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        # several tables of one source are one asset (raw/iati)
        super().__init__(DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))

    def get_asset_key(self, props: Mapping[str, Any]) -> dg.AssetKey:
        if props["resource_type"] == "source":
            name = props["source_name"]
            if name == "ref":
                return REFERENCE_KEY
            if name == LOAD_RECORDS:
                return dg.AssetKey([LOAD_RECORDS, props["name"]])
            return dg.AssetKey(BY_NAME[name].key)  # a dbt source no registry entry declares: KeyError
        return dg.AssetKey([props["config"]["schema"], props["name"]])

    def get_group_name(self, props: Mapping[str, Any]) -> str | None:
        return props["config"]["schema"] if props["resource_type"] == "model" else None

    def get_owners(self, props: Mapping[str, Any]) -> list[str]:
        return OWNERS

    def get_code_version(self, props: Mapping[str, Any]) -> str | None:
        # the raw assets' rule (a hash of the text that computes it): the model as written
        code = props.get("raw_code")
        return code_version(code) if code else None

    def get_automation_condition(self, props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        return REBUILD_WHEN_UPSTREAM_UPDATES if props["resource_type"] == "model" else None

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if not any(d.asset_key.path[0] == LOAD_RECORDS for d in spec.deps):
            return spec
        deps = [d for d in spec.deps if d.asset_key.path[0] != LOAD_RECORDS]
        known = {d.asset_key for d in deps}
        deps += [dg.AssetDep(dg.AssetKey(s.key)) for s in SOURCES if dg.AssetKey(s.key) not in known]
        return spec.replace_attributes(deps=deps)

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        described = leading_comment(manifest["nodes"][unique_id].get("raw_code", ""))
        return spec._replace(description=described) if described else spec
