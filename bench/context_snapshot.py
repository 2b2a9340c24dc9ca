"""A serving snapshot with the registry context in it, for the dashboard benches (issue 19:
"dashboard p95 < 150 ms at 20 users with the context layer loaded").

    .venv/bin/python -m bench.context_snapshot --raw RAW --work DIR --dump DUMP --context CONTEXT

Materialises RAW into DIR/warehouse.duckdb and DIR/serving.duckdb (`solidarity materialize`, skipped
when the warehouse is there), then runs the `context_marts` job exactly as Dagster would (the
context models over CONTEXT, a folder `solidarity context --dump DUMP --out CONTEXT` wrote, then
the serving snapshot and the exports), in a child process whose environment names these paths.
Prints the context tables' row counts in the snapshot. Then:

    .venv/bin/python -m bench.dashboard_load --serving DIR/serving.duckdb --users 20
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from bench.common import PROJECT_PYTHON, ROOT

_JOB = """
import dagster as dg
from pipelines.definitions import defs
result = defs.resolve_job_def("context_marts").execute_in_process(instance=dg.DagsterInstance.ephemeral(),
                                                                  raise_on_error=False)
raise SystemExit(0 if result.success else 1)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--dump", type=Path, required=True)
    ap.add_argument("--context", type=Path, required=True)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    warehouse, serving = args.work / "warehouse.duckdb", args.work / "serving.duckdb"
    if not warehouse.exists():
        subprocess.run([str(ROOT / ".venv" / "bin" / "solidarity"), "materialize", "--raw", str(args.raw),
                        "--warehouse", str(warehouse), "--serving", str(serving)], check=True)
    env = {**os.environ, "SOLIDARITY_RAW_DIR": str(args.raw.resolve()), "SOLIDARITY_WAREHOUSE": str(warehouse.resolve()),
           "SOLIDARITY_SERVING": str(serving.resolve()), "SOLIDARITY_REGISTRY_DUMP": str(args.dump.resolve()),
           "SOLIDARITY_CONTEXT_DIR": str(args.context.resolve())}
    done = subprocess.run([str(PROJECT_PYTHON), "-c", _JOB], env=env, cwd=ROOT)
    if done.returncode:
        sys.exit("the context_marts job failed")
    with duckdb.connect(str(serving), read_only=True) as conn:
        tables = conn.execute("select table_name, estimated_size from duckdb_tables() "
                              "where table_name like 'context%' order by 1").fetchall()
    for name, rows in tables:
        print(f"{name}: ~{rows:,} rows")


if __name__ == "__main__":
    main()
