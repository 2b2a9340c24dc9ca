"""Bounded resources whatever the input (issue 20): `solidarity validate` and the ingest are run on
hostile files (generated in bounded_files.py) beside good ones: the hostile file is refused alone,
the good files' rows are all there.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

from .corpus import grant, scdl
from .bounded_files import (
    MB,
    far_cells,
    garbage,
    one_line,
    run_bounded,
    sparse,
    styled_empty_cells,
    xls_dimensions,
    zip_bomb,
)


# --- `solidarity validate` and the ingest, hostile files beside good ones ----------------

def test_validate_refuses_hostile_files_and_reads_the_good_one(tmp_path: Path):
    good = tmp_path / "subventions_2024.csv"
    good.write_bytes(scdl(grant(0), grant(1), grant(2)))
    hostile = {  # file -> what its refusal must say
        sparse(tmp_path / "enorme.csv"): "SOLIDARITY_MAX_LINE_BYTES",  # read in batches: no line break
        zip_bomb(tmp_path / "bombe.xlsx"): "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES",
        far_cells(tmp_path / "loin.xlsx"): "SOLIDARITY_MAX_STREAMED_CELLS",
        one_line(tmp_path / "agenda.ics", 90 * MB, b"BEGIN:VCALENDAR\r\nX-JUNK:"): "SOLIDARITY_MAX_LINE_BYTES",
        # IATI streams, so no size limit: garbage after a '<' is refused at its first bytes
        garbage(tmp_path / "activites.xml", head=b"<iati-activities>"): "malformed XML",
    }
    argv = [sys.executable, "-m", "pipelines.cli", "validate", str(good), *map(str, hostile)]
    got = run_bounded(argv, 600 * MB, 120)
    assert got.killed is None, f"{got.killed} after {got.seconds:.0f} s"
    assert f"{good}: grants, 3 rows read, 3 accepted, 0 rejected" in got.stderr, got.stderr
    for path, says in hostile.items():
        assert f"{path}: refused" in got.stderr, got.stderr
        assert any(path.name in line and says in line for line in got.stdout.splitlines()), \
            (path.name, says, got.stdout)
    print(f"validate: 1 good + {len(hostile)} hostile files in {got.seconds:.0f} s, "
          f"peak RSS polled {got.peak / MB:,.0f} MB")


_INGEST = textwrap.dedent("""
    import json, re, sys
    from pathlib import Path
    import duckdb
    from pipelines.ingest import ingest_source
    from pipelines.sources.contracts import EVENT_TABLES, GRANT_TABLES
    from pipelines.sources.local import events_reader
    from pipelines.sources.scdl import read_grants
    def status(key):
        return int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
    raw, db = Path(sys.argv[1]), sys.argv[2]
    conn = duckdb.connect(db)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = status("VmRSS")
    for source, reader, tables in (("grants", read_grants, GRANT_TABLES), ("events", events_reader(), EVENT_TABLES)):
        files = sorted(p for p in (raw / source).iterdir() if p.suffix in (".csv", ".xlsx", ".xls", ".ods", ".ics"))
        ingest_source(conn, source, files, reader, tables)
    loads = conn.execute("select source, source_file, rows_read, rows_accepted, rows_rejected, error "
                         "from quality.file_loads order by 1, 2").fetchall()
    grants = dict(conn.execute("select source_file, count(*) from raw.grants group by 1").fetchall())
    events = {Path(f).name: n for f, n in conn.execute("select source_file, count(*) from raw.events group by 1").fetchall()}
    print(json.dumps({"loads": loads, "grants": grants, "events": events, "rss_gain": status("VmHWM") - before}))
""")


def test_ingest_refuses_each_hostile_file_alone_and_loads_the_others(sample_dir: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    for source in ("grants", "events"):  # the sample's last two years: a run in seconds
        (raw / source).mkdir(parents=True)
        for f in (sample_dir / source).iterdir():
            if "2024" in f.name or "2025" in f.name:
                shutil.copy2(f, raw / source / f.name)
    # a good workbook too: three grants above a million styled empty cells (calamine skips them)
    styled_empty_cells(raw / "grants" / "subventions_mise_en_forme.xlsx")
    good = {s: sorted(p.name for p in (raw / s).iterdir()) for s in ("grants", "events")}
    hostile = {
        "grants/subventions_2099.csv": (sparse, "SOLIDARITY_MAX_LINE_BYTES"),
        "grants/subventions_bombe.xlsx": (zip_bomb, "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES"),
        "grants/subventions_loin.xlsx": (far_cells, "SOLIDARITY_MAX_STREAMED_CELLS"),
        "grants/subventions_dimensions.xls": (xls_dimensions, "SOLIDARITY_MAX_TABLE_CELLS"),
        # 150 MB, not 2 GB: the warehouse hashes every file it is given, refused or not (~8 s for 2 GB)
        "events/agenda_2099.ics": (lambda p: sparse(p, 150 * MB), "SOLIDARITY_MAX_ICS_BYTES"),
    }
    for name, (build, _) in hostile.items():
        build(raw / name)

    # what each good file gives read alone, in this process
    from pipelines.sources.local import events_reader
    from pipelines.sources.scdl import read_grants
    readers = {"grants": read_grants, "events": events_reader()}
    alone = {(s, n): readers[s](raw / s / n) for s, names in good.items() for n in names}

    got = run_bounded([sys.executable, "-c", _INGEST, str(raw), str(tmp_path / "w.duckdb")], 1_500 * MB, 300,
                      env={"SOLIDARITY_READ_WORKERS": "1"})  # one process: its peak is every reader's
    assert got.killed is None, f"{got.killed} after {got.seconds:.0f} s"
    assert got.out is not None, got.stderr
    loads = {(s, Path(f).name): (r, a, j, e) for s, f, r, a, j, e in got.out["loads"]}
    for name, (_, limit) in hostile.items():
        source, file = name.split("/")
        read, accepted, rejected, error = loads[(source, file)]
        assert (read, accepted, rejected) == (0, 0, 0) and file in error and limit in error, error
    for (source, name), result in alone.items():
        read, accepted, rejected, error = loads[(source, name)]
        assert error is None and read == accepted + rejected
        assert (read, accepted) == (result.rows_read, result.rows_accepted), name
        table = got.out["grants" if source == "grants" else "events"]
        assert table.get(name, 0) == result.tables["grants" if source == "grants" else "events"].height
    assert loads[("grants", "subventions_mise_en_forme.xlsx")][:3] == (3, 3, 0)
    assert got.peak < 1_000 * MB, f"{got.peak / MB:,.0f} MB gained"
    print(f"ingest: {len(alone)} good + {len(hostile)} hostile files in {got.seconds:.0f} s, "
          f"peak gain {got.peak / MB:,.0f} MB")
