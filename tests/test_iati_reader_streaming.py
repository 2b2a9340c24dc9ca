"""IATI activity reader in batches: batches balance and concatenate to the whole read, the streamed
warehouse load equals it, a refused file leaves no row, and memory stays flat on a large file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest import ingest_source
from pipelines.sources.contracts import IATI_TABLES
from pipelines.sources.iati import iter_activity_batches, read_activities
from iati_files import PROJECT, activities_file, activity, et_figures, tx


# --- batches and the streamed warehouse load ------------------------------------

def _five_activities(tmp_path: Path) -> Path:
    return activities_file(
        tmp_path,
        activity("B-1", tx("2", "100"), tx("3", "40")),
        activity("B-2", tx("ZZ", "9")),  # rejected: its problems must stay in its batch
        activity("B-3", tx("3", "7")),
        activity("B-4", tx("2", "1"), tx("3", "2"), tx("3", "3")),
        activity("B-5", tx("C", "5")),
    )


def test_batches_balance_and_concatenate_to_the_whole_read(tmp_path):
    path = _five_activities(tmp_path)
    n_act, n_tx, _sums = et_figures(path)
    batches = list(iter_activity_batches(path, batch_size=2))
    assert [b.rows_read for b in batches] == [2, 2, 1]
    assert sum(b.rows_read for b in batches) == n_act == 5
    assert [b.rows_rejected for b in batches] == [1, 0, 0]
    # XPaths number activities across batches, not within one
    assert batches[1].tables["activities"]["source_row"].to_list() == [
        "/iati-activities/iati-activity[3]", "/iati-activities/iati-activity[4]"]
    whole = read_activities(path)
    for name, frame in whole.tables.items():
        assert frame.equals(pl.concat([b.tables[name] for b in batches])), name
    assert whole.tables["transactions"].height == n_tx - 1  # B-2's one transaction is rejected
    assert [b.rows_read for b in iter_activity_batches(path, batch_size=5)] == [5, 0]


def _ingest(tmp_path: Path, files: list[Path], batch_size: int):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    stats = ingest_source(conn, "iati", files, partial(iter_activity_batches, batch_size=batch_size),
                          IATI_TABLES)
    return conn, stats


@pytest.mark.parametrize("append_rows", [1, 50_000], ids=["appended-each-batch", "held-until-the-end"])
def test_a_file_refused_after_some_batches_leaves_no_row(tmp_path, monkeypatch, append_rows):
    """The warehouse holds a file's batches until APPEND_ROWS rows wait: a refused file's rows must
    go whether its first batches were already appended or still held."""
    monkeypatch.setattr("pipelines.warehouse.APPEND_ROWS", append_rows)
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    good_dir.mkdir(), bad_dir.mkdir()
    good = _five_activities(good_dir)
    text = _five_activities(bad_dir).read_text()
    cut = bad_dir / "cut.xml"
    cut.write_text(text[: text.rindex("<transaction>")])  # cut inside the 5th activity
    n_act, _n_tx, sums = et_figures(good)
    conn, stats = _ingest(tmp_path, [cut, good], batch_size=2)  # the cut file wrote 2 batches first
    assert stats["files_refused"] == 1 and stats["rows_read"] == n_act
    assert conn.execute("select distinct source_file from raw.transactions").fetchall() == [(good.name,)]
    assert conn.execute("select distinct source_file from raw.activities").fetchall() == [(good.name,)]
    got = conn.execute("select sum(value) from raw.transactions").fetchall()[0][0]
    assert got == pytest.approx(sum(sums.values()) - sums["ZZ"])  # B-2 is rejected whole
    loads = {r[0]: r[1:] for r in conn.execute(
        "select source_file, rows_read, rows_accepted, rows_rejected, error is null from quality.file_loads"
    ).fetchall()}
    assert loads == {good.name: (5, 4, 1, True), cut.name: (0, 0, 0, False)}
    # the cut file's own B-2 problem (written with its first batch) is gone too
    rejected = conn.execute("select source_file, source_row, severity from quality.rejected_rows").fetchall()
    assert sorted(rejected) == sorted([("cut.xml", "", "error"),
                                       (good.name, "/iati-activities/iati-activity[2]", "error")])


def test_streamed_load_equals_the_whole_read(tmp_path):
    path = _five_activities(tmp_path)
    whole = read_activities(path)
    conn, stats = _ingest(tmp_path, [path], batch_size=2)
    assert (stats["rows_read"], stats["rows_accepted"], stats["rows_rejected"]) == (5, 4, 1)
    for name, frame in whole.tables.items():
        stored = conn.sql(f"select * from raw.{name}").pl()
        assert stored.height == frame.height, name
        assert sorted(stored["source_row"].to_list()) == sorted(frame["source_row"].to_list()), name


# --- memory --------------------------------------------------------------------

def test_memory_stays_flat_on_a_large_file(tmp_path):
    """~45 MB of activities whose bulk (location descriptions) the reader does not
    keep: peak memory must stay far below the file size. Measured in a child
    process: Python heap via tracemalloc, and the C heap (lxml's tree) through
    the peak resident size gained while reading."""
    path = tmp_path / "big.xml"
    bulk = "<location><description><narrative>" + "lorem ipsum " * 900 + "</narrative></description></location>"
    with path.open("w") as fh:
        fh.write('<?xml version="1.0"?>\n<iati-activities version="2.03">\n')
        for i in range(4000):
            fh.write(activity(f"FR-M-{i}", bulk, tx("2", "10"), tx("3", "5")))
        fh.write("</iati-activities>\n")
    size = path.stat().st_size
    assert size > 40_000_000
    # The child inherits its peak RSS from pytest across fork/exec, so reset the
    # kernel's high-water mark (clear_refs 5) and read VmHWM after the read.
    code = textwrap.dedent(f"""
        import json, re, tracemalloc
        from pipelines.sources.iati import read_activities
        def status(key):
            text = open("/proc/self/status").read()
            return int(re.search(key + r":\\s+(\\d+) kB", text).group(1)) * 1024
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        before = status("VmRSS")
        tracemalloc.start()
        r = read_activities({str(path)!r})
        peak = tracemalloc.get_traced_memory()[1]
        print(json.dumps({{"read": r.rows_read, "tx": r.tables["transactions"].height,
                          "py_peak": peak, "rss_gain": status("VmHWM") - before}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, timeout=300, check=True)
    out = json.loads(done.stdout)
    assert (out["read"], out["tx"]) == (4000, 8000)
    assert out["py_peak"] < size / 5  # mostly the output tables themselves
    assert out["rss_gain"] < size / 2
