"""The local readers in batches (issue 19): peak RSS and time of reading a payments CSV and an
iCalendar agenda of ~10 MB to ~200 MB (`--payments 10,200,2000` for ~2 GB), before and after.

    nice -n 10 .venv/bin/python -m bench.stream_local [--payments 10,200] [--ics 10,50] [--before DIR]

Inputs, written to bench/out/stream_local/: the rows of the readers' tests repeated to the
size, each with its own key (order number, UID) so that the primary key holds:
- payments: 50 rows (SIRET, SIREN, decision and grant references, a reversal, a bad
  date: one row in 25 is rejected), ~80 bytes a row;
- ics: 8 VEVENTs (time zones, an all-day event, an unknown category, an end before its
  start: one in 8 rejected), ~330 bytes an event.
Each measurement is one child process (`common.run_child`: wall time, peak RSS from
`os.wait4`), run from /tmp with PYTHONPATH set to the tree measured:
- read: the reader, its result counted then dropped: before, the whole-file reader
  (`read_payments`, `read_events`); after, the batches (`payment_batches`,
  `event_batches`) as `pipelines.ingest` takes them;
- ingest: `pipelines.ingest.ingest_source` of that one file into a fresh DuckDB, as the
  asset runs it (before: the whole-file reader; after: the batch reader); above
  `--ingest-both-max` MB, after only.
`--xlsx 50,500` (thousands of SCDL rows) measures the workbook guard (`workbook_*.py`, which
streams the sheet XML a MiB at a time) alone and followed by calamine's read of the sheet,
as `pipelines.sources.scdl.split` reads it.
`--before DIR` is a copy of `pipelines/` from before the change (with `data/` beside it);
without it only "after" runs. The size limits (`pipelines.limits`: 20 MB for a local CSV,
100 MB and 200,000 events for an agenda) are raised for every run, to measure reading.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from bench.common import OUT, PROJECT_PYTHON, ROOT, header, run_child, table

WORK = OUT / "stream_local"
MB = 1_000_000
RAISED = {"SOLIDARITY_MAX_LOCAL_CSV_BYTES": "4000000000", "SOLIDARITY_MAX_ICS_BYTES": "4000000000",
          "SOLIDARITY_MAX_ICS_EVENTS": "100000000", "SOLIDARITY_READ_WORKERS": "1",
          "SOLIDARITY_MAX_TABLE_CELLS": "1000000000", "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES": "4000000000"}

SIRET, SIREN = "78467169500087", "380475558"  # valid Luhn keys (tests/luhn.py)
PAY_HEADER = "numero_mandat;date_paiement;montant;reference_decision;siret_beneficiaire;reference_subvention\n"
PAY_ROWS = [
    "{n};2024-01-15;12500,00;CP-2024-03-117;" + SIRET + ";",
    "{n};2024-02-01;3333,33;;;subventions_2024.csv:57",
    "{n};2024-02-10;-1500,50;CP-2024-03-117;;",
    "{n};2024-03-01;800,00;;" + SIREN + ";",
    "{n};2024-03-08;99.99;;" + SIRET + ";",
]
PAY_BAD = "{n};2024-02-30;75,25;CP-2024-01-002;;"  # no 30 February: rejected, its euros set aside

ICS_HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Festisol//Agenda//FR\r\n"
ICS_EVENTS = [
    ("Ciné-débat « Demain »", ";TZID=Europe/Paris:20241116T200000", ";TZID=Europe/Paris:20241116T223000",
     "Cinéma Le Zola\\, 69100 Villeurbanne", "Projection"),
    ("Conférence en visio", ";TZID=America/New_York:20241120T090000", ":20241120T160000Z",
     "Maison des associations\\, 42000 Saint-Étienne", "Conférence-débat"),
    ("Marché équitable", ";VALUE=DATE:20241123", ";VALUE=DATE:20241124", "Place Bellecour\\, Lyon", "Marché équitable"),
    ("Flashmob solidaire", ":20240701T120000Z", ":20240701T130000Z", "Salle polyvalente\\, Saint-Denis", "Flashmob"),
    ("Atelier à l'envers", ":20241125T180000", ":20241125T170000", "MJC\\, Lyon", "Atelier"),
    ("Repas solidaire", ":20241126T190000", ":20241126T230000", "Salle des fêtes\\, 69100 Villeurbanne", "Repas"),
    ("Exposition photo", ";VALUE=DATE:20241101", ";VALUE=DATE:20241130", "Médiathèque\\, Lyon", "Exposition"),
    ("Concert", ":20241129T203000", ":20241129T230000", "Le Transbordeur\\, Villeurbanne", "Concert"),
]


SCDL_HEADER = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
               "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
               "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide"]
SCDL_ROW = ["Région Exemple", "23450002300028", "2024-03-12", "CP-2024-03-117", "Artisans du Monde",
            SIRET, "W691234567", "Festival des Solidarités 2024", "12500.5", "aide en numéraire", "unique",
            "2024-04-01", "", "false", "", "Éducation à la citoyenneté mondiale"]


def workbook_file(rows_k: int) -> Path:
    """An xlsx of `rows_k` thousand SCDL rows (xlsxwriter, constant memory: inline strings)."""
    path = WORK / f"subventions-{rows_k}k.xlsx"
    if path.exists():
        return path
    import xlsxwriter

    WORK.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("subventions")
    sheet.write_row(0, 0, SCDL_HEADER)
    for n in range(1, rows_k * 1000 + 1):
        sheet.write_row(n, 0, [*SCDL_ROW[:3], f"CP-{n:09d}", *SCDL_ROW[4:]])
    book.close()
    return path


def payments_file(size_mb: int) -> Path:
    path = WORK / f"mandats-{size_mb}mb.csv"
    if path.exists() and path.stat().st_size >= size_mb * MB:
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(PAY_HEADER)
        n, written = 0, len(PAY_HEADER)
        while written < size_mb * MB:
            lines = []
            for _ in range(10_000):
                n += 1
                pattern = PAY_BAD if n % 25 == 0 else PAY_ROWS[n % len(PAY_ROWS)]
                lines.append(pattern.format(n=f"2024-{n:09d}"))
            block = "\n".join(lines) + "\n"
            fh.write(block)
            written += len(block.encode())
    return path


def agenda_file(size_mb: int) -> Path:
    path = WORK / f"agenda-{size_mb}mb.ics"
    if path.exists() and path.stat().st_size >= size_mb * MB:
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(ICS_HEAD)
        n, written = 0, len(ICS_HEAD)
        while written < size_mb * MB:
            blocks = []
            for _ in range(2_000):
                n += 1
                title, start, end, where, category = ICS_EVENTS[n % len(ICS_EVENTS)]
                blocks.append(
                    f"BEGIN:VEVENT\r\nUID:fs-{n:09d}@agenda.example\r\nSUMMARY:{title}\r\nDTSTART{start}\r\n"
                    f"DTEND{end}\r\nLOCATION:{where}\r\nCATEGORIES:{category}\r\n"
                    f"ORGANIZER;CN=\"Collectif Festisol\":mailto:festisol@example.org\r\nEND:VEVENT\r\n")
            block = "".join(blocks)
            fh.write(block)
            written += len(block.encode())
        fh.write("END:VCALENDAR\r\n")
    return path


# Run from /tmp with PYTHONPATH=<tree>: the tree's `pipelines`, never this checkout's.
_WORKER = textwrap.dedent("""
    import json, sys, tempfile, time
    from functools import partial
    from pathlib import Path
    mode, kind, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    start = time.perf_counter()
    if kind == "xlsx":  # the guard streams the sheet XML; calamine then builds the sheet whole
        cells = 0
        if mode == "calamine":  # the reader's own loading (guard included): calamine, or its rules row by row past 500,000 cells
            from pipelines.sources.scdl.split import sheet_tables
            cells = sum(f.height * (f.width - 2) for f in sheet_tables(path, path.name))
        else:
            from pipelines.sources.scdl.workbook_guard import check_workbook
            check_workbook(path, path.name)
        print(json.dumps({"read": cells, "accepted": 0, "rejected": 0, "seconds": time.perf_counter() - start}))
        sys.exit(0)
    import pipelines.sources.local as local
    from pipelines.sources.contracts import EVENT_TABLES, PAYMENT_TABLES
    streaming = hasattr(local, "payment_batches")
    if kind == "payments":
        reader, tables, main = (local.payment_batches if streaming else local.read_payments), PAYMENT_TABLES, "payments"
    else:
        reader, tables, main = (local.event_batches if streaming else local.read_events), EVENT_TABLES, "events"
    if mode == "read":
        out = reader(path)
        batches = [out] if not streaming else out
        read = accepted = rejected = n = 0
        for batch in batches:
            n += 1
            read, accepted, rejected = read + batch.rows_read, accepted + batch.rows_accepted, rejected + batch.rows_rejected
            assert batch.tables[main].height == batch.rows_accepted
            del batch
        got = {"read": read, "accepted": accepted, "rejected": rejected, "batches": n}
    else:
        import duckdb
        from pipelines.ingest import ingest_source
        with tempfile.TemporaryDirectory() as tmp:
            conn = duckdb.connect(str(Path(tmp) / "w.duckdb"))
            stats = ingest_source(conn, kind, [path], reader, tables)
            conn.close()
        got = {"read": stats["rows_read"], "accepted": stats["rows_accepted"], "rejected": stats["rows_rejected"]}
    got["seconds"] = time.perf_counter() - start
    got["streaming"] = streaming
    print(json.dumps(got))
""")


def measure(tree: Path, mode: str, kind: str, path: Path) -> dict:
    run = run_child([str(PROJECT_PYTHON), "-c", _WORKER, mode, kind, str(path)],
                    env={**RAISED, "PYTHONPATH": str(tree)}, cwd=Path("/tmp"))
    if run.returncode != 0 or not run.result:
        return {"error": f"exit {run.returncode}: {run.stderr[-300:]}", "peak_rss_mb": run.peak_rss_mb, "wall_s": run.wall_s}
    return {**run.result, "peak_rss_mb": run.peak_rss_mb, "wall_s": run.wall_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", default="10,200", help="payments CSV sizes, MB, comma-separated ('' for none)")
    parser.add_argument("--ics", default="10,50", help="agenda sizes, MB ('' for none): ~1,800 events/s, 200 MB is ~7 min a run")
    parser.add_argument("--before", type=Path, help="a tree holding pipelines/ (and data/) from before issue 19")
    parser.add_argument("--before-max", type=int, default=200,
                        help="MB: bigger files are not read by the code before (it holds ~40x the file)")
    parser.add_argument("--ingest-both-max", type=int, default=10,
                        help="MB: above this, the ingest runs after only (its reading is measured by 'read')")
    parser.add_argument("--steps", default="read,ingest", help="read, ingest or both")
    parser.add_argument("--xlsx", default="", help="SCDL workbooks, thousands of rows ('' for none): "
                        "the guard (workbook_*.py) and calamine's read, this checkout only")
    args = parser.parse_args(argv)
    rows = []
    for rows_k in [int(s) for s in args.xlsx.split(",") if s]:
        path = workbook_file(rows_k)
        for mode in ("guard", "calamine"):
            got = measure(ROOT, mode, "xlsx", path)
            cells = got.get("error") or (f"{got['read']:,} cells" if got["read"] else "checked")
            rows.append(["xlsx", f"{path.stat().st_size / MB:,.1f}", mode, "after", got["peak_rss_mb"], got["wall_s"], "-", cells])
            print(rows[-1], file=sys.stderr, flush=True)
    for kind, sizes in (("payments", args.payments), ("ics", args.ics)):
        for size in [int(s) for s in sizes.split(",") if s]:
            path = payments_file(size) if kind == "payments" else agenda_file(size)
            actual = path.stat().st_size / MB
            for mode in args.steps.split(","):
                for label, tree in ([("before", args.before)] if args.before else []) + [("after", ROOT)]:
                    if label == "before" and (size > args.before_max or (mode == "ingest" and size > args.ingest_both_max)):
                        continue
                    got = measure(tree, mode, kind, path)
                    counts = "error: " + got["error"] if "error" in got else \
                        f"{got['read']:,} read, {got['accepted']:,} accepted, {got['rejected']:,} rejected"
                    rows.append([kind, f"{actual:,.0f}", mode, label, got["peak_rss_mb"], got["wall_s"],
                                 got.get("batches", "-"), counts])
                    print(rows[-1], file=sys.stderr, flush=True)
    print(header("Local readers in batches (issue 19)"))
    print(table(["file", "MB", "step", "code", "peak RSS MB", "wall s", "batches", "rows"], rows))


if __name__ == "__main__":
    main()
