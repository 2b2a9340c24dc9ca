"""Projects: IATI activity XML files from `iati/`, read as a stream."""

from pipelines.defs.factories import ingest_asset
from pipelines.sources.contracts import IATI_TABLES


def _reader():
    # batches appended to the warehouse as they are read: memory bounded by a batch
    from pipelines.sources.iati import iter_activity_batches

    return iter_activity_batches


raw_iati = ingest_asset(
    source="iati",
    suffixes=(".xml",),
    reader=_reader,
    tables=IATI_TABLES,
    group="projects",
    description="IATI activities with their places, sectors, transactions, budgets and "
    "results; hostile XML is refused whole and recorded.",
)
