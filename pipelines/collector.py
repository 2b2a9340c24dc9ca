"""Python's cyclic garbage collector, kept to a step's own objects (issue 19).

A run executes its steps one after another in one process (the in-process executor), so
when a step starts, the process already holds everything imported and built before it:
Dagster, dbt's manifest, the definitions, the run's event log (~250,000 objects after the
imports alone). Each full collection during the step walks all of them again. Measured on
raw/iati at ×100 (docs/benchmarks.md): `ingest_source` alone 40.4 s; the same asset
materialised by Dagster 47.7 s; with those objects frozen first, 42.4 s. The step's time
then depends on its own work, not on what ran before it in the process.

`gc.freeze()` moves every object tracked so far into a permanent generation the collector
skips; `gc.unfreeze()` gives them back to the oldest generation when the step ends, so a
cycle that was garbage at the start is collected then, nothing is kept for good.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def own_objects_only() -> Iterator[None]:
    """Inside: the collector walks only the objects made inside. Not nested: when objects
    are already frozen (an outer block, or a server that froze at start-up), it does nothing,
    so it never unfreezes what someone else froze."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
