"""Regression guard for reader speed: fails only on a gross regression, never on noise.

Each ratio (project reader's time / its practical limit's time, on the same small file,
alternated in the same process, best of 5) must stay under twice the value recorded in
bench/baseline.json (measured by bench/guard.py, see docs/benchmarks.md). No absolute
time is asserted: a slow or busy machine slows both sides of a ratio.
"""

from __future__ import annotations

import json

import pytest

from bench.guard import BASELINE, guard_files, iati_ratio, scdl_ratio
from pipelines.sources.iati import read_activities
from pipelines.sources.scdl import read_grants

TOLERANCE = 2.0


@pytest.fixture(scope="module")
def files(sample_dir, tmp_path_factory):
    return guard_files(sample_dir, tmp_path_factory.mktemp("guard"))


@pytest.fixture(scope="module")
def baseline():
    return json.loads(BASELINE.read_text())


def test_guard_files_are_real_inputs(files):
    # The timed files must be read in full, or a ratio would time an early failure.
    text = files["iati"].read_text(encoding="utf-8")
    iati = read_activities(files["iati"])
    assert iati.rows_read == text.count("<iati-activity ") > 500
    csv_lines = files["scdl"].read_text(encoding="utf-8").splitlines()
    assert read_grants(files["scdl"]).rows_read == len(csv_lines) - 1 > 1000


def test_iati_reader_within_twice_recorded_ratio(files, baseline):
    ratio = iati_ratio(files["iati"])
    limit = TOLERANCE * baseline["iati_reader_over_bare_iterparse"]
    assert ratio < limit, f"IATI reader is {ratio:.2f}x a bare iterparse pass (recorded limit {limit:.2f}x)"


def test_scdl_reader_within_twice_recorded_ratio(files, baseline):
    ratio = scdl_ratio(files["scdl"])
    limit = TOLERANCE * baseline["scdl_reader_over_csv_split"]
    assert ratio < limit, f"SCDL reader is {ratio:.1f}x a csv split (recorded limit {limit:.1f}x)"
