"""Materialise every asset in process and say plainly what passed and what failed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
from pipelines.resources import build_resources


@dataclass
class Outcome:
    success: bool
    materialized: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    snapshot: str | None = None

    def report_lines(self) -> list[str]:
        lines = [f"materialised {len(self.materialized)} assets"]
        lines += [f"BLOCKING CHECK FAILED: {c}" for c in self.failed_checks]
        lines += [f"STEP FAILED: {s}" for s in self.failed_steps]
        if self.success:
            lines.append(f"serving snapshot published: {self.snapshot}")
        else:
            lines.append("serving snapshot NOT published: the previous one (if any) is still served")
        return lines


def instance() -> dg.DagsterInstance:
    # with DAGSTER_HOME set, runs are recorded where `dagster dev` shows them
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    Path(home).mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.get()


def materialize_all(raw_dir: Path, warehouse: Path, serving: Path) -> Outcome:
    result = dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        resources=build_resources(raw_dir, warehouse, serving),
        instance=instance(),
        raise_on_error=False,
        # step-by-step DEBUG lines drown the one line that matters; failures still print
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    materialized = [
        e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    ]
    failed_checks = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    failed_steps = [e.step_key for e in result.get_step_failure_events()]
    published = "publish/serving_snapshot" in materialized
    return Outcome(
        success=result.success and not failed_checks and published,
        materialized=materialized,
        failed_checks=failed_checks,
        failed_steps=failed_steps,
        snapshot=str(serving) if published else None,
    )
