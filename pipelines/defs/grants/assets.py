"""Grants: SCDL `subventions` files (CSV, xlsx, xls, ods) from `grants/`."""

from pipelines.defs.factories import ingest_asset
from pipelines.sources.contracts import GRANT_TABLES
from pipelines.sources.scdl import read_grants

raw_grants = ingest_asset(
    source="grants",
    suffixes=(".csv", ".xlsx", ".xls", ".ods"),
    reader=lambda: read_grants,
    tables=GRANT_TABLES,
    group="grants",
    # a grant's year is its convention's year: re-running 2020 replaces 2020's grants only
    yearly={"grants": "year"},
    description="Grants as published in the SCDL `subventions` format, one row per grant, "
    "with every rejected row in quality.rejected_rows.",
)
