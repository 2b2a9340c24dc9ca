"""`dbt build` run inside the Dagster step's process, read by dagster-dbt as the dbt process it
would have started.

dagster-dbt starts `dbt` as a subprocess that imports dbt (~2.4 s of CPU) and parses the
project again, while the Dagster process has already imported most of dbt (dagster-dbt
does). At the sample's scale that start-up was a tenth of `solidarity materialize`
(docs/benchmarks.md, issue 18). dbt's own programmatic entry point (`dbtRunner`, supported
since dbt-core 1.5) runs the same command here instead; `DbtInThisProcess` stands where
dagster-dbt expects a `subprocess.Popen`: its `stdout` gives dbt's events as the JSON lines
`dbt --log-format json` prints, so dagster-dbt's own code turns them into materialisations
and check results exactly as it does for a process.

What differs from a process, and how it is handled:
- dbt-duckdb keeps its DuckDB database open for the life of the process (it is closed at
  exit): `_release_warehouse` closes it when the build ends, or the next step, another
  process or the snapshot copy would find the warehouse locked;
- dbt reads `os.environ` when invoked: the caller sets what the profile reads
  (`pipelines.defs.models.build.environment`), for the time of the build;
- one dbt command at a time per process (dbt's flags and adapters are global): `_ONE_AT_A_TIME`.
  Dagster's in-process executor runs one step at a time anyway; the multiprocess executor
  gives each step its own process;
- an interrupted run cannot stop dbt half-way: the step waits for the build to end.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson

# Only what the console of `dbt build` shows (dbt's default level, info) reaches the run's log,
# as with the process; dbt's debug events (every SQL query, ~2,000 at the sample's scale) go to
# dbt.log in the run's target folder only.
SHOWN_LEVELS = frozenset({"info", "warn", "error"})
_ONE_AT_A_TIME = threading.Lock()


class _Lines:
    """The stand-in's stdout: JSON lines as they come, ended by None."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.closed = False

    def put(self, line: bytes | None) -> None:
        self._queue.put(line)

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._queue.get()) is not None:
            yield line

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc) -> None:
        self.closed = True


class DbtInThisProcess:
    """A dbt command running in a thread of this process, with the face of the
    `subprocess.Popen` dagster-dbt reads (`args`, `stdout`, `wait`, `returncode`, `send_signal`)."""

    def __init__(self, args: Sequence[str]) -> None:
        self.args = ["dbt", *args]
        self.stdout = _Lines()
        self.returncode: int | None = None
        self._thread = threading.Thread(target=self._run, args=(list(args),), name="dbt", daemon=True)
        self._thread.start()

    def _on_event(self, message) -> None:
        from dbt_common.events.functions import msg_to_dict

        if message.info.level in SHOWN_LEVELS:
            self.stdout.put(orjson.dumps(msg_to_dict(message)))

    def _run(self, args: list[str]) -> None:
        from dbt.cli.main import dbtRunner

        code = 2
        try:
            with _ONE_AT_A_TIME:
                try:
                    result = dbtRunner(callbacks=[self._on_event]).invoke(args)
                    # dbt's exit codes: 1 when a node failed, 2 when dbt itself could not run
                    code = 0 if result.success else (2 if result.exception is not None else 1)
                    if result.exception is not None:
                        self._error_line(f"dbt could not run: {result.exception!r}")
                finally:
                    _release_warehouse()
        except BaseException as error:  # noqa: BLE001 - reported to the step, never lost in the thread
            self._error_line(f"dbt failed in this process: {error!r}")
        finally:
            self.returncode = code
            self.stdout.put(None)

    def _error_line(self, text: str) -> None:
        self.stdout.put(orjson.dumps({"info": {"name": "InProcessError", "level": "error", "msg": text}, "data": {}}))

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, _signal) -> None:
        """dbt in a thread cannot be interrupted: the build runs to its end (see `wait`)."""


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process's life."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()


def build_args(*, project_dir: Path, profiles_dir: Path, target_path: Path, selection: Sequence[str],
               indirect_selection: str | None) -> list[str]:
    """`dbt build` with what dagster-dbt passes its process through the environment as flags."""
    return [
        "build", *selection,
        "--project-dir", os.fspath(project_dir), "--profiles-dir", os.fspath(profiles_dir),
        "--target-path", os.fspath(target_path), "--log-path", os.fspath(target_path),
        "--no-send-anonymous-usage-stats", "--log-level", "none", "--log-level-file", "debug",
        *(["--indirect-selection", indirect_selection] if indirect_selection else []),
    ]
