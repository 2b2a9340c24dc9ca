"""Projects: IATI activity XML files from `iati/`, read as a stream."""

from pipelines.defs.factories import ingest_asset
from pipelines.sources.contracts import IATI_TABLES
from pipelines.sources.iati import iter_activity_batches

raw_iati = ingest_asset(
    source="iati",
    suffixes=(".xml",),
    # batches appended to the warehouse as they are read: memory bounded by a batch
    reader=lambda: iter_activity_batches,
    tables=IATI_TABLES,
    group="projects",
    description="IATI activities with their places, sectors, transactions, budgets and "
    "results; hostile XML is refused whole and recorded.",
)
