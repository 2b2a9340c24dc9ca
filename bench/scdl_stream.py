"""The SCDL CSV reader streams (issue 19): peak RSS of `solidarity validate` and of the ingest
at 20 MB, 200 MB and 2 GB, and `solidarity validate` against `frictionless validate` on 200 MB.

    nice -n 10 .venv/bin/python -m bench.scdl_stream [--sizes 20,200,2000] [--compare-mb 200] [--skip-compare]

Memory: the realistic grants CSVs of `bench.bounded_memory` (the sample's SCDL rows repeated:
a warning on every row, no error), each through two child processes (`run`: wall time and the
child's peak RSS from `os.wait4`, imports included): `python -m pipelines.cli validate FILE`
(its output to a file, counted, never held) and the ingest of that one file into a fresh
DuckDB (`bench.bounded_memory`'s worker: `ingest_source` as the grants asset runs it).
Target: peak RSS flat (within ±20 % of the 20 MB run) and under 500 MB.

Speed: `bench.ingest_scdl`'s rows, `--compare-mb` MB of them, 40 broken on purpose (`BREAKS`);
`solidarity validate FILE` and `frictionless validate` with `bench/scdl-blocking.schema.json`
(the rules the reader enforces as errors), both timed as whole processes in the same run, one
after the other. Same rows rejected: the `file:line:field: reason` lines that are errors (not
`[warning]`) against frictionless's rowNumber of each error. Target: frictionless time ÷
validate time >= 10.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.bounded_memory import WORK, measure, realistic
from bench.common import OUT, PROJECT_PYTHON, ROOT, header, table
from bench.ingest_scdl import COLUMNS, SCHEMA, _sample_rows

MB = 1_000_000


def run(argv: list[str], stdout: Path, cwd: Path = ROOT) -> tuple[float, float, int]:
    """Wall seconds, peak RSS MB (the child alone, os.wait4) and exit code; stdout to a file."""
    start = time.perf_counter()
    with stdout.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, cwd=cwd,
                                env={**os.environ, "SOLIDARITY_READ_WORKERS": "1"}, preexec_fn=lambda: os.nice(10))
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    stdout.with_suffix(".err").write_bytes(err)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def validate_errors(out: Path) -> tuple[set[int], int]:
    """The lines `solidarity validate` rejects (its error lines) and how many lines it printed."""
    rows, lines = set(), 0
    with out.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            lines += 1
            if line.strip() and not line.rstrip().endswith("[warning]"):
                rows.add(int(line.split(":", 2)[1]))
    return rows, lines


def memory(sizes: list[int]) -> list[list]:
    rows = []
    for size in sizes:
        path = realistic(size)
        mb = path.stat().st_size / MB
        seconds, rss, code = run([str(PROJECT_PYTHON), "-m", "pipelines.cli", "validate", str(path)],
                                 WORK / "validate.out")
        summary = (WORK / "validate.err").read_text().strip().splitlines()[-1:]
        _, printed = validate_errors(WORK / "validate.out")
        print(f"  validate {size} MB: {seconds:.1f} s, {rss:.0f} MB, {summary}", file=sys.stderr, flush=True)
        rows.append([f"realistic {mb:,.0f} MB", "validate", seconds, rss, mb / seconds,
                     f"{summary[0].split(': ', 1)[-1] if summary else f'exit {code}'}; {printed:,} lines printed"])
        m = measure("ingest", path, None)
        print(f"  ingest {size} MB: {m}", file=sys.stderr, flush=True)
        rows.append([f"realistic {mb:,.0f} MB", "ingest", m["wall_s"], m["peak_rss_mb"], mb / m["wall_s"],
                     m["outcome"] + (f" {m['reason']}" if m["reason"] else "")])
    return rows


# Broken on purpose so that both tools must reject the row: an amount that is no number, and a
# date that is no date with no payment period either (the reader takes the year from one or the
# other). A negative amount or an empty name, which `bench.ingest_scdl` also breaks, are only
# warnings for the reader today (the row is kept), errors for the schema: left out here.
BREAKS = [{"montant": "NC"}, {"dateConvention": "2021-13-45", "datesPeriodeVersement": ""}]


def build(n_rows: int, every: int) -> tuple[Path, set[int]]:
    """`bench.ingest_scdl.build_file`'s rows with the breaks above; the lines broken (header = 1)."""
    base = _sample_rows()
    path, broken = OUT / f"scdl-stream-{n_rows}.csv", set()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(n_rows):
            row = list(base[i % len(base)])
            if i % every == every // 2:
                for col, value in BREAKS[(i // every) % len(BREAKS)].items():
                    row[COLUMNS.index(col)] = value
                broken.add(i + 2)
            writer.writerow(row)
    return path, broken


def compare(size_mb: int) -> tuple[list[list], str]:
    n_rows = int(size_mb * MB / 255)  # the sample's normalised rows: ~255 bytes each
    path, broken = build(n_rows, max(n_rows // 40, 1))
    mb = path.stat().st_size / MB
    v_s, v_rss, _ = run([str(PROJECT_PYTHON), "-m", "pipelines.cli", "validate", str(path)], OUT / "compare.out")
    v_rows, printed = validate_errors(OUT / "compare.out")
    shutil.copy(SCHEMA, path.parent / SCHEMA.name)
    exe = ROOT / ".venv" / "bin" / "frictionless"
    f_s, f_rss, _ = run([str(exe), "validate", "--json", "--schema", SCHEMA.name, "--limit-errors", "100000",
                         "--dialect", json.dumps({"csv": {"delimiter": ";"}}), path.name], OUT / "frictionless.json",
                        cwd=path.parent)
    report = json.loads((OUT / "frictionless.json").read_text())
    task = report["tasks"][0]
    f_rows = {e["rowNumber"] for e in task["errors"] if e.get("rowNumber")}
    rows = [["`solidarity validate`", v_s, mb / v_s, v_rss, len(v_rows), "yes" if v_rows == broken else "no", 1.0],
            ["`frictionless validate`", f_s, mb / f_s, f_rss, len(f_rows), "yes" if f_rows == broken else "no",
             f_s / v_s]]
    note = (f"File: {mb:,.0f} MB, {n_rows:,} rows, {len(broken)} broken on purpose; validate printed {printed:,} "
            f"lines (a warning on every row: decimal-comma amounts). Same rows rejected by both: "
            f"{'yes' if v_rows == f_rows else 'no'}. Ratio frictionless ÷ validate: {f_s / v_s:.1f}x.")
    return rows, note


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20,200,2000", help="MB, comma-separated ('' to skip)")
    ap.add_argument("--compare-mb", type=int, default=200)
    ap.add_argument("--skip-compare", action="store_true")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(header("SCDL CSV streaming: memory from 20 MB to 2 GB, speed against frictionless"))
    if not args.skip_compare:
        rows, note = compare(args.compare_mb)
        print(table(["tool", "seconds (whole process)", "MB/s", "peak RSS MB", "rows rejected",
                     "exactly the broken rows", "frictionless time ÷ this"], rows))
        print(f"\n{note}\n")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        print(table(["input", "through", "seconds", "peak RSS MB", "MB/s", "outcome"], memory(sizes)))


if __name__ == "__main__":
    main()
