"""Where things live. One place for every path, read from the environment with defaults.

The CLI passes explicit paths; `dagster dev` and the sensor use these defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SQL_DIR = PROJECT_ROOT / "sql"
REFERENCE_DIR = DATA_DIR / "reference"
CONFIG_DIR = DATA_DIR / "config"

# The registry context's tables in the serving snapshot (docs/context.md): its marts (the dbt models
# of sql/models/context/marts) and its provenance row, published together or not at all
# (pipelines/publish.py); the dashboard shows "Autres bailleurs" when they are there.
CONTEXT_MARTS = tuple(sorted(p.stem for p in (SQL_DIR / "models" / "context" / "marts").glob("*.sql")))
CONTEXT_SOURCE = "context_source"

# A raw folder written by `solidarity sample` holds this file: its figures are invented,
# and every page that shows them says so.
SAMPLE_MARKER = "SAMPLE-DATA.txt"


def raw_dir() -> Path:
    return Path(os.environ.get("SOLIDARITY_RAW_DIR", DATA_DIR / "sample"))


def warehouse_path() -> Path:
    return Path(os.environ.get("SOLIDARITY_WAREHOUSE", DATA_DIR / "warehouse.duckdb"))


def serving_path() -> Path:
    return Path(os.environ.get("SOLIDARITY_SERVING", DATA_DIR / "serving.duckdb"))


# The analyst login in front of the dashboard's analyst pages. No default password:
# without SOLIDARITY_ANALYST_PASSWORD the analyst pages stay locked.
def analyst_user() -> str:
    return os.environ.get("SOLIDARITY_ANALYST_USER", "analyste")


def analyst_password() -> str | None:
    return os.environ.get("SOLIDARITY_ANALYST_PASSWORD") or None


# When the nightly rebuild runs (cron, in the region's time zone), if its schedule is on.
def nightly_cron() -> str:
    return os.environ.get("SOLIDARITY_NIGHTLY_CRON", "30 2 * * *")


TIMEZONE = "Europe/Paris"


# Operations (issue 20, `pipelines/operations.py`): one run at a time per warehouse, and a
# run that cannot write stops before it starts.
def _number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None


# How long a run waits (seconds) for another run on the same warehouse to finish before
# giving up, with nothing run and nothing published.
def lock_timeout() -> float:
    return _number("SOLIDARITY_LOCK_TIMEOUT", 3600)


# Free space (MB) a run needs in the warehouse's folder and in the serving snapshot's
# folder, checked before it starts: under it, the run refuses to start ("disk full").
def min_free_mb() -> float:
    return _number("SOLIDARITY_MIN_FREE_MB", 256)


# DuckDB's memory (MB) while a source's files are stored in the raw tables (issue 19). DuckDB
# keeps the blocks it appends in its buffer pool up to its `memory_limit`, 80 % of RAM by default:
# without this, ingesting a 2 GB grants file grew to 847 MB (a 20 MB file: 311 MB). Bounded, the
# blocks go to the warehouse file (or its temporary folder) instead. The exports and the models
# have bounds of their own (below).
def ingest_duckdb_mb() -> float:
    return _number("SOLIDARITY_INGEST_DUCKDB_MB", 128)


# DuckDB's memory (MB) while the open-data exports are written (`export.published.write_exports`).
# The IATI export keeps each of its queries' results by chunk in temporary tables (linear time,
# `export.iati_warehouse`): at x100, 1.48 GB of RSS with DuckDB's default, 625 MB bounded to 256.
def export_duckdb_mb() -> float:
    return _number("SOLIDARITY_EXPORT_DUCKDB_MB", 256)


# DuckDB's memory (MB) while dbt builds the models (`pipelines/defs/models/build.py`, through
# sql/profiles.yml). DuckDB's default (80 % of RAM) let the x100 build reach 3.0 GB of RSS, the
# whole run's peak; bounded to 1,024 it peaks at 1.4 GB and takes 14 % longer (512: 0.9 GB, +49 %).
def models_duckdb_mb() -> float:
    return _number("SOLIDARITY_MODELS_DUCKDB_MB", 1024)
