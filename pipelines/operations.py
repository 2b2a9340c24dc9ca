"""Operations that cannot corrupt (issue 20): one run at a time per warehouse, and a run
that cannot write stops at once, naming the path and the cause.

- `run_lock`: an exclusive `fcntl.flock` on `<warehouse>.lock`, held for the whole run,
  publish included. A second run on the same warehouse says once
  "waiting for another run on <warehouse> (pid N)…" and waits; after
  `SOLIDARITY_LOCK_TIMEOUT` seconds it gives up (`WarehouseBusy`): nothing run, nothing
  published. The kernel drops the lock when its process dies (even on SIGKILL), so a
  crashed run never leaves a stale lock; the file itself stays (deleting a lock file
  others may be waiting on would let two runs in). Re-entrant within one thread: the
  CLI takes it before the run and the warehouse resource, inside the run, finds it held.
- `preflight`: the warehouse's and the serving snapshot's folders exist or can be made,
  take a small file, and have `SOLIDARITY_MIN_FREE_MB` free; neither path is a folder.
- `connect`: `duckdb.connect` for the warehouse, retried (dagster-duckdb's backoff,
  ~100 s in all) only while another process holds DuckDB's own lock on the file — the
  one error that heals by waiting. Permission denied, read-only file system, no space
  left, is/not a directory, and any other error fail at once (`WarehouseUnavailable`).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipelines import settings


class OperationError(Exception):
    """A run refused before it started, with one line saying why."""


class WarehouseBusy(OperationError):
    """Another run held the warehouse's run lock for longer than the timeout."""


class NotWritable(OperationError):
    """The warehouse or the serving snapshot cannot be written where it is configured."""


class WarehouseUnavailable(OperationError):
    """`duckdb.connect` failed on the warehouse with an error that waiting does not heal."""


def say_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def is_file_database(database: str | Path) -> bool:
    return str(database) not in ("", ":memory:") and not str(database).startswith(":memory:")


# --- the run lock ---------------------------------------------------------------------------

def lock_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


@dataclass
class LockHold:
    """When this run got the lock, and how long it waited for it (UTC)."""

    path: Path
    acquired_at: datetime
    waited_s: float
    reentered: bool = False


# (lock path, thread) → [file descriptor, depth]: the CLI's hold and the resource's in the
# same run are one hold; another thread of the same process waits like another process
_held: dict[tuple[str, int], list[int]] = {}
_held_guard = threading.Lock()


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace")
    except OSError:
        return "?"
    first = text.split()[0] if text.split() else ""
    return first if first.isdigit() else "?"


@contextmanager
def run_lock(
    warehouse: str | Path,
    timeout: float | None = None,
    say: Callable[[str], None] = say_on_stderr,
    poll: float = 0.2,
) -> Iterator[LockHold]:
    """Hold `<warehouse>.lock` exclusively for the body; wait at most `timeout` seconds
    (default `SOLIDARITY_LOCK_TIMEOUT`), saying once, through `say`, who is being waited for."""
    timeout = settings.lock_timeout() if timeout is None else timeout
    path = lock_path(warehouse)
    key = (str(path.resolve()), threading.get_ident())
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            entry = _held[key]
        else:
            entry = None
    if entry is not None:
        try:
            yield LockHold(path, datetime.now(timezone.utc), 0.0, reentered=True)
        finally:
            with _held_guard:
                entry[1] -= 1
        return

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise NotWritable(f"cannot create the run lock {path}: {exc.strerror or exc}") from None
    try:
        started = time.monotonic()
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            waited = time.monotonic() - started
            if not said:
                say(f"waiting for another run on {warehouse} (pid {_holder(fd)})…")
                said = True
            if waited >= timeout:
                raise WarehouseBusy(
                    f"another run on {warehouse} (pid {_holder(fd)}) still held {path} after "
                    f"{waited:.0f} s (SOLIDARITY_LOCK_TIMEOUT={timeout:g}): this run did not start"
                )
            time.sleep(min(poll, max(timeout - waited, 0.01)))
        hold = LockHold(path, datetime.now(timezone.utc), time.monotonic() - started)
        # who holds it, for the next run's "waiting for … (pid N)" line
        # (fixed width, written over the last holder's line: never seen half-empty)
        os.pwrite(fd, f"{os.getpid()} {hold.acquired_at.isoformat()}".ljust(79).encode() + b"\n", 0)
        with _held_guard:
            _held[key] = [fd, 1]
        try:
            yield hold
        finally:
            with _held_guard:
                del _held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- the pre-flight check -------------------------------------------------------------------

def _cause(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_writable(path: str | Path, role: str, min_free_mb: float | None = None) -> None:
    """`path` (a file to be written) can be written: its folder exists or can be made,
    takes a 64 kB file, has `min_free_mb` free (default `SOLIDARITY_MIN_FREE_MB`), and
    `path` is not a folder. Raises `NotWritable` naming the path and the cause."""
    path = Path(path)
    min_free_mb = settings.min_free_mb() if min_free_mb is None else min_free_mb
    folder = path.parent
    if path.is_dir():
        raise NotWritable(f"the {role} {path} is a directory, not a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotWritable(f"the {role} folder {folder} is a file, not a directory") from None
    except OSError as exc:
        raise NotWritable(f"cannot create the {role} folder {folder}: {_cause(exc)}") from None
    _remove_old_probes(folder)
    probe = folder / f"{PROBE_PREFIX}{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"\0" * 65536)  # a full disk refuses this, an empty file it may not
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise NotWritable(f"the {role} folder {folder} is not writable: {_cause(exc)}") from None
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
    if path.exists() and not os.access(path, os.W_OK):
        raise NotWritable(f"the {role} {path} is not writable: {os.strerror(errno.EACCES)}")
    free_mb = shutil.disk_usage(folder).free / 2**20
    if free_mb < min_free_mb:
        raise NotWritable(
            f"only {free_mb:,.0f} MB free for the {role} in {folder}, under the "
            f"{min_free_mb:,.0f} MB a run needs (SOLIDARITY_MIN_FREE_MB): disk full or nearly"
        )


# the pre-flight's test file, named unlike any snapshot temp (`.<name>.<hex>.tmp`)
PROBE_PREFIX = ".solidarity-write-probe."


def _remove_old_probes(folder: Path, older_than_s: float = 300) -> None:
    """A run killed between writing its probe and deleting it leaves one: swept here."""
    try:
        for stale in folder.glob(f"{PROBE_PREFIX}*"):
            if time.time() - stale.stat().st_mtime > older_than_s:
                stale.unlink(missing_ok=True)
    except OSError:
        pass


def preflight(warehouse: str | Path, serving: str | Path, min_free_mb: float | None = None) -> None:
    """Before a run: the warehouse and the serving snapshot can both be written."""
    if is_file_database(warehouse):
        check_writable(warehouse, "warehouse", min_free_mb)
    check_writable(serving, "serving snapshot", min_free_mb)


# --- connecting to the warehouse ------------------------------------------------------------

# DuckDB's words for another process holding the file: the one error that heals by waiting
_HEALS = ("could not set lock", "conflicting lock", "resource temporarily unavailable")
# The OS's words for errors that never heal by waiting, in DuckDB's messages
_NEVER_HEALS = tuple(os.strerror(e) for e in (
    errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EISDIR, errno.ENOTDIR,
    errno.ENOENT, errno.ENAMETOOLONG, errno.ELOOP,
))


def heals_by_waiting(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(w in text for w in _HEALS) and not any(w.lower() in text for w in _NEVER_HEALS)


def connect(database: str, config: dict | None = None, max_retries: int = 10) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write. Waits (exponential backoff from 0.1 s, `max_retries`
    times, ~100 s in all, as dagster-duckdb does) only on a lock another process holds;
    any other error is raised at once as `WarehouseUnavailable`, naming the path."""
    delay, attempt = 0.1, 0
    while True:
        try:
            return duckdb.connect(database=database, read_only=False, config=config or {})
        except (duckdb.Error, RuntimeError) as exc:
            if not heals_by_waiting(exc) or attempt >= max_retries:
                message = str(exc).removeprefix("IO Error: ")
                raise WarehouseUnavailable(f"cannot open the warehouse {database}: {message}") from None
        time.sleep(delay)
        delay, attempt = delay * 2, attempt + 1
