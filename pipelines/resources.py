"""Dagster resources: the raw inbox, the warehouse and the serving snapshot.

Paths come from the environment with defaults (`pipelines.settings`); the CLI and
the tests hand in explicit paths. The warehouse is dagster-duckdb's `DuckDBResource`:
one writer process at a time, so the default executor runs in process.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import settings
from pipelines.settings import SAMPLE_MARKER


class RawFiles(dg.ConfigurableResource):
    """The folder analysts drop files into: one sub-folder per source."""

    raw_dir: str

    @property
    def is_sample(self) -> bool:
        """A folder written by `solidarity sample` carries a marker: its figures are invented."""
        return (Path(self.raw_dir) / SAMPLE_MARKER).exists()

    def files(self, source: str, suffixes: tuple[str, ...] = ()) -> list[Path]:
        """Every file of the source's folder, whatever its name: an IATI file downloaded from
        a registry URL has no `.xml`, and a file skipped for its suffix would be money lost
        silently. The reader tells by content and refuses, with the cause, what is not its
        own; the manifest lists every file, read or refused. `suffixes` (the usual ones)
        only orders them: usual files first, then the others, each group by name."""
        folder = Path(self.raw_dir) / source
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if p.is_file()]
        return sorted(found, key=lambda p: (p.suffix.lower() not in suffixes, p.name))


    def unread(self, read: set[tuple[str, str]]) -> list[tuple[str, Path]]:
        """Files under the raw folder that no source read: at its top, in a folder no source
        owns, or in a sub-folder of a source's folder. Given the (source, file name) pairs
        read, returns (folder, path relative to the raw folder) for each: the manifest lists
        them, so nothing under the raw folder is skipped silently. The sample marker is the
        folder's own label, not data."""
        root = Path(self.raw_dir)
        if not root.is_dir():
            return []
        out = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = path.relative_to(root)
            if relative == Path(SAMPLE_MARKER):
                continue
            folder = relative.parts[0] if len(relative.parts) > 1 else ""
            if len(relative.parts) == 2 and (folder, path.name) in read:
                continue
            out.append((folder, relative))
        return out


class ServingSnapshot(dg.ConfigurableResource):
    """The read-only file the dashboard serves, replaced atomically on publish."""

    path: str


def build_resources(
    raw_dir: Path | str | None = None,
    warehouse: Path | str | None = None,
    serving: Path | str | None = None,
) -> dict[str, dg.ConfigurableResource]:
    warehouse_path = Path(warehouse or settings.warehouse_path())
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "raw_files": RawFiles(raw_dir=str(raw_dir or settings.raw_dir())),
        "warehouse": DuckDBResource(database=str(warehouse_path)),
        "serving": ServingSnapshot(path=str(serving or settings.serving_path())),
    }
