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
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipelines.context.files import FileTask, drop_outputs, read_file

MANIFEST = "manifest.json"
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

    tasks = [_task(dump_dir, out_dir, publisher, path, manifest) for publisher, path in files]
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
            save_manifest(out_dir, manifest)
            if progress:
                progress(f"context: {done}/{len(tasks)} files")
    save_manifest(out_dir, manifest)

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


def _task(dump_dir: Path, out_dir: Path, publisher: str, path: Path, manifest: dict) -> FileTask:
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


def save_manifest(out_dir: Path, files: dict[str, dict]) -> None:
    path = out_dir / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(json.dumps({"files": files}, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
