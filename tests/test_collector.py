"""The collector kept to a step's own objects (`pipelines.collector`, issue 19): what the
process held before the step is skipped by the collector during it and given back after;
nothing is kept for good; a raw asset's ingest runs inside."""

from __future__ import annotations

import gc
import weakref

import dagster as dg

import pipelines.defs.factories as factories
from pipelines.collector import own_objects_only
from pipelines.defs.raw.assets import raw_asset
from pipelines.resources import build_resources


class Node:
    """A tracked object that can hold a cycle (a weakref tells when it is collected)."""

    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> weakref.ref:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_objects_from_before_are_skipped_inside_and_collected_after():
    before = _cycle()  # garbage already: only the cyclic collector can free it
    assert before() is not None
    with own_objects_only():
        assert gc.get_freeze_count() > 0
        inside = _cycle()
        gc.collect()
        assert inside() is None, "a cycle made inside the step is collected inside"
        assert before() is not None, "what the process held before is skipped during the step"
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert before() is None, "given back when the step ends: nothing kept for good"


def test_a_block_inside_a_frozen_process_leaves_its_freeze_alone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with own_objects_only():
            pass
        assert gc.get_freeze_count() >= frozen  # the outer freeze is still there
    finally:
        gc.unfreeze()


def test_a_raw_asset_ingests_inside_the_block(monkeypatch, sample_dir, tmp_path):
    seen = []
    real = factories.ingest_source

    def ingest_source(*args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(factories, "ingest_source", ingest_source)
    resources = build_resources(sample_dir, tmp_path / "w.duckdb", tmp_path / "s.duckdb")
    result = dg.materialize([raw_asset("organisations")],
                            resources={k: resources[k] for k in ("raw_files", "warehouse")})
    assert result.success
    assert len(seen) == 1 and seen[0] > 0
    assert gc.get_freeze_count() == 0
