"""Bounded inputs (issue 20): peak RSS and time of `solidarity validate` and of the ingest
on grants CSVs of 20 MB, 200 MB and 2 GB, realistic and hostile.

    nice -n 10 .venv/bin/python -m bench.bounded_memory [--sizes 20,200,2000] [--tree DIR]

Inputs, written to bench/out/bounded/ (a 2 GB realistic file is ~2 GB of disk; sparse
files take none):
- realistic: SCDL rows of the scale-1 sample (as `bench.ingest_scdl` normalises them),
  repeated to the size;
- sparse: `truncate -s` (NUL bytes, no line break);
- random: os.urandom in chunks (20 and 200 MB only);
- `--xlsx-rows N,...`: xlsx workbooks of N realistic grants (xlsxwriter, constant memory);
- `--ods-rows N,...`: .ods workbooks of the same (`ods_workbook`: content.xml written a row at a
  time, every cell a text as in the xlsx).
Each measurement is one child process (`common.run_child`: wall time, peak RSS of that
child from `os.wait4`):
- validate: `python -m pipelines.cli validate FILE`;
- ingest: `pipelines.ingest.ingest_source` of that one file into a fresh DuckDB, as the
  grants asset runs it (one file: no read pool).
`--tree DIR` runs the same children against another checkout (PYTHONPATH=DIR): the code
before issue 20 for the "before" column. `--raise-limit` adds a run of the realistic
200 MB file with the grants limits raised, to show what reading it whole would cost (before
issue 19: since then a grants CSV has no size limit and is streamed; `bench.scdl_stream`
measures it from 20 MB to 2 GB).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path

from bench.common import OUT, PROJECT_PYTHON, ROOT, header, run_child, table

WORK = OUT / "bounded"
MB = 1_000_000
# the limits a whole-file read needed raised (the first is gone since issue 19: harmless when set)
RAISED = {"SOLIDARITY_MAX_GRANTS_CSV_BYTES": "3000000000", "SOLIDARITY_MAX_TABLE_CELLS": "100000000"}


def realistic(size_mb: int) -> Path:
    path = WORK / f"realistic-{size_mb}mb.csv"
    if path.exists() and path.stat().st_size >= size_mb * MB:
        return path
    from bench.ingest_scdl import COLUMNS, _sample_rows

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    for row in _sample_rows():
        writer.writerow(row)
    block = buf.getvalue().encode("utf-8")
    with path.open("wb") as fh:
        fh.write((";".join(COLUMNS) + "\n").encode())
        while fh.tell() < size_mb * MB:
            fh.write(block)
    return path


def workbook(rows: int) -> Path:
    """An xlsx of `rows` realistic grants (the rows above, repeated) under the header: past 31,250
    rows (500,000 cells) it streams; the largest a workbook's size limit lets in is ~970,000 rows
    (SOLIDARITY_MAX_WORKBOOK_BYTES, 100 MB: ~103 bytes a grant here)."""
    path = WORK / f"realistic-{rows}rows.xlsx"
    if path.exists():
        return path
    import xlsxwriter

    from bench.ingest_scdl import COLUMNS, _sample_rows

    base = _sample_rows()
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, COLUMNS)
    for i in range(rows):
        sheet.write_row(i + 1, 0, base[i % len(base)])
    book.close()
    return path


def ods_workbook(rows: int) -> Path:
    """An .ods of `rows` realistic grants under the header, as `workbook` (every cell a text
    paragraph, as LibreOffice writes one; ~1.4 kB of XML a grant: 350,000 grants is the most
    SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES, 500 MB, lets in)."""
    path = WORK / f"realistic-{rows}rows.ods"
    if path.exists():
        return path
    import zipfile
    from xml.sax.saxutils import escape

    from bench.ingest_scdl import COLUMNS, _sample_rows
    from tests.ods_files import HEAD, MANIFEST, TAIL

    def xml_row(cells) -> str:
        return "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'
            if v not in ("", None) else "<table:table-cell/>" for v in cells) + "</table:table-row>"

    base = _sample_rows()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", MANIFEST)
        with zf.open("content.xml", "w", force_zip64=True) as part:
            part.write((HEAD + '<table:table table:name="subventions">' + xml_row(COLUMNS)).encode())
            for i in range(rows):
                part.write(xml_row(base[i % len(base)]).encode())
            part.write(("</table:table>" + TAIL).encode())
    return path


def sparse(size_mb: int) -> Path:
    path = WORK / f"sparse-{size_mb}mb.csv"
    with path.open("wb") as fh:
        fh.truncate(size_mb * MB)
    return path


def random_bytes(size_mb: int) -> Path:
    path = WORK / f"random-{size_mb}mb.csv"
    if not (path.exists() and path.stat().st_size >= size_mb * MB):
        with path.open("wb") as fh:
            while fh.tell() < size_mb * MB:
                fh.write(os.urandom(1 << 22))
    return path


# The ingest worker, as code: run with the measured tree first on sys.path (`-m` would put
# this checkout's directory first and measure it whatever --tree says).
_INGEST = """
import json, os, sys
from pathlib import Path
import duckdb
from pipelines.ingest import ingest_source
from pipelines.sources.contracts import GRANT_TABLES
from pipelines.sources.scdl import read_grants
path, db = sys.argv[1], sys.argv[2]
conn = duckdb.connect(db)
try:
    stats = ingest_source(conn, "grants", [Path(path)], read_grants, GRANT_TABLES)
    error = conn.execute("select error from quality.file_loads").fetchone()[0]
finally:
    conn.close()
    os.unlink(db)
print(json.dumps({"rows_read": stats["rows_read"], "rows_accepted": stats["rows_accepted"], "refused": error}))
"""


def measure(kind: str, path: Path, tree: Path | None, env: dict | None = None) -> dict:
    env = {**(env or {}), "SOLIDARITY_READ_WORKERS": "1"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    if kind == "validate":
        run = run_child([str(PROJECT_PYTHON), "-m", "pipelines.cli", "validate", str(path)], env=env, cwd=tree or ROOT)
        last = (run.stderr.strip().splitlines() or [""])[-1]
        outcome = "refused" if ": refused" in last else last.split(": ", 1)[-1]
        reason = run.stdout.strip().splitlines()[0][:140] if outcome == "refused" and run.stdout.strip() else ""
    else:
        db = WORK / f"ingest-{os.getpid()}.duckdb"
        run = run_child([str(PROJECT_PYTHON), "-c", _INGEST, str(path), str(db)], env=env, cwd=tree or ROOT)
        r = run.result
        if not r:
            outcome, reason = f"crashed (exit {run.returncode})", run.stderr.strip().splitlines()[-1:]
        elif r["refused"]:
            outcome, reason = "refused", r["refused"][:140]
        else:
            outcome, reason = f"{r['rows_read']:,} rows read, {r['rows_accepted']:,} accepted", ""
    return {"wall_s": run.wall_s, "peak_rss_mb": run.peak_rss_mb, "outcome": outcome, "reason": reason,
            "exit": run.returncode}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20,200,2000", help="MB, comma-separated")
    ap.add_argument("--tree", type=Path, help="another checkout to measure (PYTHONPATH)")
    ap.add_argument("--raise-limit", action="store_true")
    ap.add_argument("--kinds", default="realistic,sparse,random", help="which inputs, comma-separated")
    ap.add_argument("--xlsx-rows", default="", help="also xlsx workbooks of these many grants, comma-separated")
    ap.add_argument("--ods-rows", default="", help="also .ods workbooks of these many grants, comma-separated")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(header("Bounded inputs: grants CSV through validate and the ingest"))
    if args.tree:
        print(f"Code measured: {args.tree}\n")
    kinds = args.kinds.split(",")
    inputs = [(f"realistic {s} MB", realistic(s), None) for s in sizes if s and "realistic" in kinds]
    inputs += [(f"sparse {s} MB", sparse(s), None) for s in sizes if "sparse" in kinds]
    inputs += [(f"random {s} MB", random_bytes(s), None) for s in sizes if s <= 200 and "random" in kinds]
    inputs += [(f"xlsx {int(n):,} rows", workbook(int(n)), None) for n in filter(None, args.xlsx_rows.split(","))]
    inputs += [(f"ods {int(n):,} rows", ods_workbook(int(n)), None) for n in filter(None, args.ods_rows.split(","))]
    if args.raise_limit:
        inputs += [(f"realistic {s} MB, limits raised", realistic(s), RAISED) for s in sizes if s <= 200]
    rows = []
    for label, path, env in inputs:
        for kind in ("validate", "ingest"):
            m = measure(kind, path, args.tree, env)
            print(f"  {label} {kind}: {m}", file=sys.stderr, flush=True)
            rows.append([label, kind, m["wall_s"], m["peak_rss_mb"], m["outcome"], m["reason"]])
    print(table(["input", "through", "seconds", "peak RSS MB", "outcome", "message (start)"], rows))


if __name__ == "__main__":
    main()
