"""The inbox sensor: a new, changed or removed file requests one run of what it feeds.

The cursor remembers each file's sha256 (`{"grants/subventions_2024.csv": "ab12…"}`),
so the same file seen twice requests nothing, and a file touched but unchanged
(same bytes, new mtime) requests nothing either. Files are grouped by the inbox
sub-folder they sit in: one run per source, selecting `raw/<source>` and everything
downstream of it (staging, marts, their checks, the serving snapshot).
Its first tick (no cursor yet) only records the inbox as it is and requests nothing: the files
already there were built by `make demo`, `solidarity materialize` or a `rebuild`, and the
nightly rebuild catches any that were not. Off by default; switch it on in the UI
(Automation → inbox) or `dagster sensor start inbox`.

`rebuild_downstream` evaluates the derived assets' automation conditions
(`conditions.py`): a source or mart materialised alone in the UI then has what it feeds
rebuilt. Off by default too, like every automation here (the demo runs on demand); on
beside `inbox`, it adds no second run to the sensor's (each run already holds the downstream).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.defs.automation.conditions import DERIVED, REBUILD_WHEN_UPSTREAM_UPDATES
from pipelines.resources import SAMPLE_MARKER, RawFiles
from pipelines.warehouse import sha256_of


def inbox_state(raw_dir: Path) -> dict[str, str]:
    """Every file under the inbox's sub-folders, as relative path → sha256."""
    if not raw_dir.is_dir():
        return {}
    return {
        path.relative_to(raw_dir).as_posix(): sha256_of(path)
        for path in sorted(raw_dir.glob("*/*"))
        if path.is_file() and not path.name.startswith(".") and path.name != SAMPLE_MARKER
    }


def changes(before: dict[str, str], now: dict[str, str]) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """Per source folder, the files whose content changed: path → (old sha256, new sha256)."""
    by_source: dict[str, dict[str, tuple[str | None, str | None]]] = {}
    for path in sorted(before.keys() | now.keys()):
        if before.get(path) != now.get(path):
            source = path.split("/", 1)[0]
            by_source.setdefault(source, {})[path] = (before.get(path), now.get(path))
    return by_source


def run_key(source: str, changed: dict[str, tuple[str | None, str | None]]) -> str:
    # the hashes before and after: the same change never runs twice, a later one does
    digest = hashlib.sha256(json.dumps(sorted(changed.items())).encode()).hexdigest()[:16]
    return f"{source}:{digest}"


@dg.sensor(
    name="inbox",
    # the IATI registry as context (group context) is the context_dump sensor's (docs/context.md)
    target=dg.AssetSelection.all() - dg.AssetSelection.groups("context"),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches the inbox folder (SOLIDARITY_RAW_DIR): a new, changed or removed file "
    "materialises its source's raw asset and everything downstream. Keyed by file sha256.",
)
def inbox(context: dg.SensorEvaluationContext, raw_files: RawFiles) -> dg.SensorResult:
    now = inbox_state(Path(raw_files.raw_dir))
    if context.cursor is None:
        context.log.info(f"first tick: {len(now)} file(s) already in the inbox recorded, no run requested")
        return dg.SensorResult(run_requests=[], cursor=json.dumps(now, sort_keys=True))
    before = json.loads(context.cursor)
    graph = context.repository_def.asset_graph
    requests = []
    for source, changed in changes(before, now).items():
        raw_key = dg.AssetKey(["raw", source])
        if not graph.has(raw_key):
            context.log.warning(f"inbox folder {source!r} feeds no asset: ignored")
            continue
        selected = dg.AssetSelection.assets(raw_key).downstream().resolve(graph)
        requests.append(
            dg.RunRequest(
                run_key=run_key(source, changed),
                asset_selection=sorted(selected, key=lambda k: k.to_user_string()),
                tags={"solidarity/source": source, "solidarity/files": ",".join(sorted(changed))[:200]},
            )
        )
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(now, sort_keys=True))


rebuild_downstream = dg.AutomationConditionSensorDefinition(
    "rebuild_downstream",
    target=DERIVED,
    default_status=dg.DefaultSensorStatus.STOPPED,
    # the publish assets are declared without a condition of their own: the same rule (Dagster
    # takes a default condition only from a sensor evaluated in the code server)
    default_condition=REBUILD_WHEN_UPSTREAM_UPDATES,
    use_user_code_server=True,
    description="Rebuilds staging and mart tables, their checks and the serving snapshot when "
    "something upstream of them was updated (pipelines/defs/automation/conditions.py).",
)
