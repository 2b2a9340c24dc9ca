"""Dagster resources: the raw inbox, the warehouse and the serving snapshot.

Paths come from the environment with defaults (`pipelines.settings`); the CLI and
the tests hand in explicit paths. The warehouse is `Warehouse`, a dagster-duckdb
`DuckDBResource` (assets annotate `warehouse: DuckDBResource`) that holds the
warehouse's run lock for the whole run and never waits on an error that cannot heal
(`pipelines/operations.py`): one writer process at a time, so the default executor runs
in process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import operations, settings
from pipelines.dbt_project import DBT_EXECUTABLE, DBT_PROJECT, WarehouseDbt
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


class Warehouse(DuckDBResource):
    """The warehouse, for every run however launched (`solidarity materialize`, the UI, the
    inbox sensor, the nightly schedule): when the run starts, its folder is checked
    (writable, `SOLIDARITY_MIN_FREE_MB` free) and `<database>.lock` is taken, then held
    until the run ends, publish included. A second run waits for it (at most
    `SOLIDARITY_LOCK_TIMEOUT` s, then fails, nothing published). The in-process executor
    builds resources once per run, so once per run is once for all its steps.

    Connections are dagster-duckdb's, but retried only while another process holds
    DuckDB's own lock: an unwritable, read-only, full or mistyped path fails at once."""

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["Warehouse"]:
        if not operations.is_file_database(self.database):
            yield self
            return
        operations.check_writable(self.database, "warehouse")
        say = context.log.warning if context.log else operations.say_on_stderr
        with operations.run_lock(self.database, say=say) as hold:
            if hold.waited_s >= 1 and context.log:
                context.log.info(f"got the run lock on {self.database} after {hold.waited_s:.1f} s")
            yield self

    @contextlib.contextmanager
    def get_connection(self):
        conn = operations.connect(self.database, {"custom_user_agent": "dagster", **self.connection_config})
        try:
            yield conn
        finally:
            conn.close()


class ServingSnapshot(dg.ConfigurableResource):
    """The read-only file the dashboard serves, replaced atomically on publish. A run that
    would publish it first checks its folder (writable, `SOLIDARITY_MIN_FREE_MB` free)."""

    path: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        operations.check_writable(self.path, "serving snapshot")


def build_resources(
    raw_dir: Path | str | None = None,
    warehouse: Path | str | None = None,
    serving: Path | str | None = None,
) -> dict[str, dg.ConfigurableResource]:
    # no folder made here: `dagster dev` must load even when a path is wrong; the run,
    # when it starts, makes the folders or says why it cannot
    return {
        "raw_files": RawFiles(raw_dir=str(raw_dir or settings.raw_dir())),
        "warehouse": Warehouse(database=str(warehouse or settings.warehouse_path())),
        "serving": ServingSnapshot(path=str(serving or settings.serving_path())),
        # the SQL models (sql/, a dbt project) write the warehouse above: pipelines/defs/models
        "dbt": WarehouseDbt(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE),
    }
