"""One ingest asset `raw/<name>` per source of the registry (`pipelines/sources/registry.py`):
a new source is declared there, never here."""

import dagster as dg

from pipelines.defs.factories import ingest_asset
from pipelines.sources.registry import SOURCES

ingest_assets = [
    ingest_asset(
        source=s.name,
        suffixes=s.suffixes,
        reader=s.load_reader,  # imported when the asset runs, not when the definitions load
        tables=s.load_tables(),
        group=s.group,
        description=s.description,
        yearly=s.yearly,
    )
    for s in SOURCES
]


def raw_asset(name: str) -> dg.AssetsDefinition:
    """The ingest asset of one source, to materialise it alone (tests, the workbench)."""
    key = dg.AssetKey(["raw", name])
    return next(a for a in ingest_assets if key in a.keys)
