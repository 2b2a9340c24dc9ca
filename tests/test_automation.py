"""Dagster hygiene: code versions follow the SQL and reader text, derived assets rebuild when
an upstream updates, the inbox sensor's first tick requests nothing, the demo instance runs
one run at a time."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.defs import factories
from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[1]


def _sha12(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_every_table_has_its_sql_files_version_and_every_source_its_readers():
    graph = defs.get_repository_def().asset_graph
    expected = {
        # the module each reader function is defined in, read here from the files
        "raw/grants": ROOT / "pipelines/sources/scdl/grants.py",
        "raw/iati": ROOT / "pipelines/sources/iati/activities.py",
        "raw/payments": ROOT / "pipelines/sources/local/payments.py",
    }
    for key, path in expected.items():
        assert graph.get(dg.AssetKey.from_user_string(key)).code_version == _sha12(path), key
    for key in graph.get_all_asset_keys():
        if key.path[0] in ("staging", "marts"):
            # a model's version is its file's text as dbt reads it (without surrounding blank
            # space): a changed model is marked changed in the UI
            sql = ROOT / "sql" / "models" / key.path[0] / f"{key.path[1]}.sql"
            text = sql.read_text(encoding="utf-8").strip()
            assert graph.get(key).code_version == hashlib.sha256(text.encode()).hexdigest()[:12], key


def test_a_lambda_reader_is_versioned_by_the_module_of_the_function_it_returns():
    from pipelines.sources.local.payments import read_payments

    assert factories.reader_module_file(lambda: read_payments) == ROOT / "pipelines/sources/local/payments.py"


def test_derived_assets_rebuild_when_upstream_updates_and_sources_do_not():
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    eager = dg.AutomationCondition.eager()
    for key in graph.get_all_asset_keys():
        condition = graph.get(key).automation_condition
        if key.path[0] in ("staging", "marts"):
            assert condition == eager, key
        else:  # raw, ref: the inbox sensor's business; publish: the sensor's default condition
            assert condition is None, key
    # a model's checks are dbt tests: `dbt build` runs them right after their model, in the
    # model's own step, so they rebuild with it and carry no condition of their own
    for check_key in graph.asset_check_keys:
        if check_key.asset_key.path[0] in ("staging", "marts"):
            assert graph.get(check_key).automation_condition is None, check_key
            assert repo.assets_defs_by_key[check_key.asset_key].check_keys >= {check_key}, check_key

    sensor = repo.get_sensor_def("rebuild_downstream")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.default_condition == eager
    targeted = sensor.asset_selection.resolve(graph)
    assert {k for k in graph.get_all_asset_keys() if k.path[0] in ("staging", "marts", "publish")} == targeted
    # every asset with a condition is evaluated by it: Dagster adds no default sensor of its own
    # (context_dump, off by default, asks for the registry context runs: pipelines/defs/context)
    assert {s.name for s in repo.sensor_defs} == {"inbox", "rebuild_downstream", "context_dump"}


def _tick(inbox, cursor):
    from pipelines.resources import RawFiles

    context = dg.build_sensor_context(
        cursor=cursor, resources={"raw_files": RawFiles(raw_dir=str(inbox))}, definitions=defs
    )
    result = defs.get_repository_def().get_sensor_def("inbox")(context)
    return result.run_requests or [], result.cursor


def test_the_inbox_sensors_first_tick_records_the_inbox_and_requests_nothing(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "grants").mkdir(parents=True)
    there = inbox / "grants" / "subventions_2025.csv"
    there.write_text("nomAttribuant;montant\nRégion;100,00\n", encoding="utf-8")

    requests, cursor = _tick(inbox, None)
    assert requests == []
    assert json.loads(cursor) == {"grants/subventions_2025.csv": hashlib.sha256(there.read_bytes()).hexdigest()}

    # the second tick: nothing new, nothing requested; a new file, one run
    assert _tick(inbox, cursor) == ([], cursor)
    (inbox / "grants" / "subventions_2026.csv").write_text("nomAttribuant;montant\nRégion;5,00\n", encoding="utf-8")
    requests, _ = _tick(inbox, cursor)
    assert [r.tags["solidarity/files"] for r in requests] == ["grants/subventions_2026.csv"]


def test_the_demo_instance_runs_one_run_at_a_time(tmp_path):
    home = tmp_path / "dagster_home"
    subprocess.run(["make", "-s", "instance", f"DAGSTER_HOME={home}"], cwd=ROOT, check=True, timeout=60)
    subprocess.run(["make", "-s", "instance", f"DAGSTER_HOME={home}"], cwd=ROOT, check=True, timeout=60)
    text = (home / "dagster.yaml").read_text(encoding="utf-8")
    assert text.count("max_concurrent_runs") == 1  # kept, not added twice
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        # what the daemon's queue reads (QueuedRunCoordinatorDaemon), the instance's
        # `concurrency:` settings over the coordinator's own default of 10
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_dg_check_defs_loads_the_definitions():
    # Dagster's own check of a project (dagster-dg-cli): the code location loads, every
    # definition validates (the dbt models included, from the manifest make setup prepared)
    done = subprocess.run([str(Path(sys.executable).parent / "dg"), "check", "defs"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully." in done.stdout + done.stderr
