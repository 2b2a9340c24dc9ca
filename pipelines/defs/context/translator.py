"""How the context models (sql/models/context/, tag `context`) become Dagster assets: as the warehouse's
models (`context/<model>`, group `context`, owners, code version), with two differences:

- a model reading the context layer's Parquet (macro context_parquet, not a dbt source) depends on
  the asset that writes it, context/registry_files;
- no automation condition, and no dependency on the region's own tables (the shares ref()
  marts.funding_by_country and funding_by_sector: dbt still orders and reads them, Dagster draws no
  edge): nothing the main pipeline runs or selects downstream of a source (the inbox sensor,
  `reload_year`) ever reaches into the context. The context is rebuilt when its dump is (the
  `context_dump` sensor, the `context_marts` job), the region's share with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from pipelines.defs.models.translator import WarehouseTranslator

REGISTRY_FILES_KEY = dg.AssetKey(["context", "registry_files"])
READS_CONTEXT = "context_parquet("
CONTEXT_SCHEMA = "context"
REGION_LAYERS = ("staging", "marts")  # the region's own models, built by the main pipeline


class ContextTranslator(WarehouseTranslator):
    def get_automation_condition(self, props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        return None

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if spec.key.path[0] != CONTEXT_SCHEMA:  # an upstream of a context model: as it is
            return spec
        deps = [d for d in spec.deps if d.asset_key.path[0] not in REGION_LAYERS]
        if READS_CONTEXT in manifest["nodes"][unique_id].get("raw_code", ""):
            deps.append(dg.AssetDep(REGISTRY_FILES_KEY))
        return spec.replace_attributes(deps=deps)
