"""Fixtures for the hostile-world tests: a small raw folder, cheap to rebuild many times."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def small_raw(sample_dir, tmp_path_factory) -> Path:
    """The sample cut to two years of grants and events (a full run in ~15 s on 2 cores)."""
    out = tmp_path_factory.mktemp("small_raw")
    for source in ("grants", "events", "iati", "jobs", "organisations"):
        (out / source).mkdir()
        for f in sorted((sample_dir / source).iterdir()):
            if source not in ("grants", "events") or any(y in f.name for y in ("2024", "2025")):
                shutil.copy2(f, out / source / f.name)
    for marker in sample_dir.glob("*.txt"):
        shutil.copy2(marker, out / marker.name)
    return out


@pytest.fixture(scope="session")
def advisories() -> dict:
    """The advisory file the dependency audit reads (tests/hostile/test_dependency_audit_*.py), read once."""
    from .audit_support import ADVISORIES

    assert ADVISORIES.exists(), (f"{ADVISORIES} is missing: make it with `make refresh-advisories "
                                 "ADVISORY_DB=<git copy of pypa/advisory-database, or a folder of collected "
                                 "files>` (docs/security.md)")
    return json.loads(ADVISORIES.read_text(encoding="utf-8"))


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_HOME", "SOLIDARITY_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def materialize_cmd(raw: Path, warehouse: Path, serving: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "materialize", "--raw", str(raw),
            "--warehouse", str(warehouse), "--serving", str(serving)]


def run_materialize(raw: Path, warehouse: Path, serving: Path) -> subprocess.CompletedProcess:
    return subprocess.run(materialize_cmd(raw, warehouse, serving), cwd=PROJECT, env=cli_env(),
                          capture_output=True, text=True, timeout=600)


def snapshot_state(serving: Path) -> dict:
    """What a reader of the served file sees: its version and its funding figures."""
    conn = duckdb.connect(str(serving), read_only=True)
    try:
        version = conn.execute("select distinct snapshot_version from manifest").fetchall()
        totals = conn.execute(
            "select year, round(sum(committed_eur), 2), round(sum(disbursed_eur), 2) "
            "from funding group by year order by year"
        ).fetchall()
    finally:
        conn.close()
    assert len(version) == 1
    return {"version": version[0][0], "funding": totals}
