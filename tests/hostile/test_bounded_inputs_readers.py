"""Bounded resources whatever the input (issue 20): each hostile file is refused early,
naming the file and the limit, or read in streaming batches with the right counts.

Every file is generated here (no binary committed, bounded_files.py): 2 GB sparse files (`truncate`),
~200 MB of random bytes written in chunks, a zip bomb called .xlsx, workbooks whose cells
are far apart or declare what they are not, an agenda of 100,000 events, 100 MB lines.
Each case is read in a child process (`run_bounded`): the parent kills it if its resident
memory passes the case's bound or its time passes the time bound (the reader before
issue 20 took up to 9 GB: a failing test must not take the machine down with it), and
the child reports the kernel's peak (VmHWM, reset after imports) gained while reading.
Bounds are generous (CI runs on 2 shared cores): they stop runaways, they are no speed or
memory targets. `solidarity validate` and the ingest: test_bounded_inputs_validate_ingest.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .corpus import ORG_HEADER, SCDL_HEADER, grant, scdl, xlsx
from .bounded_files import (
    MB,
    agenda,
    empty_cells,
    far_cells,
    garbage,
    lying_part,
    ods_far_row,
    ods_repeats,
    ods_tall,
    one_line,
    read_in_child,
    shared_strings_claim,
    sparse,
    wide_records,
    xls_dimensions,
    xls_far_cell,
    zip_bomb,
)


ICS_EVENTS = int(os.environ.get("HOSTILE_ICS_EVENTS", "100000"))


# --- refused early, the file and the limit named -----------------------------------------

@dataclass(frozen=True)
class Refusal:
    id: str
    source: str
    filename: str
    build: Callable[[Path], Path]
    limit: str  # the environment variable the refusal must name
    rss_bound: int = 300 * MB  # peak resident memory gained while reading
    time_bound: float = 60.0


REFUSALS = [
    # a grants CSV is read in batches whatever its size (issue 19): a sparse one has no line break,
    # random bytes are no text (the refusal names no limit then, but the encoding)
    Refusal("grants-csv-2gb-sparse", "grants", "subventions_2024.csv", sparse, "SOLIDARITY_MAX_LINE_BYTES"),
    Refusal("grants-csv-random", "grants", "subventions_bruit.csv", garbage, "cannot detect the text encoding"),
    Refusal("grants-csv-99mb-line", "grants", "subventions_ligne.csv",
            lambda p: one_line(p, 99 * MB, b";".join(s.encode() for s in SCDL_HEADER) + b"\n"),
            "SOLIDARITY_MAX_LINE_BYTES"),
    Refusal("grants-csv-wide-records", "grants", "subventions_large.csv", wide_records, "SOLIDARITY_MAX_COLUMNS"),
    Refusal("grants-zip-bomb-xlsx", "grants", "bombe.xlsx", zip_bomb, "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES"),
    Refusal("grants-xlsx-part-larger-than-declared", "grants", "menteur.xlsx", lying_part,
            "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES"),
    # an xlsx streams (issue 19): the bound on its cells is on time, but XFD1048576 still passes it
    Refusal("grants-xlsx-far-cells", "grants", "loin.xlsx", far_cells, "SOLIDARITY_MAX_STREAMED_CELLS"),
    Refusal("grants-xlsx-shared-strings-claim", "grants", "chaines.xlsx", shared_strings_claim,
            "SOLIDARITY_MAX_TABLE_CELLS"),
    # an ods streams too (issue 19): its cells are bounded by STREAMED_CELLS, its width by COLUMNS
    Refusal("grants-ods-repeated-cells", "grants", "repete.ods", ods_repeats, "SOLIDARITY_MAX_COLUMNS"),
    Refusal("grants-ods-tall", "grants", "haut.ods", ods_tall, "SOLIDARITY_MAX_STREAMED_CELLS"),
    Refusal("grants-xls-far-cell", "grants", "loin.xls", xls_far_cell, "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-xls-dimensions", "grants", "dimensions.xls", xls_dimensions, "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-xlsx-2gb-sparse", "grants", "vide.xlsx", sparse, "SOLIDARITY_MAX_WORKBOOK_BYTES"),
    Refusal("organisations-2gb-sparse", "organisations", "organisations.csv", sparse, "SOLIDARITY_MAX_LINE_BYTES"),
    Refusal("organisations-15mb-line", "organisations", "organisations_ligne.csv",
            lambda p: one_line(p, 15 * MB, ",".join(ORG_HEADER).encode() + b"\n"), "SOLIDARITY_MAX_LINE_BYTES"),
    Refusal("events-csv-random", "events", "evenements.csv", garbage, "neither UTF-8 nor Windows-1252"),
    Refusal("events-ics-2gb-sparse", "events", "agenda.ics", sparse, "SOLIDARITY_MAX_ICS_BYTES"),
    Refusal("events-ics-90mb-line", "events", "agenda_ligne.ics",
            lambda p: one_line(p, 90 * MB, b"BEGIN:VCALENDAR\r\nX-JUNK:"), "SOLIDARITY_MAX_LINE_BYTES"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c.id for c in REFUSALS])
def test_hostile_file_is_refused_early_naming_the_file_and_the_limit(case: Refusal, tmp_path: Path):
    path = case.build(tmp_path / case.filename)
    got = read_in_child(case.source, path, case.rss_bound, case.time_bound)
    assert got.killed is None, f"{got.killed} (peak {got.peak / MB:,.0f} MB, {got.seconds:.0f} s)"
    assert got.out is not None, f"the reader crashed: {got.stderr}"
    refused = got.out["refused"]
    assert refused, f"read instead of refused: {got.out}"
    assert case.filename in refused and case.limit in refused, refused
    assert got.peak < case.rss_bound, f"{got.peak / MB:,.0f} MB gained"
    print(f"{case.id}: {path.stat().st_size / MB:,.1f} MB refused in {got.seconds:.1f} s, "
          f"peak gain {got.peak / MB:,.0f} MB: {refused[:160]}")


# --- read in streaming batches, the right counts ------------------------------------------

def test_grants_csv_of_20m_empty_cells_is_read_in_bounded_batches(tmp_path: Path):
    """Before issue 19 refused (`SOLIDARITY_MAX_TABLE_CELLS`; 1.2 GB before issue 20): now read in
    batches of at most 2 million cells, the blank lines skipped, the three grants kept."""
    path = empty_cells(tmp_path / "subventions_vides.csv")
    got = read_in_child("grants", path, 400 * MB, 120)
    assert got.killed is None, f"{got.killed} ({got.seconds:.0f} s)"
    assert got.out is not None and got.out["refused"] is None, (got.out, got.stderr)
    assert (got.out["read"], got.out["accepted"], got.out["rejected"]) == (3, 3, 0)
    assert got.peak < 400 * MB, f"{got.peak / MB:,.0f} MB gained"


@pytest.mark.parametrize("filename,build", [
    ("subventions_loin.xlsx", lambda p: far_cells(p, "P1000000")),
    ("subventions_loin.ods", ods_far_row),
], ids=["xlsx", "ods"])
def test_grants_workbook_of_16m_cells_streams_in_bounded_memory(tmp_path: Path, filename, build):
    """Three grants and a cell at P1000000 (an .ods: 999,995 empty rows between, one repeated
    element): a range of 16 million cells, refused before issue 19 (over
    `SOLIDARITY_MAX_TABLE_CELLS`: calamine would build it whole); an xlsx or .ods now streams, a row
    at a time: the million empty rows are read and skipped in bounded memory, the three grants kept
    and the far cell's row (an "x", no grant) rejected."""
    path = build(tmp_path / filename)
    got = read_in_child("grants", path, 400 * MB, 300)
    assert got.killed is None, f"{got.killed} ({got.seconds:.0f} s)"
    assert got.out is not None and got.out["refused"] is None, (got.out, got.stderr)
    assert (got.out["read"], got.out["accepted"], got.out["rejected"]) == (4, 3, 1)
    assert got.peak < 400 * MB, f"{got.peak / MB:,.0f} MB gained"
    print(f"16 million cells ({path.suffix}): read in {got.seconds:.0f} s, peak gain {got.peak / MB:,.0f} MB")


def test_agenda_of_100k_events_is_read_event_by_event(tmp_path: Path):
    """Before: the whole agenda was parsed at once, ~7 kB an event (100,000 events: 775 MB)."""
    path = agenda(tmp_path / "agenda_2024.ics", ICS_EVENTS)
    got = read_in_child("events", path, 400 * MB, 400)
    assert got.killed is None, f"{got.killed} ({got.seconds:.0f} s)"
    assert got.out is not None and got.out["refused"] is None, (got.out, got.stderr)
    assert (got.out["read"], got.out["accepted"], got.out["rejected"]) == (ICS_EVENTS, ICS_EVENTS, 0)
    # what is kept grows with the rows (~1 kB an accepted event), not with the parse
    assert got.peak < 50 * MB + ICS_EVENTS * 2_000, f"{got.peak / MB:,.0f} MB gained"
    print(f"agenda: {ICS_EVENTS:,} events, {path.stat().st_size / MB:,.0f} MB, read in {got.seconds:.0f} s, "
          f"peak gain {got.peak / MB:,.0f} MB")


def test_agenda_over_the_event_limit_is_refused_before_parsing(tmp_path: Path):
    path = agenda(tmp_path / "agenda_2024.ics", 5_000)
    got = read_in_child("events", path, 200 * MB, 60, env={"SOLIDARITY_MAX_ICS_EVENTS": "1000"})
    assert got.out and got.out["refused"], (got.out, got.stderr)
    assert "5,000 BEGIN:VEVENT" in got.out["refused"] and "SOLIDARITY_MAX_ICS_EVENTS" in got.out["refused"]


def test_limits_come_from_the_environment(tmp_path: Path):
    """One place (pipelines/limits.py), each limit overridden by its variable."""
    path = tmp_path / "subventions_2024.csv"
    path.write_bytes(scdl(grant(0), grant(1)))
    small = read_in_child("grants", path, 300 * MB, 60, env={"SOLIDARITY_MAX_COLUMNS": "3"})
    assert small.out and "SOLIDARITY_MAX_COLUMNS" in small.out["refused"]
    assert "the limit of 3 columns" in small.out["refused"]
    fine = read_in_child("grants", path, 300 * MB, 60)
    assert fine.out and fine.out["refused"] is None and fine.out["accepted"] == 2
    xlsx_path = tmp_path / "subventions.xlsx"
    xlsx_path.write_bytes(xlsx([SCDL_HEADER, grant(0), grant(1)]))
    cells = read_in_child("grants", xlsx_path, 300 * MB, 60, env={"SOLIDARITY_MAX_STREAMED_CELLS": "10"})
    assert cells.out and "SOLIDARITY_MAX_STREAMED_CELLS" in cells.out["refused"]
    # past the cells a workbook may be read whole in, an xlsx streams instead of being refused
    streamed = read_in_child("grants", xlsx_path, 300 * MB, 60, env={"SOLIDARITY_MAX_TABLE_CELLS": "10"})
    assert streamed.out and streamed.out["refused"] is None and streamed.out["accepted"] == 2, streamed.out
