"""Dagster resources: the raw inbox, the warehouse and the serving snapshot.

Each is a small `ConfigurableResource` so tests hand in temporary paths. The
warehouse is the only writer of its DuckDB file; the serving snapshot is written
by the publish step only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import settings
from pipelines.warehouse import ensure_layers


class RawFiles(dg.ConfigurableResource):
    """The folder analysts drop files into: one sub-folder per source."""

    raw_dir: str

    def files(self, source: str, suffixes: tuple[str, ...]) -> list[Path]:
        folder = Path(self.raw_dir) / source
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file (one writer process at a time)."""

    path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(self.path)
        try:
            ensure_layers(conn)
            yield conn
        finally:
            conn.close()


class ServingSnapshot(dg.ConfigurableResource):
    """The read-only file the dashboard serves, replaced atomically on publish."""

    path: str


def build_resources(raw_dir: Path | str | None = None, warehouse: Path | str | None = None,
                    serving: Path | str | None = None) -> dict[str, dg.ConfigurableResource]:
    return {
        "raw_files": RawFiles(raw_dir=str(raw_dir or settings.raw_dir())),
        "warehouse": Warehouse(path=str(warehouse or settings.warehouse_path())),
        "serving": ServingSnapshot(path=str(serving or settings.serving_path())),
    }
