"""deploy/dagster.postgres.yaml works: a full materialisation recorded in a real PostgreSQL.

A throwaway cluster is started on loopback with Debian's `postgresql` binaries (`make
test` installs them through scripts/ensure-postgres.sh). PostgreSQL refuses to run as
root, so as root (CI) the cluster belongs to the `postgres` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    assert found[-1], f"{name} missing: run scripts/ensure-postgres.sh"
    return found[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def postgres():
    root = Path(tempfile.mkdtemp(prefix="solidarity-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    subprocess.run(
        _as_owner([_pg_bin("initdb"), "-D", str(data), "--auth=trust", "--username=dagster",
                   "--encoding=UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_owner([_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        check=True, capture_output=True,
    )
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="dagster", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("create database dagster")
        conn.close()
        yield {"host": "127.0.0.1", "port": port, "user": "dagster", "db": "dagster"}
    finally:
        subprocess.run(_as_owner([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_a_materialisation_is_recorded_in_postgres(postgres, sample_dir, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_HOST", postgres["host"])
    monkeypatch.setenv("DAGSTER_PG_PORT", str(postgres["port"]))
    monkeypatch.setenv("DAGSTER_PG_USER", postgres["user"])
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "")
    monkeypatch.setenv("DAGSTER_PG_DB", postgres["db"])

    # the path `solidarity materialize` takes when DAGSTER_HOME is set
    from pipelines.definitions import defs
    from pipelines.run import instance, materialize_all

    assert type(instance().run_storage).__name__ == "PostgresRunStorage"
    outcome = materialize_all(sample_dir, tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb")
    assert outcome.success, outcome.report_lines()

    # what Dagster wrote, read back with plain SQL from PostgreSQL
    conn = psycopg2.connect(host=postgres["host"], port=postgres["port"], user=postgres["user"],
                            dbname=postgres["db"])
    with conn, conn.cursor() as cur:
        cur.execute("select status from runs")
        assert cur.fetchall() == [("SUCCESS",)]
        cur.execute("select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
        assert cur.fetchone()[0] == len(outcome.materialized)
        cur.execute("select count(*) from event_logs where dagster_event_type = 'ASSET_CHECK_EVALUATION'")
        # every check of the pipeline's graph ran once and was recorded (the IATI registry context,
        # group `context`, has its own jobs: docs/context.md)
        checks = {k for k in defs.get_repository_def().asset_graph.asset_check_keys if k.asset_key.path[0] != "context"}
        assert cur.fetchone()[0] == len(checks)
    conn.close()

    with dg.DagsterInstance.get() as recorded:
        latest = recorded.get_latest_materialization_event(dg.AssetKey(["publish", "serving_snapshot"]))
        assert latest is not None
        assert latest.asset_materialization.metadata["path"].value == str(tmp_path / "serving.duckdb")
