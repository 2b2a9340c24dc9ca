"""The dbt resource skips dagster-dbt's start-up steps (pipelines/dbt_project.py,
`WarehouseDbt`) and runs dbt in the step's process (pipelines/dbt_in_process.py): what they
found out must still hold. The dbt version it assumes is the one the `dbt` executable reports;
a build through it still reports every model of the project as materialised and every dbt test
as a check — read from dbt's own manifest, not from the asset definitions; dbt in this process
gives the results a `dbt` process prints, and lets go of the warehouse when it is done."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import orjson

from pipelines.dbt_in_process import DbtInThisProcess, build_args
from pipelines.dbt_project import DBT_EXECUTABLE, DBT_PROJECT, WAREHOUSE_ENV, WarehouseDbt
from pipelines.defs.models.build import parse_kept_for


def _manifest_nodes(kind: str) -> list[dict]:
    """The project's nodes of a kind that `solidarity materialize` builds: all but the IATI
    registry context's (`sql/models/context/`, built by their own job: docs/context.md)."""
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    return [node for node in manifest["nodes"].values()
            if node["resource_type"] == kind and not node["original_file_path"].startswith("models/context/")]


def test_the_version_assumed_is_the_one_dbt_reports():
    printed = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True).stdout
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", printed).group(1)
    resource = WarehouseDbt(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE)
    assert str(resource._cli_version) == installed
    assert resource._cli_version.major == 1  # dbt Core: dagster-dbt's Fusion branch is not taken


def test_a_build_reports_every_model_and_every_dbt_test(built):
    outcome, warehouse, _ = built
    assert outcome.success, outcome.report_lines()
    models = {f"{node['config']['schema']}/{node['name']}" for node in _manifest_nodes("model")}
    assert len(models) >= 30
    assert models <= set(outcome.materialized)
    tests = {node["name"] for node in _manifest_nodes("test")}
    evaluated = {check.split(":", 1)[1] for check in outcome.checks}
    assert tests <= evaluated, sorted(tests - evaluated)
    # what dbt parsed is kept beside the warehouse for its next run
    assert parse_kept_for(str(warehouse)).stat().st_size > 0


def test_a_warehouse_named_relative_to_the_run_is_the_one_dbt_builds(built, sample_dir, tmp_path, monkeypatch):
    """`make demo` names its warehouse `data/warehouse.duckdb`, relative to where it runs; dbt runs
    in sql/, where that path would name another file (the demo failed so)."""
    from pipelines.run import materialize_all

    _, _, serving = built
    monkeypatch.chdir(tmp_path)
    name = f"warehouse-{uuid.uuid4().hex[:8]}.duckdb"  # a name no earlier run left anywhere
    outcome = materialize_all(sample_dir, Path(name), Path("s.duckdb"))
    assert outcome.success, outcome.report_lines()
    assert not (DBT_PROJECT.project_dir / name).exists()
    with duckdb.connect(str(tmp_path / name), read_only=True) as here, \
            duckdb.connect(str(serving), read_only=True) as there:
        query = "select count(*), sum(committed_eur), sum(disbursed_eur) from {}"
        assert here.execute(query.format("marts.funding")).fetchall() == there.execute(query.format("funding")).fetchall()


def _results(json_lines) -> dict[str, str]:
    """unique_id -> status of each model and test result dbt reported."""
    found = {}
    for line in json_lines:
        event = orjson.loads(line)
        if event["info"]["name"] in {"LogModelResult", "LogTestResult"}:
            found[event["data"]["node_info"]["unique_id"]] = event["data"]["node_info"]["node_status"]
    return found


def test_dbt_in_this_process_reports_what_a_dbt_process_prints_and_lets_go_of_the_warehouse(
        built, tmp_path, monkeypatch):
    _, warehouse, _ = built
    selection = ["--select", "+funding_by_country"]
    for name in ("process", "here"):
        (tmp_path / f"{name}.duckdb").write_bytes(Path(warehouse).read_bytes())
    printed = subprocess.run(
        [DBT_EXECUTABLE, "build", *selection, "--project-dir", str(DBT_PROJECT.project_dir),
         "--profiles-dir", str(DBT_PROJECT.project_dir), "--target-path", str(tmp_path / "t-process"),
         "--log-format", "json"],
        env={**os.environ, WAREHOUSE_ENV: str(tmp_path / "process.duckdb"),
             "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, check=True).stdout.splitlines()

    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "here.duckdb"))
    here = DbtInThisProcess(build_args(
        project_dir=DBT_PROJECT.project_dir, profiles_dir=DBT_PROJECT.project_dir,
        target_path=tmp_path / "t-here", selection=selection, indirect_selection=None))
    lines = list(here.stdout)
    assert here.wait() == 0

    expected = _results(printed)
    assert len(expected) >= 5 and set(expected.values()) <= {"success", "pass", "warn"}
    assert _results(lines) == expected
    assert (tmp_path / "t-here" / "dbt.log").stat().st_size > 0  # dbt's debug log, for a failed build
    # another process may write the warehouse at once: dbt-duckdb's database was closed
    writer = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('create table released as select 1')"
    subprocess.run([sys.executable, "-c", writer, str(tmp_path / "here.duckdb")], check=True)


def test_a_failing_dbt_build_in_this_process_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "empty.duckdb"))
    failing = DbtInThisProcess(build_args(
        project_dir=DBT_PROJECT.project_dir, profiles_dir=DBT_PROJECT.project_dir,
        target_path=tmp_path / "t", selection=["--select", "funding"], indirect_selection=None))
    errors = [orjson.loads(line)["info"]["msg"] for line in failing.stdout
              if orjson.loads(line)["info"]["level"] == "error"]
    assert failing.wait() == 1
    assert any("funding" in message for message in errors), errors


def test_the_models_build_with_duckdbs_memory_bounded_by_the_setting(built, tmp_path, monkeypatch):
    """`SOLIDARITY_MODELS_DUCKDB_MB` reaches the DuckDB connections dbt builds the models with
    (settings -> dbt_build's environment -> sql/profiles.yml -> dbt-duckdb), and the build
    still succeeds under it; DuckDB's own default comes back after."""
    import dagster as dg
    from dbt.adapters.duckdb.environments import Environment

    from pipelines.defs.models.assets import warehouse_models
    from pipelines.resources import build_resources

    seen = []
    original = Environment.initialize_cursor.__func__

    def initialize_cursor(cls, creds, cursor, *args, **kwargs):
        cursor = original(cls, creds, cursor, *args, **kwargs)
        seen.append(cursor.execute("select current_setting('memory_limit')").fetchall()[0][0])
        return cursor

    monkeypatch.setattr(Environment, "initialize_cursor", classmethod(initialize_cursor))
    monkeypatch.setenv("SOLIDARITY_MODELS_DUCKDB_MB", "300")
    _, warehouse, _ = built
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(Path(warehouse).read_bytes())
    resources = build_resources(tmp_path / "raw", copy, tmp_path / "s.duckdb")
    result = dg.materialize([warehouse_models], resources={k: resources[k] for k in ("dbt", "warehouse")})
    assert result.success
    # 300 MB as DuckDB shows it: 300,000,000 bytes = 286.1 MiB
    assert seen and set(seen) == {"286.1 MiB"}
    assert "SOLIDARITY_DBT_MEMORY_LIMIT" not in os.environ
