"""Read a whole IATI registry dump into the context layer: `read_dump(dump_dir, out_dir, workers)`.

The dump is laid out as the registry's daily dump (`pipelines/sample/registry.py`):
`data/<publisher>/<dataset>.xml`, optionally `metadata/<publisher>.json` (the publisher's
`publisher_organization_type`) and `metadata/<publisher>/<dataset>.json` (its `filetype`). A folder
of publisher folders without `data/` is read the same way.

Each file is one task (`files.read_file`) run in a pool of spawned worker processes, largest files
first so that a few very large publishers do not finish last alone. The manifest
(`<out_dir>/manifest.json`, one entry per `<publisher>/<file name>`: sha256, status, reason, rows
read/accepted/rejected, rows per table, exact transaction totals per currency) makes re-runs
incremental: an unchanged file (same sha256) is not read again, a changed or new one is, and the
partitions of a file no longer in the dump are dropped. The manifest is rewritten atomically every
`SAVE_EVERY` files and at the end, so an interrupted run loses little.

For Dagster (pipelines/defs/context), one file at a time: `read_one(dump_dir, out_dir, "<publisher>/<file>")`
(same task, same skip by sha256, its entry recorded under a lock on the manifest) and `drop_removed`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing
import os
import time
from datetime import datetime, timezone
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Callable

from pipelines.context.files import FileTask, drop_outputs, read_file
from pipelines.settings import SAMPLE_MARKER

MANIFEST = "manifest.json"
MANIFEST_LOCK = ".manifest.lock"
SAVE_EVERY = 200


@dataclass
class DumpReport:
    files_read: int = 0
    files_skipped: int = 0  # unchanged since the last run
    files_removed: int = 0  # gone from the dump: their partitions dropped
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason), as in the manifest now
    not_activity: list[str] = field(default_factory=list)  # organisation files, per the registry metadata
    failed: list[tuple[str, str]] = field(default_factory=list)  # unexpected errors: a bug, not the data
    activities: int = 0  # accepted, whole context layer
    transactions: int = 0
    activities_read: int = 0  # accepted, files read in this run
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [
            f"files read: {self.files_read}, skipped (unchanged): {self.files_skipped}, "
            f"refused: {len(self.refused)}, not activity files: {len(self.not_activity)}, "
            f"removed: {self.files_removed}",
            f"activities: {self.activities} (read in this run: {self.activities_read}), "
            f"transactions: {self.transactions}",
        ]
        out += [f"refused {name}: {reason}" for name, reason in self.refused]
        out += [f"FAILED {name}: {reason}" for name, reason in self.failed]
        out.append(f"seconds: {self.seconds:.1f}")
        return out


def dump_files(dump_dir: Path) -> list[tuple[str, Path]]:
    """(publisher, file) for every file of every publisher folder, in a fixed order."""
    data = dump_dir / "data" if (dump_dir / "data").is_dir() else dump_dir
    return [
        (folder.name, path)
        for folder in sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
        for path in sorted(folder.iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def read_dump(
    dump_dir: str | Path, out_dir: str | Path, workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> DumpReport:
    started = time.perf_counter()
    dump_dir, out_dir = Path(dump_dir), Path(out_dir)
    if not dump_dir.is_dir():
        raise FileNotFoundError(f"no dump folder at {dump_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(out_dir)
    report = DumpReport()
    files = dump_files(dump_dir)

    present = {f"{publisher}/{path.name}" for publisher, path in files}
    for key in sorted(set(manifest) - present):
        entry = manifest.pop(key)
        drop_outputs(out_dir, entry["publisher"], entry["file"])
        report.files_removed += 1

    tasks = [file_task(dump_dir, out_dir, publisher, path, manifest) for publisher, path in files]
    tasks.sort(key=lambda t: -Path(t.path).stat().st_size)
    done = 0
    for task, entry in _run(tasks, workers):
        if entry["status"] == "skipped":
            report.files_skipped += 1
        elif entry["status"] == "failed":
            report.failed.append((task.relpath, entry["reason"]))
        else:
            manifest[task.relpath] = entry
            report.files_read += entry["status"] == "read"
            report.activities_read += entry.get("rows_accepted", 0)
        done += 1
        if done % SAVE_EVERY == 0:
            save_manifest(out_dir, manifest, dump_source(dump_dir))
            if progress:
                progress(f"context: {done}/{len(tasks)} files")
    save_manifest(out_dir, manifest, dump_source(dump_dir))

    for key, entry in sorted(manifest.items()):
        if entry["status"] == "refused":
            report.refused.append((key, entry["reason"]))
        elif entry["status"] == "not_activity":
            report.not_activity.append(key)
        report.activities += entry.get("rows_accepted", 0)
        report.transactions += entry.get("rows", {}).get("transactions", 0)
    report.seconds = time.perf_counter() - started
    return report


def _run(tasks: list[FileTask], workers: int):
    """(task, manifest entry) as each file finishes; in this process when workers <= 1."""
    if workers <= 1:
        for task in tasks:
            yield task, _guarded(task)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(read_file, task): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield task, future.result()
            except Exception as exc:  # noqa: BLE001 - listed, never dropped; the other files go on
                yield task, {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}


def _guarded(task: FileTask) -> dict:
    try:
        return read_file(task)
    except Exception as exc:  # noqa: BLE001 - same rule as in the pool
        return {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}


def file_task(dump_dir: Path, out_dir: Path, publisher: str, path: Path, manifest: dict) -> FileTask:
    """One file's work, knowing the sha256 the manifest holds for it (an unchanged file is skipped)."""
    relpath = f"{publisher}/{path.name}"
    known = manifest.get(relpath)
    return FileTask(
        path=str(path), relpath=relpath, publisher=publisher,
        publisher_org_type=publisher_org_type(dump_dir, publisher),
        out_dir=str(out_dir), known_sha256=known["sha256"] if known else None,
        filetype=_extra(_json(dump_dir / "metadata" / publisher / f"{_dataset(path.name)}.json"), "filetype"),
    )


def publisher_org_type(dump_dir: Path, publisher: str) -> str | None:
    """IATI OrganisationType of the publisher, from the registry's `group_show` record."""
    return _extra(_json(dump_dir / "metadata" / f"{publisher}.json"), "publisher_organization_type")


def _dataset(file_name: str) -> str:
    return file_name[:-4] if file_name.endswith(".xml") else file_name


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no or unreadable metadata: the file is still read, its type left unknown
    return data if isinstance(data, dict) else {}


def _extra(record: dict, key: str) -> str | None:
    """A CKAN field, top level or in `extras` ([{key, value}]), as the registry has used both."""
    value = record.get(key)
    if value is None:
        for item in record.get("extras") or ():
            if isinstance(item, dict) and item.get("key") == key:
                value = item.get("value")
    return str(value).strip() or None if value is not None else None


def load_manifest(out_dir: Path) -> dict[str, dict]:
    path = out_dir / MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["files"]


def dump_source(dump_dir: Path) -> dict:
    """Where the layer was read from and when, and whether the dump is generated (the marker
    `solidarity sample --registry` writes): the manifest's `dump`, carried into the serving snapshot
    (pipelines/context/provenance.py) so the dashboard can say "données d'exemple"."""
    return {"folder": str(Path(dump_dir).resolve()), "is_sample": (Path(dump_dir) / SAMPLE_MARKER).exists(),
            "read_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}


def load_dump_source(out_dir: Path) -> dict | None:
    path = out_dir / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("dump")


def save_manifest(out_dir: Path, files: dict[str, dict], dump: dict | None = None) -> None:
    """`dump`: the run's `dump_source`; None keeps the one the manifest already has."""
    path = out_dir / MANIFEST
    dump = dump or load_dump_source(out_dir)
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(json.dumps({"files": files, **({"dump": dump} if dump else {})},
                              indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------- one file at a time (Dagster)
# The asset context/registry_files reads one file per partition, several runs at once: each
# records its entry under an exclusive lock on the manifest (read, update, rewrite), so no run
# loses another's entry. `read_dump` holds the whole manifest for its run instead: do not run
# `solidarity context` and the Dagster asset on the same folder at the same time.


@contextlib.contextmanager
def locked_manifest(out_dir: Path, dump_dir: Path | None = None) -> Iterator[dict[str, dict]]:
    """The manifest, held under an exclusive lock and saved when the block ends without error
    (with `dump_dir`, as read from that dump now)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / MANIFEST_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            manifest = load_manifest(out_dir)
            yield manifest
            save_manifest(out_dir, manifest, dump_source(dump_dir) if dump_dir is not None else None)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_one(dump_dir: str | Path, out_dir: str | Path, relpath: str) -> dict:
    """Read the dump file `<publisher>/<file name>` as `read_dump` would and record its manifest
    entry; returns the entry (status `skipped` when its sha256 is the one recorded)."""
    dump_dir, out_dir = Path(dump_dir), Path(out_dir)
    publisher, _, name = relpath.partition("/")
    data = dump_dir / "data" if (dump_dir / "data").is_dir() else dump_dir
    path = data / publisher / name
    if not path.is_file():
        raise FileNotFoundError(f"{relpath} is no longer in the dump at {dump_dir}")
    with locked_manifest(out_dir) as manifest:
        task = file_task(dump_dir, out_dir, publisher, path, manifest)
    entry = read_file(task)  # outside the lock: other files are read meanwhile
    with locked_manifest(out_dir, dump_dir) as manifest:  # a skipped file too: the dump was read now
        if entry["status"] != "skipped":
            manifest[relpath] = entry
    return entry


def drop_removed(dump_dir: str | Path, out_dir: str | Path) -> list[str]:
    """Drop the partitions and manifest entries of files no longer in the dump; their keys."""
    dump_dir, out_dir = Path(dump_dir), Path(out_dir)
    if not dump_dir.is_dir():  # a dump folder missing (unmounted?) is not every file removed
        raise FileNotFoundError(f"no dump folder at {dump_dir}")
    present = {f"{publisher}/{path.name}" for publisher, path in dump_files(dump_dir)}
    with locked_manifest(out_dir, dump_dir) as manifest:
        gone = sorted(set(manifest) - present)
        for key in gone:
            entry = manifest.pop(key)
            drop_outputs(out_dir, entry["publisher"], entry["file"])
    return gone
