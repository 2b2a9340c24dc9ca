"""Materialise every asset in process and say plainly what passed and what failed.

Before anything runs: the warehouse and serving folders are checked (writable, enough
free space) and the warehouse's run lock is taken (`pipelines/operations.py`); a run
refused there runs nothing and publishes nothing, and says why in one line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from pipelines import operations


@dataclass
class Outcome:
    success: bool
    materialized: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    # every check this run evaluated, passed or not (`asset:check`)
    checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    # set only when the serving snapshot was swapped in by this run
    snapshot: str | None = None
    snapshot_version: str | None = None
    # the run was refused before it started (pre-flight, run lock): why, in one line
    refused: str | None = None
    # step key → the first line of its error
    step_errors: dict[str, str] = field(default_factory=dict)
    # when this run held the warehouse's run lock (UTC) and how long it waited for it
    lock_acquired_at: datetime | None = None
    lock_released_at: datetime | None = None
    lock_waited_s: float = 0.0

    @property
    def published(self) -> bool:
        return self.snapshot is not None

    def report_lines(self) -> list[str]:
        if self.refused:
            lines = [f"RUN REFUSED: {self.refused}"]
        else:
            lines = [f"materialised {len(self.materialized)} assets"]
        lines += [f"BLOCKING CHECK FAILED: {c}" for c in self.failed_checks]
        # steps that failed for the same cause (a full disk fails every writer): one line
        by_cause: dict[str, list[str]] = {}
        for step in self.failed_steps:
            by_cause.setdefault(self.step_errors.get(step, ""), []).append(step)
        for cause, steps in by_cause.items():
            named = steps[0] if len(steps) == 1 else f"{len(steps)} steps ({', '.join(steps)})"
            lines.append(f"STEP FAILED: {named}" + (f": {cause}" if cause else ""))
        if self.lock_acquired_at and self.lock_released_at:
            lines.append(
                f"run lock held {_stamp(self.lock_acquired_at)} → {_stamp(self.lock_released_at)} UTC"
                f" (waited {self.lock_waited_s:.1f} s for another run)"
            )
        # "published" is said only of a snapshot this run swapped in
        if self.published:
            version = f" (version {self.snapshot_version})" if self.snapshot_version else ""
            lines.append(f"serving snapshot published: {self.snapshot}{version}")
            if not self.success:
                lines.append("the run failed after publishing: see the failures above")
        else:
            lines.append("serving snapshot NOT published: the previous one (if any) is still served")
        return lines


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def instance() -> dg.DagsterInstance:
    # with DAGSTER_HOME set, runs are recorded where `dagster dev` shows them
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    Path(home).mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.get()


def materialize_all(
    raw_dir: Path, warehouse: Path, serving: Path,
    say: Callable[[str], None] = operations.say_on_stderr, lock_timeout: float | None = None,
) -> Outcome:
    """Run every asset and check, then publish. `say` gets the one "waiting for another
    run…" line; `lock_timeout` defaults to SOLIDARITY_LOCK_TIMEOUT."""
    try:
        operations.preflight(warehouse, serving)
    except operations.OperationError as exc:
        return Outcome(success=False, refused=str(exc))
    try:
        with operations.run_lock(warehouse, timeout=lock_timeout, say=say) as hold:
            outcome = _materialize(raw_dir, warehouse, serving)
            outcome.lock_released_at = datetime.now(timezone.utc)
    except operations.OperationError as exc:
        return Outcome(success=False, refused=str(exc))
    outcome.lock_acquired_at, outcome.lock_waited_s = hold.acquired_at, hold.waited_s
    return outcome


def _materialize(raw_dir: Path, warehouse: Path, serving: Path) -> Outcome:
    from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
    from pipelines.resources import build_resources

    result = dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        resources=build_resources(raw_dir, warehouse, serving),
        instance=instance(),
        raise_on_error=False,
        # step-by-step DEBUG lines drown the one line that matters; failures still print
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    events = result.get_asset_materialization_events()
    materialized = [e.asset_key.to_user_string() for e in events]
    evaluations = result.get_asset_check_evaluations()
    failed_checks = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    failures = result.get_step_failure_events()
    failed_steps = [e.step_key for e in failures]
    step_errors = {e.step_key: _first_line(e) for e in failures}
    snapshot = next((e for e in events if e.asset_key.to_user_string() == "publish/serving_snapshot"), None)
    version = None
    if snapshot is not None:
        value = snapshot.materialization.metadata.get("snapshot_version")
        version = getattr(value, "value", value)
    return Outcome(
        success=result.success and not failed_checks and snapshot is not None,
        materialized=materialized,
        failed_checks=failed_checks,
        checks=[f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations],
        failed_steps=failed_steps,
        step_errors=step_errors,
        snapshot=str(serving) if snapshot is not None else None,
        snapshot_version=version,
    )


def _first_line(event: dg.DagsterEvent) -> str:
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None and "DagsterExecutionStepExecutionError" in error.cls_name:
        error = error.cause  # the user code's error, not Dagster's wrapper
    if error is None:
        return ""
    text = (error.message or "").strip().splitlines()
    return (text[0] if text else error.cls_name or "")[:300]
