"""Operations that cannot corrupt (issue 20): one run at a time.

- Two `solidarity materialize` runs started together on one warehouse queue on its run
  lock: the second says it waits for the first (by pid), their lock windows do not
  overlap, both publish, and the served snapshot is the second one's data.
- Runs launched by Dagster itself (UI, sensor, schedule) take the same lock through the
  warehouse resource, and the demo instance queues them one at a time.
Failures that must publish nothing: test_operations_failures.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import operations

from .conftest import PROJECT, cli_env, materialize_cmd, snapshot_state
from .operations_support import sha256


LOCK_HELD = re.compile(r"run lock held (\S+) → (\S+) UTC \(waited ([\d.]+) s")
PUBLISHED = re.compile(r"serving snapshot published: (\S+) \(version (\w+)\)")


def cut(sample: Path, out: Path) -> Path:
    """The sample cut to two years of grants and events, as `small_raw` is."""
    for source in ("grants", "events", "iati", "jobs", "organisations"):
        (out / source).mkdir(parents=True)
        for f in sorted((sample / source).iterdir()):
            if source not in ("grants", "events") or any(y in f.name for y in ("2024", "2025")):
                shutil.copy2(f, out / source / f.name)
    for marker in sample.glob("*.txt"):
        shutil.copy2(marker, out / marker.name)
    return out


@pytest.fixture(scope="module")
def other_raw(tmp_path_factory) -> Path:
    """A small raw folder from another seed: other files, other figures, another snapshot."""
    from pipelines.sample import write_sample

    full = tmp_path_factory.mktemp("seed7")
    write_sample(full, scale=1, seed=7)
    return cut(full, tmp_path_factory.mktemp("small_seed7"))


def raw_files(raw: Path) -> set[tuple[str, str, str]]:
    """(source, file, sha256) of every file a source reads, hashed here, not by the pipeline."""
    return {(p.parent.name, p.name, sha256(p)) for p in raw.glob("*/*") if p.is_file()}


def served_files(serving: Path) -> tuple[set[tuple[str, str, str]], str]:
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.execute("select source, source_file, sha256 from manifest where sha256 is not null").fetchall()
        versions = conn.execute("select distinct snapshot_version from manifest").fetchall()
    assert len(versions) == 1
    return set(rows), versions[0][0]


# --- two runs at once ------------------------------------------------------------------------

def test_two_runs_at_once_queue_on_the_warehouse_lock(small_raw, other_raw, tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    runs = {}
    for name, raw in (("sample", small_raw), ("seed7", other_raw)):
        log = open(tmp_path / f"{name}.log", "w+")
        runs[name] = (subprocess.Popen(materialize_cmd(raw, warehouse, serving), cwd=PROJECT, env=cli_env(),
                                       stdout=log, stderr=subprocess.STDOUT, text=True), log, raw)
    outputs = {}
    for name, (child, log, raw) in runs.items():
        assert child.wait(timeout=600) == 0, (tmp_path / f"{name}.log").read_text()
        log.close()
        outputs[name] = (tmp_path / f"{name}.log").read_text()

    windows = {}
    for name, text in outputs.items():
        held = LOCK_HELD.search(text)
        assert held, text
        start, end = (datetime.fromisoformat(held[i]) for i in (1, 2))
        windows[name] = (start, end, float(held[3]))
        assert PUBLISHED.search(text), text
    first, second = sorted(windows, key=lambda n: windows[n][0])
    # one after the other: the second took the lock once the first had let it go
    assert windows[first][1] <= windows[second][0], windows
    waiting = f"waiting for another run on {warehouse} (pid {runs[first][0].pid})…"
    assert outputs[second].count("waiting for another run") == 1, outputs[second]
    assert waiting in outputs[second], outputs[second]
    assert "waiting for another run" not in outputs[first], outputs[first]
    assert windows[second][2] > 1.0, "the second run did not wait"

    # what is served, read from the file and checked against the raw folders hashed here:
    # the second run's files and version, not the first's
    files, version = served_files(serving)
    assert files == raw_files(runs[second][2])
    assert files != raw_files(runs[first][2])
    assert version == PUBLISHED.search(outputs[second])[2]
    assert version != PUBLISHED.search(outputs[first])[2]
    assert snapshot_state(serving)["funding"], "the served snapshot has no funding"
    print(f"first: {first}, lock held {windows[first][0]:%T.%f} → {windows[first][1]:%T.%f}; "
          f"second: {second} waited {windows[second][2]:.1f} s, held {windows[second][0]:%T.%f} → "
          f"{windows[second][1]:%T.%f}")


# --- runs Dagster launches (UI, sensor, schedule) ---------------------------------------------

def _one_asset():
    """One cheap asset that writes the warehouse: the organisations directory."""
    from pipelines.definitions import ALL_ASSETS

    return next(a for a in ALL_ASSETS if dg.AssetKey(["raw", "organisations"]) in a.keys)


def test_a_dagster_run_takes_the_same_lock_through_the_warehouse_resource(small_raw, tmp_path, monkeypatch):
    from pipelines.definitions import defs
    from pipelines.resources import Warehouse, build_resources

    assert isinstance(defs.resources["warehouse"], Warehouse)
    warehouse = tmp_path / "warehouse.duckdb"
    resources = build_resources(small_raw, warehouse, tmp_path / "serving.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
         "fcntl.flock(fd, fcntl.LOCK_EX); os.pwrite(fd, str(os.getpid()).ljust(79).encode() + b'\\n', 0); "
         "print('held', flush=True); time.sleep(float(sys.argv[2]))",
         str(operations.lock_path(warehouse)), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        # another run holds the warehouse for longer than this run will wait: it fails, unrun
        monkeypatch.setenv("SOLIDARITY_LOCK_TIMEOUT", "1")
        started = time.monotonic()
        result = dg.materialize([_one_asset()], resources=resources, raise_on_error=False)
        assert not result.success and time.monotonic() - started < 30
        assert not result.get_asset_materialization_events()
        failure = next(e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE")
        assert f"pid {holder.pid}" in str(failure.event_specific_data.error.message)
    finally:
        holder.kill()
        holder.wait()
    # the lock is the kernel's: the holder's death released it, nothing to clean up
    result = dg.materialize([_one_asset()], resources=resources, raise_on_error=False)
    assert result.success


def test_a_dagster_run_on_an_unwritable_warehouse_fails_in_seconds(small_raw, tmp_path):
    from pipelines.resources import build_resources

    folder = tmp_path / "warehouse.duckdb"
    folder.mkdir()
    started = time.monotonic()
    result = dg.materialize([_one_asset()], resources=build_resources(small_raw, folder, tmp_path / "s.duckdb"),
                            raise_on_error=False)
    assert not result.success and time.monotonic() - started < 30
    failure = next(e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE")
    assert f"the warehouse {folder} is a directory" in failure.event_specific_data.error.message


def test_the_demo_instance_runs_one_run_at_a_time(tmp_path):
    """`make demo` and `make dagster` write DAGSTER_HOME/dagster.yaml with a run queue of one."""
    home = tmp_path / "dagster_home"
    done = subprocess.run(["make", "-s", "instance", f"DAGSTER_HOME={home}"], cwd=PROJECT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
    finally:
        instance.dispose()
    # an instance file someone wrote before keeps its lines and gains the limit
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    subprocess.run(["make", "-s", "instance", f"DAGSTER_HOME={home}"], cwd=PROJECT, check=True, capture_output=True)
    text = (home / "dagster.yaml").read_text()
    assert text.startswith("telemetry:\n  enabled: false\n") and "max_concurrent_runs: 1" in text
