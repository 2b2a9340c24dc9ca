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


def raw_dir() -> Path:
    return Path(os.environ.get("SOLIDARITY_RAW_DIR", DATA_DIR / "sample"))


def warehouse_path() -> Path:
    return Path(os.environ.get("SOLIDARITY_WAREHOUSE", DATA_DIR / "warehouse.duckdb"))


def serving_path() -> Path:
    return Path(os.environ.get("SOLIDARITY_SERVING", DATA_DIR / "serving.duckdb"))
