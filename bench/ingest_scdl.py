"""SCDL grants: the project's reader + validation vs `frictionless validate`, same file, same errors.

    nice -n 10 .venv/bin/python -m bench.ingest_scdl --rows 200000

The file: rows of the scale-1 sample's grant files (`solidarity sample`), cycled to
`--rows`, normalised so that both tools read them the same way (ISO dates, 16 cells,
decimal-comma amounts), then a few rows broken on purpose every `--error-every` rows:
amount "NC", a negative amount, an impossible date, an empty beneficiary name.

Frictionless gets a Table Schema (bench/scdl-blocking.schema.json) with the rules our
reader enforces as *errors* (blocking columns required and typed, amount >= 0); other
columns are strings, because our reader only *warns* on them (SIRET, RNA, percentages...)
and a warning does not reject a row. The script checks that both reject the same rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from pathlib import Path

from bench.common import OUT, PROJECT_PYTHON, ROOT, emit, header, run_child, table

SCHEMA = ROOT / "bench" / "scdl-blocking.schema.json"
COLUMNS = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
           "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
           "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide"]
BREAKS = [("montant", "NC"), ("montant", "-1500,00"), ("dateConvention", "2021-13-45"), ("nomBeneficiaire", "")]


def _sample_rows() -> list[list[str]]:
    from bench.ingest_iati import SAMPLE_DIR, sample_file

    sample_file()  # generates the sample if needed
    rows = []
    for path in sorted((SAMPLE_DIR / "grants").glob("subventions_*.csv")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a file with the sample's deliberate encoding flaw: skip it
        reader = csv.DictReader(text.splitlines(), delimiter=";")
        if reader.fieldnames != COLUMNS:
            continue  # a file with the deliberate header flaws: skip it
        rows += [_normalise(rec) for rec in reader]
    return rows


def _normalise(rec: dict) -> list[str]:
    date = rec["dateConvention"] if len(rec["dateConvention"] or "") == 10 and rec["dateConvention"][4] == "-" \
        else "2020-06-15"
    try:
        amount = f"{abs(float((rec['montant'] or '0').replace(' ', '').replace(',', '.'))):.2f}".replace(".", ",")
    except ValueError:
        amount = "1000,00"
    out = {**{c: (rec.get(c) or "") for c in COLUMNS}, "dateConvention": date, "montant": amount}
    out["nomBeneficiaire"] = out["nomBeneficiaire"].strip() or "Association sans nom"
    return [out[c] for c in COLUMNS]


def build_file(n_rows: int, error_every: int) -> tuple[Path, set[int]]:
    """The CSV and the physical lines (header = 1) broken on purpose."""
    dest = OUT / f"scdl-{n_rows}.csv"
    base = _sample_rows()
    broken: set[int] = set()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(n_rows):
            row = list(base[i % len(base)])
            if i % error_every == error_every // 2:
                col, value = BREAKS[(i // error_every) % len(BREAKS)]
                row[COLUMNS.index(col)] = value
                broken.add(i + 2)
            writer.writerow(row)
    return dest, broken


# --- workers ------------------------------------------------------------------------------

def work_project(path: str) -> dict:
    from pipelines.sources.scdl import read_grants

    start = time.perf_counter()
    result = read_grants(path)
    # The problems as the warehouse loads them (`ReadResult.rejected`, one row per problem)
    rejected = result.rejected
    seconds = time.perf_counter() - start
    errors = sorted({int(r) for r in rejected.filter(severity="error")["source_row"]})
    # Every problem as a `Problem` object too (`result.problems`: built on first access;
    # here 200,000 montant_format warnings, one per decimal-comma amount)
    start = time.perf_counter()
    assert sorted({int(p.source_row) for p in result.problems if p.severity == "error"}) == errors
    objects = time.perf_counter() - start
    return {"seconds": seconds, "objects_s": objects, "rows": result.rows_read, "error_rows": errors,
            "problems": rejected.height}


def measure_frictionless(path: Path) -> dict:
    exe = ROOT / ".venv" / "bin" / "frictionless"
    # Relative names: frictionless refuses paths outside its base path (the working directory).
    shutil.copy(SCHEMA, path.parent / SCHEMA.name)
    argv = [str(exe), "validate", "--json", "--schema", SCHEMA.name, "--limit-errors", "100000",
            "--dialect", json.dumps({"csv": {"delimiter": ";"}}), path.name]
    run = run_child(argv, cwd=path.parent)
    # frictionless prints the whole report as one indented JSON document (exit 1 when invalid)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return {"kind": "frictionless", "error": run.stderr.strip().splitlines()[-1:] or ["no report"]}
    task = report["tasks"][0]
    rows = sorted({e["rowNumber"] for e in task["errors"] if e.get("rowNumber")})
    return {"kind": "frictionless", "seconds": run.wall_s, "peak_rss_mb": run.peak_rss_mb,
            "rows": task["stats"].get("rows"), "error_rows": rows,
            "error_types": sorted({e["type"] for e in task["errors"]})}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--error-every", type=int, default=20_000)
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        emit(work_project(args.worker[1]))
        return

    print(header("SCDL ingest and validation"))
    path, broken = build_file(args.rows, args.error_every)
    mb = path.stat().st_size / 1e6
    run = run_child([str(PROJECT_PYTHON), "-m", "bench.ingest_scdl", "--worker", "project", str(path)], cwd=ROOT)
    if run.returncode != 0:
        sys.exit(run.stderr)
    # Whole-process wall time for both (frictionless is timed as its CLI), and the reader's own time.
    # Whole process minus the optional Problem objects: read, validate, problems frame.
    project = {"kind": "project reader", "seconds": run.wall_s - run.result["objects_s"],
               "inner": run.result["seconds"], "objects_s": run.result["objects_s"],
               "peak_rss_mb": run.peak_rss_mb, **{k: run.result[k] for k in ("rows", "error_rows", "problems")}}
    fric = measure_frictionless(path)
    print(f"  project: {project}\n  frictionless: {fric}", file=sys.stderr)
    rows = []
    for r in (project, fric):
        if "error" in r:
            rows.append([r["kind"], "failed: " + " ".join(r["error"]), "", "", "", "", ""])
            continue
        same = "yes" if set(r["error_rows"]) == broken else f"no ({len(r['error_rows'])} rows)"
        rows.append([r["kind"], r["seconds"], r["rows"] or "", mb / r["seconds"], r["peak_rss_mb"],
                     len(r["error_rows"]), same, f"{r['seconds'] / project['seconds']:.1f}x"])
    print(f"File: {mb:.0f} MB, {args.rows:,} rows, {len(broken)} rows broken on purpose.\n")
    print(table(["tool", "seconds (whole process)", "rows", "MB/s", "peak RSS MB", "rows rejected",
                 "exactly the broken rows", "project speed vs this"], rows))
    print(f"\nProject reader's own time (imports excluded): {project['inner']:.2f} s;"
          f" building its {project['problems']:,} problems as Problem objects adds {project['objects_s']:.2f} s"
          f" (speed vs frictionless counting them: {fric.get('seconds', 0) / (project['seconds'] + project['objects_s']):.1f}x)")


if __name__ == "__main__":
    main()
