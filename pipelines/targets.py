"""Annual targets from `data/config/targets.toml`, the file officials' staff edit."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import polars as pl

from pipelines.settings import CONFIG_DIR

TARGETS_FILE = CONFIG_DIR / "targets.toml"
TARGETS_SCHEMA = {
    "indicator": pl.String,
    # a budget target is money: exact as written in the file (DECIMAL(38, 10), docs/money-rules.md)
    "target": pl.Decimal(38, 10),
    "from_year": pl.Int32,
    "to_year": pl.Int32,
    "note": pl.String,
}


def load_targets(path: Path = TARGETS_FILE) -> pl.DataFrame:
    with open(path, "rb") as handle:
        blocks = tomllib.load(handle, parse_float=Decimal).get("target", [])
    rows = [
        {
            "indicator": b["indicator"],
            "target": Decimal(b["target"]),
            "from_year": int(b["from_year"]),
            "to_year": int(b["to_year"]) if "to_year" in b else None,
            "note": b.get("note"),
        }
        for b in blocks
    ]
    return pl.DataFrame(rows, schema=TARGETS_SCHEMA)
