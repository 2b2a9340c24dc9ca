"""Where the context layer reads and writes: the registry dump and the Parquet folder (docs/context.md)."""

from __future__ import annotations

import os

import dagster as dg

from pipelines.settings import DATA_DIR

DUMP_ENV = "SOLIDARITY_REGISTRY_DUMP"
# also what the context models read (sql/macros/context_parquet.sql): one name, one folder
CONTEXT_ENV = "SOLIDARITY_CONTEXT_DIR"


class RegistryDump(dg.ConfigurableResource):
    """The IATI registry's bulk dump (`data/<publisher>/<file>`, optional `metadata/`) and the
    context layer written from it (`manifest.json`, hive-partitioned Parquet)."""

    dump_dir: str
    context_dir: str


def registry_dump() -> RegistryDump:
    return RegistryDump(
        dump_dir=os.environ.get(DUMP_ENV, str(DATA_DIR / "registry")),
        context_dir=os.environ.get(CONTEXT_ENV, str(DATA_DIR / "context")),
    )
