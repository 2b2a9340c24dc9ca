"""SIGKILL the materialisation at random points: the served snapshot never changes
under the reader, no partial snapshot is ever served, and the next run recovers.

One complete run publishes the snapshot and gives the reference figures; then the
CLI is started again and killed (SIGKILL: no cleanup, no atexit) after a random
delay spread over the length of a run, 20 times, reusing the same warehouse file.
After each kill the served file must still open read-only with the same version and
the same funding figures. Finally a run must complete on the (possibly torn)
warehouse and give the reference figures, and must clear temp files left behind.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

from .conftest import PROJECT, cli_env, materialize_cmd, run_materialize, snapshot_state

KILLS = 20


def test_sigkill_at_random_points_never_breaks_the_served_snapshot(small_raw: Path, tmp_path: Path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    started = time.monotonic()
    first = run_materialize(small_raw, warehouse, serving)
    run_seconds = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    reference = snapshot_state(serving)
    assert reference["funding"], "the reference run published no funding"

    rng = random.Random(10)
    # one delay per stratum of the run, so kills land in every phase (startup, ingest,
    # SQL, checks, publish), in random order; a run that finishes before its kill does
    # not count, so KILLS kills really interrupt a run (bounded number of attempts)
    strata = list(range(KILLS))
    rng.shuffle(strata)
    interrupted = finished = swapped = attempts = 0
    while interrupted < KILLS and attempts < 2 * KILLS:
        delay = 0.9 * run_seconds * (strata[attempts % KILLS] + rng.random()) / KILLS
        attempts += 1
        before = serving.stat().st_ino
        child = subprocess.Popen(materialize_cmd(small_raw, warehouse, serving), cwd=PROJECT, env=cli_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.returncode == -signal.SIGKILL:
            interrupted += 1
        else:
            finished += 1
        # the served path always holds a complete snapshot: it opens read-only, its manifest
        # names one version, its figures are the reference ones. Its version changes only
        # when a run got to publish (same inputs, same version unless the code changed)
        state = snapshot_state(serving)
        assert state["funding"] == reference["funding"], f"after a kill at {delay:.1f} s"
        if serving.stat().st_ino == before:
            assert state["version"] == reference["version"] or swapped, f"after a kill at {delay:.1f} s"
        else:
            swapped += 1
        temps = sorted(p.name for p in tmp_path.glob(".serving.duckdb.*"))
        assert all(p.endswith((".tmp", ".tmp.wal")) for p in temps), temps
    assert interrupted == KILLS, f"only {interrupted} of {attempts} kills landed inside a run"

    # a temp file from a killed publish, as a crash leaves it: the next publish removes it
    stale = tmp_path / ".serving.duckdb.0123456789abcdef.tmp"
    stale.write_bytes(b"partial")
    final = run_materialize(small_raw, warehouse, serving)
    assert final.returncode == 0, final.stdout + final.stderr
    assert snapshot_state(serving)["funding"] == reference["funding"]
    print(f"kills inside a run: {interrupted} of {attempts}, run: {run_seconds:.1f} s, "
          f"finished before the kill: {finished}, snapshot swapped by a run: {swapped}")
    assert list(tmp_path.glob(".serving.duckdb.*")) == []
