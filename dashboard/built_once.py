"""Downloads built once per snapshot, shared by every worker, so a burst cannot starve the public.

An Excel file of every grant costs about a second of CPU. Built per request, 200 of
them at once took the workers for minutes and a public embed waited 37 s. Here a file
is built once for (snapshot version, dataset, format, filters) and kept on disk:
concurrent requests for the same file wait for the one build (a file lock, so across
gunicorn workers too) and are then served from disk; at most one build runs at a time
in a worker (the other threads keep answering pages and embeds). Files of an older
snapshot are removed when a newer one is first served.

`SOLIDARITY_DOWNLOAD_CACHE` sets the folder (default: the system's temporary folder,
one per user and snapshot file).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

# files of an earlier start of the server (older code) are never served: gunicorn imports this
# once in its master (preload_app), so every worker shares the token
_STARTED = uuid.uuid4().hex[:8]
MAX_FILES_PER_SNAPSHOT = 5000  # filtered variants are finite (allowlisted filters); past this, build uncached
_BUILDING = threading.BoundedSemaphore(1)  # one heavy build at a time per worker process


def default_root(serving_path: Path) -> Path:
    configured = os.environ.get("SOLIDARITY_DOWNLOAD_CACHE")
    if configured:
        return Path(configured)
    tag = hashlib.sha256(str(Path(serving_path).resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"solidarity-downloads-{os.getuid()}-{tag}"


def _build(build: Callable[[], bytes]) -> bytes:
    with _BUILDING:
        return build()


def built_once(root: Path, version: str, key: str, build: Callable[[], bytes]) -> Path | bytes:
    """The file for `key` in snapshot `version`, built by `build` the first time only.

    Returns the file's path, or the bytes themselves when the cache cannot hold them."""
    try:
        return _cached(root, version, key, build)
    except OSError:  # no room, no permission, a folder removed under us: serve it built, uncached
        return _build(build)


def _cached(root: Path, version: str, key: str, build: Callable[[], bytes]) -> Path | bytes:
    version = f"{version}-{_STARTED}"
    folder = root / version
    folder.mkdir(parents=True, exist_ok=True)
    _forget_older(root, version)
    name = hashlib.sha256(key.encode()).hexdigest()
    path = folder / name
    if path.is_file():
        return path
    if sum(1 for _ in folder.iterdir()) > 2 * MAX_FILES_PER_SNAPSHOT:  # files and their locks
        return _build(build)
    with open(folder / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the second request waits for the first one's build
        try:
            if path.is_file():
                return path
            body = _build(build)
            partial = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.partial"
            partial.write_bytes(body)
            os.replace(partial, path)  # a reader sees no file or the whole file
            return path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _forget_older(root: Path, version: str) -> None:
    for other in root.iterdir():
        if other.is_dir() and other.name != version:
            shutil.rmtree(other, ignore_errors=True)
