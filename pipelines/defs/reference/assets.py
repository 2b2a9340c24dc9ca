"""Reference tables shipped in `data/reference/` and the targets config, into `ref.*`."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines import reference
from pipelines.defs.factories import OWNERS
from pipelines.targets import load_targets
from pipelines.warehouse import replace_table


def _exact_rates(frame: pl.DataFrame) -> pl.DataFrame:
    """Euro rates as the published decimals (DECIMAL(38, 10)), read back from the loader's
    doubles through their shortest text: the ECB publishes 4-6 significant digits, so the text
    is the published one (docs/money-rules.md, "Exact money")."""
    return frame.with_columns(pl.col("eur_rate").cast(pl.String).cast(pl.Decimal(38, 10)))


LOADERS = {
    "countries": reference.load_countries,
    "dac_sectors": reference.load_sectors,
    "dac_categories": reference.load_sector_categories,
    "iati_regions": reference.load_iati_regions,
    "regions": reference.load_regions,
    "departements": reference.load_departements,
    "communes": reference.load_communes,
    "ecb_rates": lambda: _exact_rates(reference.load_rates()),
    "pegged_currencies": lambda: _exact_rates(reference.load_pegged_currencies()),
    "consumer_prices": reference.load_consumer_prices,
    "targets": load_targets,
}


@dg.asset(
    key=dg.AssetKey(["ref", "reference_tables"]),
    group_name="reference",
    kinds={"python", "duckdb"},
    owners=OWNERS,
    description="Countries (ISO 3166, FR/EN names, DAC recipient and LDC flags), OECD DAC "
    "sectors, IATI regions (FR/EN names), communes → départements → régions, ECB euro rates and pegged currencies, "
    "INSEE's annual consumer price index, and the programme's targets. Versioned files, never fetched at run time.",
)
def reference_tables(warehouse: DuckDBResource) -> dg.MaterializeResult:
    counts = {}
    with warehouse.get_connection() as conn:
        for table, load in LOADERS.items():
            frame = load()
            replace_table(conn, f"ref.{table}", frame)
            counts[table] = frame.height
    return dg.MaterializeResult(
        metadata={f"rows_{t}": dg.MetadataValue.int(n) for t, n in counts.items()}
        | {"dagster/row_count": dg.MetadataValue.int(sum(counts.values()))}
    )
