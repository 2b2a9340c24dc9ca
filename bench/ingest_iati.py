"""IATI ingest, side by side on the same files: the project's reader, a bare iterparse pass
(the practical limit) and iatiflattener (the IATI community's flattener).

    nice -n 10 .venv/bin/python -m bench.ingest_iati --sizes 50,540
    .venv/bin/python -m bench.ingest_iati --sizes 5 --no-peer      # quick look

*project* is `iter_activity_batches` as the pipeline consumes it (each batch dropped
once counted); *warehouse* adds the raw/iati asset's writes (batches appended to a DuckDB
file by `ingest_source`). Files are built by repeating the activities of `solidarity sample` (scale 1, ~13.5 MB,
~4,300 activities, ~33,000 transactions) with identifiers made unique per copy, streamed
to disk. Each reader runs in its own child process: its own time (imports excluded)
and its own peak RSS. iatiflattener runs from bench/.venv-peers (see bench/README.md for the peer virtualenv).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.common import OUT, PEER_PYTHON, PROJECT_PYTHON, ROOT, emit, header, run_child, table

SAMPLE_DIR = OUT / "iati-sample"
ROOT_CLOSE = b"</iati-activities>"


def sample_file() -> Path:
    """The scale-1 sample's IATI file (generated once, deterministic)."""
    xml = SAMPLE_DIR / "iati" / "region-activities.xml"
    if not xml.exists():
        cli = ROOT / ".venv" / "bin" / "solidarity"
        run = run_child([str(cli), "sample", "--out", str(SAMPLE_DIR)])
        if run.returncode != 0:
            sys.exit(f"solidarity sample failed:\n{run.stderr}")
    return xml


def build_file(target_mb: float, dest: Path | None = None) -> Path:
    """An IATI file of about target_mb MB: the sample's activities repeated, streamed out.

    Copies are byte slices of the sample (no parsing): the prolog and root start tag once,
    then the activity block n times with `<iati-identifier>` prefixed `Rk-` so every
    activity stays distinct, then the closing tag."""
    src = sample_file().read_bytes()
    body_start = src.index(b"<iati-activity ")
    body_end = src.rindex(ROOT_CLOSE)
    head, body = src[:body_start], src[body_start:body_end]
    dest = dest or OUT / f"iati-{target_mb:g}mb.xml"
    copies = max(1, round(target_mb * 1e6 / len(body)))
    if dest.exists() and dest.stat().st_size == len(head) + copies * len(body) + len(ROOT_CLOSE) + 1:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as fh:
        fh.write(head)
        for k in range(copies):
            fh.write(body.replace(b"<iati-identifier>", b"<iati-identifier>R%d-" % k))
        fh.write(ROOT_CLOSE + b"\n")
    return dest


# --- workers: run in a child process, print one JSON line -------------------------------

def work_project(path: str) -> dict:
    """The reader as the pipeline runs it: batches, each dropped once counted."""
    from pipelines.sources.iati import iter_activity_batches

    start, cpu = time.perf_counter(), time.process_time()
    activities = rows = transactions = 0
    for batch in iter_activity_batches(path):
        activities += batch.rows_read
        rows += sum(frame.height for frame in batch.tables.values())
        transactions += batch.tables["transactions"].height
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_s": cpu, "activities": activities, "rows": rows,
            "transactions": transactions}


def work_project_whole(path: str) -> dict:
    """`read_activities`: the whole file as one ReadResult (tests, `solidarity validate`)."""
    from pipelines.sources.iati import read_activities

    start, cpu = time.perf_counter(), time.process_time()
    result = read_activities(path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = sum(frame.height for frame in result.tables.values())
    return {"seconds": seconds, "cpu_s": cpu, "activities": result.rows_read, "rows": rows,
            "transactions": result.tables["transactions"].height}


def work_warehouse(path: str) -> dict:
    """The raw/iati asset's work: batches appended to a DuckDB file (the pipeline's ingest)."""
    import tempfile

    import duckdb

    from pipelines.ingest import ingest_source
    from pipelines.sources.contracts import IATI_TABLES
    from pipelines.sources.iati import iter_activity_batches

    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        conn = duckdb.connect(str(Path(tmp) / "w.duckdb"))
        start, cpu = time.perf_counter(), time.process_time()
        stats = ingest_source(conn, "iati", [Path(path)], iter_activity_batches, IATI_TABLES)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu  # cpu: every DuckDB thread too
        transactions = conn.execute("select count(*) from raw.transactions").fetchall()[0][0]
        conn.close()
    return {"seconds": seconds, "cpu_s": cpu, "activities": stats["rows_read"], "transactions": transactions}


def bare_pass(path: str) -> int:
    """The practical limit: the same iterparse (same safety options) over every activity,
    freeing each one, reading nothing from it."""
    from lxml import etree

    count = 0
    for _event, act in etree.iterparse(path, events=("end",), tag="iati-activity", resolve_entities=False,
                                       no_network=True, load_dtd=False, huge_tree=False, remove_comments=True):
        count += 1
        act.clear(keep_tail=False)
        parent = act.getparent()
        while act.getprevious() is not None:
            del parent[0]
    return count


def work_bare(path: str) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    count = bare_pass(path)
    return {"seconds": time.perf_counter() - start, "cpu_s": time.process_time() - cpu, "activities": count}


WORKERS = {"project": work_project, "project-whole": work_project_whole, "warehouse": work_warehouse,
           "bare": work_bare}


def measure(kind: str, path: Path) -> dict:
    if kind == "iatiflattener":
        out = path.parent / f"flat-{path.stem}"
        argv = [str(PEER_PYTHON), str(ROOT / "bench" / "peers" / "iatiflattener_worker.py"), str(path), str(out)]
    else:
        argv = [str(PROJECT_PYTHON), "-m", "bench.ingest_iati", "--worker", kind, str(path)]
    run = run_child(argv, cwd=ROOT)
    if run.returncode != 0 or not run.result:
        return {"kind": kind, "error": run.stderr.strip().splitlines()[-1:] or [f"exit {run.returncode}"]}
    return {"kind": kind, "peak_rss_mb": run.peak_rss_mb, "wall_s": run.wall_s, **run.result}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50,540", help="file sizes in MB, comma-separated")
    ap.add_argument("--no-peer", action="store_true", help="skip iatiflattener")
    ap.add_argument("--peer-max-mb", type=float, default=1e9, help="skip iatiflattener above this size")
    ap.add_argument("--extra", nargs="*", default=["warehouse"], choices=["warehouse", "project-whole"],
                    help="also measure these: warehouse = batches appended to DuckDB (the raw/iati asset), "
                    "project-whole = read_activities (one ReadResult for the file)")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        emit(WORKERS[args.worker[0]](args.worker[1]))
        return

    print(header("IATI ingest"))
    rows = []
    for size in (float(s) for s in args.sizes.split(",")):
        path = build_file(size)
        mb = path.stat().st_size / 1e6
        kinds = ["bare", "project", *args.extra]
        if not args.no_peer and PEER_PYTHON.exists() and size <= args.peer_max_mb:
            kinds.append("iatiflattener")
        results = {k: measure(k, path) for k in kinds}
        for k, r in results.items():
            print(f"  {mb:.0f} MB {k}: {r}", file=sys.stderr, flush=True)
        project = results["project"]
        for k, r in results.items():
            if "error" in r:
                rows.append([f"{mb:,.0f}", k, "failed: " + " ".join(r["error"]), "", "", "", "", "", "", "", ""])
                continue
            ratio = r["seconds"] / project["seconds"] if "seconds" in project else float("nan")
            # CPU time: on 2 cores shared with other jobs, wall time mostly measures the neighbours
            cpu_ratio = (r["cpu_s"] / project["cpu_s"]) if "cpu_s" in r and "cpu_s" in project else None
            activities = r.get("activities") or 0
            rows.append([
                f"{mb:,.0f}", k, r["seconds"], r.get("cpu_s", ""), mb / r["seconds"],
                f"{activities / r['seconds']:,.0f}" if activities else "",
                activities or "", (r.get("transactions") or r.get("rows") or ""),
                r["peak_rss_mb"], f"{ratio:.2f}x", "" if cpu_ratio is None else f"{cpu_ratio:.2f}x",
            ])
    print(table(["file MB", "reader", "wall s", "CPU s", "MB/s (wall)", "activities/s (wall)", "activities",
                 "transaction rows",
                 "peak RSS MB", "its wall time / project's", "its CPU time / project's"], rows))


if __name__ == "__main__":
    main()
