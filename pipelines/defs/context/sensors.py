"""The `context_dump` sensor: keeps one partition of context/registry_files per file of the dump and
asks for the runs that bring the context layer up to date. Off by default.

Each tick lists the dump (`pipelines.context.dump.dump_files`) with each file's size and mtime, a cheap
sign of change (hashing 9 GB every few minutes is not): a new file gets its partition and a run, a
changed one a run, a removed one loses its partition. The run itself compares the sha256 with the
manifest's, so a file touched but unchanged is hashed and not read again. Once no file run is queued
or running, one `context_marts` run rebuilds the context models (and drops the rows of removed files).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.context.dump import dump_files
from pipelines.defs.context.jobs import context_files, context_marts
from pipelines.defs.context.partitions import REGISTRY_FILES
from pipelines.defs.context.resources import RegistryDump

IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
             dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
# substrings Dagster refuses in a partition key (dagster's INVALID_PARTITION_SUBSTRINGS)
NOT_A_KEY = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


def dump_state(dump_dir: Path) -> dict[str, str]:
    """`<publisher>/<file>` → "size:mtime_ns" for every file of the dump."""
    state = {}
    for publisher, path in dump_files(dump_dir):
        stat = path.stat()
        state[f"{publisher}/{path.name}"] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return state


def plan(before: dict[str, str], now: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, removed) partition keys, each sorted."""
    added = sorted(now.keys() - before.keys())
    changed = sorted(k for k in now.keys() & before.keys() if now[k] != before[k])
    removed = sorted(before.keys() - now.keys())
    return added, changed, removed


@dg.sensor(
    name="context_dump",
    jobs=[context_files, context_marts],
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches the IATI registry dump (SOLIDARITY_REGISTRY_DUMP): one partition of "
    "context/registry_files per file, a run per new or changed file, then one run of the context models.",
)
def context_dump(context: dg.SensorEvaluationContext, registry_dump: RegistryDump) -> dg.SensorResult | dg.SkipReason:
    dump_dir = Path(registry_dump.dump_dir)
    if not dump_dir.is_dir():
        return dg.SkipReason(f"no registry dump at {dump_dir}")
    cursor = json.loads(context.cursor) if context.cursor else {"files": {}, "marts_due": False}
    now = dump_state(dump_dir)
    refused = sorted(k for k in now if any(s in k for s in NOT_A_KEY))
    for key in refused:
        context.log.warning(f"{key}: not usable as a partition key, not read")
        now.pop(key)
    added, changed, removed = plan(cursor["files"], now)
    requests = [dg.RunRequest(job_name=context_files.name, partition_key=key, run_key=f"{key}@{now[key]}")
                for key in (*added, *changed)]
    marts_due = cursor["marts_due"] or bool(added or changed or removed)
    if not requests and marts_due and not context.instance.get_runs(
            dg.RunsFilter(job_name=context_files.name, statuses=IN_FLIGHT), limit=1):
        requests.append(dg.RunRequest(job_name=context_marts.name, run_key="marts@" + hashlib.sha256((context.cursor or "").encode()).hexdigest()[:16]))
        marts_due = False
    partition_requests = []
    if added:
        partition_requests.append(REGISTRY_FILES.build_add_request(added))
    if removed:
        partition_requests.append(REGISTRY_FILES.build_delete_request(removed))
    return dg.SensorResult(
        run_requests=requests, dynamic_partitions_requests=partition_requests,
        cursor=json.dumps({"files": now, "marts_due": marts_due}, sort_keys=True),
    )
