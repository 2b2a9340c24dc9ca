"""Operations that cannot corrupt (issue 20): failures publish nothing.

- A warehouse or serving path that cannot be written (a folder, a file where a folder
  should be, a read-only file system, too little free space) stops the run in seconds,
  in a few lines naming the path and the cause; the served snapshot is byte-identical.
- No failure path (step, blocking check, lock timeout, pre-flight) says "published"
  other than "NOT published", and none touches the served file.

As root (CI) `chmod` does not stop writes: the unwritable cases are a path whose parent
is a regular file, a path that is a directory, and, where the kernel lets us mount, a
read-only and a full tmpfs.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import operations
from pipelines.run import Outcome

from .conftest import PROJECT, cli_env, materialize_cmd
from .operations_support import sha256


@pytest.fixture
def served(built, tmp_path) -> Path:
    """A real published snapshot, copied: what the failing runs must leave untouched."""
    _, _, serving = built
    copy = tmp_path / "served" / "serving.duckdb"
    copy.parent.mkdir()
    shutil.copy2(serving, copy)
    return copy


def assert_never_says_published(output: str) -> None:
    """'published' only ever as 'NOT published'."""
    for m in re.finditer(r"published", output, re.IGNORECASE):
        line = output[output.rfind("\n", 0, m.start()) + 1: output.find("\n", m.end())]
        assert output[max(0, m.start() - 4): m.start()] == "NOT ", f"says published: {line!r}"
    assert "NOT published" in output


def run_cli(raw: Path, warehouse: Path, serving: Path, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(materialize_cmd(raw, warehouse, serving), cwd=PROJECT, env=cli_env() | env,
                          capture_output=True, text=True, timeout=600)
    return done, time.monotonic() - started


# --- paths that cannot be written -------------------------------------------------------------

def _unwritable(case: str, tmp_path: Path, served: Path) -> tuple[Path, Path, dict[str, str], str]:
    """(warehouse, serving, env, what the message must name) for each unwritable case."""
    blocker = tmp_path / "a-file"
    blocker.write_text("a regular file where a folder should be\n")
    if case == "warehouse parent is a file":
        return blocker / "warehouse.duckdb", served, {}, str(blocker)
    if case == "warehouse is a directory":
        folder = tmp_path / "warehouse.duckdb"
        folder.mkdir()
        return folder, served, {}, str(folder)
    if case == "serving folder under a file":
        return tmp_path / "warehouse.duckdb", blocker / "sub" / "serving.duckdb", {}, str(blocker / "sub")
    if case == "disk full (free space under the minimum)":
        return tmp_path / "warehouse.duckdb", served, {"SOLIDARITY_MIN_FREE_MB": "1e12"}, str(tmp_path)
    raise AssertionError(case)


@pytest.mark.parametrize("case", [
    "warehouse parent is a file",
    "warehouse is a directory",
    "serving folder under a file",
    "disk full (free space under the minimum)",
])
def test_an_unwritable_path_fails_in_seconds_and_publishes_nothing(case, small_raw, served, tmp_path):
    before = sha256(served)
    warehouse, serving, env, named = _unwritable(case, tmp_path, served)
    done, seconds = run_cli(small_raw, warehouse, serving, **env)
    output = done.stdout + done.stderr
    lines = output.strip().splitlines()
    assert done.returncode != 0, output
    assert seconds < 60, f"{case}: {seconds:.1f} s"
    assert len(lines) <= 10, output
    assert named in output, output
    assert_never_says_published(output)
    assert sha256(served) == before
    assert not (warehouse.is_file() and warehouse.stat().st_size), "the warehouse was written"
    print(f"{case}: exit {done.returncode} in {seconds:.1f} s, {len(lines)} lines: {lines[0]}")


def _cannot_mount(reason: str) -> None:
    """CI runs as root and mounts its tmpfs: there a case that cannot run is a failure, never a
    skip; on a developer's machine without the right to mount, it is skipped with its reason."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this case: {reason}")
    pytest.skip(reason)


def _mount_tmpfs(target: Path, options: str) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def mounts(tmp_path):
    mounted = []
    yield mounted
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_a_read_only_or_full_file_system_fails_in_seconds(small_raw, served, tmp_path, mounts):
    """The real errors, not simulated: EROFS and ENOSPC (as root, where the kernel lets us
    mount a tmpfs), or a folder without write permission (not root)."""
    before = sha256(served)
    cases = []
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        cases.append(("folder without write permission", locked / "warehouse.duckdb", "Permission denied"))
    else:
        read_only, full = tmp_path / "ro", tmp_path / "full"
        if _mount_tmpfs(read_only, "ro,size=1m"):
            mounts.append(read_only)
            cases.append(("read-only file system", read_only / "warehouse.duckdb", "Read-only file system"))
        if _mount_tmpfs(full, "size=256k"):
            mounts.append(full)
            filler = os.open(full / "filler", os.O_WRONLY | os.O_CREAT)
            try:
                while os.write(filler, b"\0" * 4096):  # until the file system is full
                    pass
            except OSError:
                pass
            finally:
                os.close(filler)
            cases.append(("no space left on device", full / "warehouse.duckdb", "No space left on device"))
    if not cases:
        _cannot_mount("root without the right to mount a tmpfs: covered by the other unwritable cases")
    for case, warehouse, cause in cases:
        done, seconds = run_cli(small_raw, warehouse, served, SOLIDARITY_MIN_FREE_MB="0")
        output = done.stdout + done.stderr
        assert done.returncode != 0, output
        assert seconds < 60, f"{case}: {seconds:.1f} s"
        assert len(output.strip().splitlines()) <= 10, output
        assert str(warehouse.parent) in output and cause in output, output
        assert_never_says_published(output)
        assert sha256(served) == before
        print(f"{case}: exit {done.returncode} in {seconds:.1f} s: {output.strip().splitlines()[0]}")


def test_a_disk_that_fills_during_the_run_stops_it_without_waiting(small_raw, served, tmp_path, mounts):
    """Past the pre-flight (minimum set to 0), the warehouse's 4 MB disk fills while the
    sources load: each writer fails at once (no retry), nothing is published, and the
    summary says the cause once for all the steps it stopped."""
    if os.geteuid() != 0 or not _mount_tmpfs(tmp_path / "small", "size=4m"):
        _cannot_mount("needs a tmpfs mount (root with CAP_SYS_ADMIN)")
    mounts.append(tmp_path / "small")
    before = sha256(served)
    warehouse = tmp_path / "small" / "warehouse.duckdb"
    done, seconds = run_cli(small_raw, warehouse, served, SOLIDARITY_MIN_FREE_MB="0")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert seconds < 120, seconds
    summary = done.stdout.strip().splitlines()
    assert any(line.startswith("STEP FAILED:") and "No space left on device" in line and str(warehouse) in line
               for line in summary), done.stdout
    assert_never_says_published(output)
    assert sha256(served) == before
    print(f"disk full mid-run: exit {done.returncode} in {seconds:.1f} s, {len(output.splitlines())} lines "
          f"(summary {len(summary)}): " + " | ".join(summary))


def test_connect_never_waits_on_an_error_that_cannot_heal(tmp_path):
    folder = tmp_path / "warehouse.duckdb"
    folder.mkdir()
    started = time.monotonic()
    with pytest.raises(operations.WarehouseUnavailable, match=re.escape(str(folder))):
        operations.connect(str(folder))
    assert time.monotonic() - started < 5  # dagster-duckdb's own resource retried for ~100 s

    # a lock another process holds does heal: connect waits for it
    path = tmp_path / "busy.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); "
                               "time.sleep(1.5)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    conn = operations.connect(str(path))
    conn.close()
    holder.wait()
    assert time.monotonic() - started > 0.5


# --- no failure says "published" --------------------------------------------------------------

def test_report_lines_say_published_only_when_this_run_swapped_the_snapshot():
    refused = Outcome(success=False, refused="the warehouse /x is a directory, not a file")
    step = Outcome(success=False, materialized=["raw/grants"], failed_steps=["publish__serving_snapshot"],
                   step_errors={"publish__serving_snapshot": "OSError: [Errno 28] No space left on device"})
    check = Outcome(success=False, materialized=["marts/kpis"], failed_checks=["marts/kpis:always_fails"])
    for outcome in (refused, step, check):
        assert_never_says_published("\n".join(outcome.report_lines()))
    done = Outcome(success=True, materialized=["publish/serving_snapshot"], snapshot="/s.duckdb",
                   snapshot_version="abc")
    assert done.report_lines()[-1] == "serving snapshot published: /s.duckdb (version abc)"
    # published, then a later step failed: it was published, and the run still failed
    after = Outcome(success=False, materialized=["publish/serving_snapshot"], snapshot="/s.duckdb",
                    failed_steps=["publish__exports"])
    assert "serving snapshot published: /s.duckdb" in after.report_lines()
    assert "NOT published" not in "\n".join(after.report_lines())


def test_a_lock_timeout_runs_nothing_and_publishes_nothing(small_raw, served, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    before = sha256(served)
    fd = os.open(operations.lock_path(warehouse), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another run, as far as the CLI can tell
        os.pwrite(fd, f"{os.getpid()}".ljust(79).encode() + b"\n", 0)
        done, seconds = run_cli(small_raw, warehouse, served, SOLIDARITY_LOCK_TIMEOUT="3")
    finally:
        os.close(fd)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert 3 <= seconds < 60, seconds
    assert output.count(f"waiting for another run on {warehouse} (pid {os.getpid()})…") == 1, output
    assert "SOLIDARITY_LOCK_TIMEOUT=3" in output, output
    assert len(output.strip().splitlines()) <= 10, output
    assert_never_says_published(output)
    assert sha256(served) == before
    assert not warehouse.exists(), "a run that timed out on the lock opened the warehouse"
    print(f"lock timeout 3 s: exit {done.returncode} in {seconds:.1f} s: " + " | ".join(output.strip().splitlines()))


def _cli(monkeypatch, raw: Path, warehouse: Path, serving: Path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    return CliRunner().invoke(app, ["materialize", "--raw", str(raw), "--warehouse", str(warehouse),
                                    "--serving", str(serving)])


def test_a_failed_step_or_blocking_check_never_says_published(monkeypatch, small_raw, served, tmp_path):
    import pipelines.definitions
    import pipelines.defs.publish.assets as publish_assets

    before = sha256(served)
    # the disk fills as the snapshot is written: the publish step fails
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(served))

    with monkeypatch.context() as patch:
        patch.setattr(publish_assets, "publish_snapshot", disk_full)
        result = _cli(patch, small_raw, tmp_path / "w1.duckdb", served)
    assert result.exit_code == 1, result.output
    assert "STEP FAILED: publish__serving_snapshot: " in result.output and "No space left" in result.output
    assert_never_says_published(result.output)
    assert sha256(served) == before
    print("publish step failed: exit 1: " + " | ".join(
        line for line in result.output.splitlines() if line.startswith(("STEP", "serving"))))

    # a blocking check fails on a mart the snapshot needs: publish never runs
    @dg.asset_check(asset=dg.AssetKey(["marts", "kpis"]), name="always_fails", blocking=True)
    def always_fails() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)

    with monkeypatch.context() as patch:
        patch.setattr(pipelines.definitions, "ALL_CHECKS", [*pipelines.definitions.ALL_CHECKS, always_fails])
        result = _cli(patch, small_raw, tmp_path / "w2.duckdb", served)
    assert result.exit_code == 1, result.output
    assert "BLOCKING CHECK FAILED: marts/kpis:always_fails" in result.output
    assert_never_says_published(result.output)
    assert sha256(served) == before
    print("blocking check failed: exit 1: " + " | ".join(
        line for line in result.output.splitlines() if line.startswith(("BLOCKING", "STEP", "serving"))))
