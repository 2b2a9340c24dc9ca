"""Full materialisation wall time, peak RSS and per-step time at several scales.

    nice -n 10 .venv/bin/python -m bench.pipeline_scale --scales 1,10,100 --svg docs/img/pipeline-scale.svg \
        --json bench/out/pipeline-scale.json

For each scale N: `solidarity sample --scale N` writes the raw files (timed apart, and
remembered in `bench/out/pipeline-xN/sample.json` so a rerun that reuses the files still
reports it), then a child process runs exactly what `solidarity materialize` runs
(`pipelines.run.materialize_all`: every asset and check, then the serving snapshot), with
the ephemeral Dagster instance kept so the run's event log can be read afterwards:
each step's time is its STEP_START → STEP_SUCCESS/FAILURE timestamps.

Memory of the whole process tree (the parent runs Dagster and DuckDB; the events and
grants readers may run in a pool of spawned processes, `pipelines.ingest`):
- parent peak: the child's own `ru_maxrss` (RUSAGE_SELF);
- largest pool process peak: the highest RSS this script saw in any descendant (polled; RUSAGE_CHILDREN
  is no use here: a fork+exec child keeps the forking parent's high-water mark, so it reports the parent);
- tree peak, sampled: the sum of the RSS of the child and all its descendants, polled every
  0.2 s by this script (psutil) — what the machine actually had to hold at once (shared
  library pages are counted once per process, so it errs high; a peak shorter than 0.2 s
  may be missed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import OUT, PROJECT_PYTHON, ROOT, header, run_child, table

CLI = ROOT / ".venv" / "bin" / "solidarity"
POLL_S = 0.2


def raw_size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


# --- the measured child -------------------------------------------------------------------

def worker(raw: Path, warehouse: Path, serving: Path) -> None:
    """Run `materialize_all` as the CLI does; print one JSON line with timings and memory."""
    import resource

    import psutil

    started_import = time.time()
    import dagster as dg

    import pipelines.run as run

    kept = dg.DagsterInstance.ephemeral()
    run.instance = lambda: kept  # the CLI's own default (ephemeral), held so its event log stays readable
    imported = time.time()
    outcome = run.materialize_all(raw, warehouse, serving)
    finished = time.time()
    print("\n".join(outcome.report_lines()), file=sys.stderr, flush=True)

    (dagster_run,) = kept.get_runs()
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    run_window = [math.inf, -math.inf]
    for entry in kept.all_logs(dagster_run.run_id):
        kind = entry.dagster_event_type
        if kind is None:
            continue
        run_window = [min(run_window[0], entry.timestamp), max(run_window[1], entry.timestamp)]
        if kind == dg.DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            steps[entry.step_key] = entry.timestamp - starts[entry.step_key]

    kib = 1024
    me, pool = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "success": outcome.success,
        "process_start_to_imports_s": imported - psutil.Process().create_time(),
        "imports_s": imported - started_import,
        "materialize_all_s": finished - imported,
        "run_events_s": run_window[1] - run_window[0],
        "steps": steps,
        # CPU seconds add up across processes (unlike peak RSS): the work done, whatever the neighbours do
        "parent_cpu_s": me.ru_utime + me.ru_stime,
        "children_cpu_s": pool.ru_utime + pool.ru_stime,
        "parent_peak_rss_mb": me.ru_maxrss / kib,
        # not the pool's peak: a fork+exec child starts with the forking parent's RSS high-water mark
        # (Linux keeps it across exec), so this is at least the parent's peak at the last fork
        "rusage_children_max_rss_mb": pool.ru_maxrss / kib,
    }), flush=True)


# --- the parent ---------------------------------------------------------------------------

def _rss_by_pid(proc) -> dict[int, float]:
    import psutil

    sizes = {}
    for p in [proc, *proc.children(recursive=True)]:
        try:
            sizes[p.pid] = p.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            pass  # ended between the listing and the read
    return sizes


def measure_materialize(raw: Path, warehouse: Path, serving: Path) -> dict:
    import psutil

    argv = [str(PROJECT_PYTHON), "-m", "bench.pipeline_scale", "--worker", str(raw), str(warehouse), str(serving)]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # ephemeral instance, as by default
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    # no extra niceness: the bench is run under `nice -n 10` already, and another +10 (19) leaves the
    # run almost no CPU whenever a neighbour's job is busy at priority 0
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    peak = {"mb": 0.0, "processes": 0}
    per_pid: dict[int, float] = {}
    done = threading.Event()

    def poll() -> None:
        handle = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                sizes = _rss_by_pid(handle)
            except psutil.NoSuchProcess:
                return
            peak["mb"], peak["processes"] = max(peak["mb"], sum(sizes.values())), max(peak["processes"], len(sizes))
            for pid, mb in sizes.items():
                per_pid[pid] = max(per_pid.get(pid, 0.0), mb)
            done.wait(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    poller.join()
    result = json.loads(out.decode().strip().splitlines()[-1]) if proc.returncode == 0 else {}
    if not result.get("success"):
        sys.exit(f"materialize {raw} failed ({proc.returncode}):\n{err.decode(errors='replace')[-4000:]}")
    children = [mb for pid, mb in per_pid.items() if pid != proc.pid]
    return {**result, "wall_s": wall, "tree_peak_rss_mb": peak["mb"], "max_processes": peak["processes"],
            "largest_child_peak_rss_mb": max(children, default=0.0), "children_seen": len(children),
            "cpu_s": result["parent_cpu_s"] + result["children_cpu_s"], "load_before": load_before,
            "load_after": os.getloadavg()[0]}


def run_scale(n: int, keep: bool) -> dict:
    work = OUT / f"pipeline-x{n}"
    raw = work / "raw"
    timing = work / "sample.json"
    if not raw.exists():
        gen = run_child([str(CLI), "sample", "--out", str(raw), "--scale", str(n)], nice=0)
        if gen.returncode != 0:
            sys.exit(f"sample --scale {n} failed:\n{gen.stderr}")
        timing.write_text(json.dumps({"sample_s": gen.wall_s, "peak_rss_mb": gen.peak_rss_mb}))
    sample = json.loads(timing.read_text()) if timing.exists() else {"sample_s": float("nan")}
    for name in ("warehouse.duckdb", "serving.duckdb"):
        (work / name).unlink(missing_ok=True)
    run = measure_materialize(raw, work / "warehouse.duckdb", work / "serving.duckdb")
    result = {"scale": n, "raw_mb": raw_size_mb(raw), "sample_s": sample["sample_s"], "materialize_s": run["wall_s"],
              "peak_rss_mb": run["tree_peak_rss_mb"], "warehouse_mb": (work / "warehouse.duckdb").stat().st_size / 1e6,
              "serving_mb": (work / "serving.duckdb").stat().st_size / 1e6, **run}
    if not keep:
        shutil.rmtree(raw)
        (work / "warehouse.duckdb").unlink()
    return result


def step_group(step_key: str) -> str:
    """Steps are named domain__kind__name (asset key path): group by the first two parts."""
    parts = step_key.split("__")
    return "__".join(parts[:2]) if len(parts) > 2 else parts[0]


def step_rows(results: list[dict], top: int) -> list[list]:
    last = results[-1]["steps"]
    keys = sorted(last, key=last.get, reverse=True)[:top]
    return [[k, *(r["steps"].get(k, float("nan")) for r in results),
             f"{100 * last[k] / sum(last.values()):.0f} %"] for k in keys]


def group_rows(results: list[dict]) -> list[list]:
    grouped = [{} for _ in results]
    for g, r in zip(grouped, results):
        for k, s in r["steps"].items():
            g[step_group(k)] = g.get(step_group(k), 0.0) + s
    order = sorted(grouped[-1], key=grouped[-1].get, reverse=True)
    rows = [[k, *(g.get(k, float("nan")) for g in grouped)] for k in order]
    rows.append(["all steps", *(sum(r["steps"].values()) for r in results)])
    rows.append(["Dagster outside steps", *(r["materialize_all_s"] - sum(r["steps"].values()) for r in results)])
    rows.append(["process start + imports", *(r["process_start_to_imports_s"] for r in results)])
    return rows


# --- the curve ----------------------------------------------------------------------------

def svg_plot(results: list[dict], title: str) -> str:
    """Seconds and peak RSS against scale on log-log axes; dashed: linear cost from the first scale."""
    w, h, left, right, top, bottom = 600, 340, 60, 170, 40, 50
    xs = [r["scale"] for r in results]
    series = [("materialise seconds", "materialize_s", "#0072B2"), ("peak RSS, MB (tree)", "peak_rss_mb", "#D55E00")]
    first = results[0]
    values = [r[k] for _, k, _ in series for r in results] + [first[k] * max(xs) / first["scale"] for _, k, _ in series]
    lo_y, hi_y = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    lo_x, hi_x = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    hi_x = max(hi_x, lo_x + 1)

    def px(x: float) -> float:
        return left + (w - left - right) * (math.log10(x) - lo_x) / (hi_x - lo_x)

    def py(y: float) -> float:
        return h - bottom - (h - top - bottom) * (math.log10(y) - lo_y) / (hi_y - lo_y)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<title>{title}</title>', f'<text x="{left}" y="22" font-size="14">{title}</text>']
    for e in range(lo_y, hi_y + 1):
        parts.append(f'<line x1="{left}" y1="{py(10 ** e):.1f}" x2="{w - right}" y2="{py(10 ** e):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{py(10 ** e) + 4:.1f}" text-anchor="end">{10 ** e:g}</text>')
    for e in range(lo_x, hi_x + 1):
        parts.append(f'<line x1="{px(10 ** e):.1f}" y1="{top}" x2="{px(10 ** e):.1f}" y2="{h - bottom}" stroke="#ddd"/>'
                     f'<text x="{px(10 ** e):.1f}" y="{h - bottom + 16}" text-anchor="middle">x{10 ** e:g}</text>')
    parts.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">scale (x sample), log</text>')
    for i, (label, key, colour) in enumerate(series):
        lin_end = first[key] * max(xs) / first["scale"]
        parts.append(f'<line x1="{px(first["scale"]):.1f}" y1="{py(first[key]):.1f}" x2="{px(max(xs)):.1f}" '
                     f'y2="{py(lin_end):.1f}" stroke="{colour}" stroke-dasharray="4 4" opacity="0.6"/>')
        points = " ".join(f"{px(r['scale']):.1f},{py(r[key]):.1f}" for r in results)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for r in results:
            parts.append(f'<circle cx="{px(r["scale"]):.1f}" cy="{py(r[key]):.1f}" r="3" fill="{colour}"/>'
                         f'<text x="{px(r["scale"]) + 6:.1f}" y="{py(r[key]) - 6:.1f}" fill="{colour}">{r[key]:,.0f}</text>')
        parts.append(f'<text x="{w - right + 10}" y="{top + 16 + 18 * i}" fill="{colour}">{label}</text>')
    parts.append(f'<text x="{w - right + 10}" y="{top + 52}" fill="#666">dashed: linear</text>'
                 f'<text x="{w - right + 10}" y="{top + 68}" fill="#666">from x{first["scale"]}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(*(Path(a) for a in sys.argv[2:]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--keep", action="store_true", help="keep the raw sample folders and warehouses (bench/out)")
    ap.add_argument("--top", type=int, default=12, help="slowest steps listed")
    ap.add_argument("--svg", type=Path, help="write the curve as an SVG file")
    ap.add_argument("--json", type=Path, help="write the results as JSON")
    args = ap.parse_args()
    print(header("Pipeline materialisation at scale"))
    results = []
    for n in (int(s) for s in args.scales.split(",")):
        results.append(run_scale(n, args.keep))
        brief = {k: v for k, v in results[-1].items() if k != "steps"}
        print(f"  {brief}", file=sys.stderr, flush=True)
        if args.json:  # written after each scale: a long run interrupted keeps what it measured
            args.json.write_text(json.dumps(results, indent=1))
    base = results[0]
    print(table(["scale", "raw MB", "sample s", "materialize s", "CPU s (tree)", "load 1 min before/after", "tree peak RSS MB", "parent peak MB",
                 "largest pool child MB", "snapshot MB", "s per unit of scale",
                 f"time ratio / scale ratio (vs x{base['scale']})", "CPU ratio / scale ratio"],
                [[f"x{r['scale']}", r["raw_mb"], r["sample_s"], r["materialize_s"], r["cpu_s"],
                  f"{r['load_before']:.1f} / {r['load_after']:.1f}", r["peak_rss_mb"],
                  r["parent_peak_rss_mb"], r["largest_child_peak_rss_mb"], r["serving_mb"], r["materialize_s"] / r["scale"],
                  f"{(r['materialize_s'] / base['materialize_s']) / (r['scale'] / base['scale']):.2f}",
                  f"{(r['cpu_s'] / base['cpu_s']) / (r['scale'] / base['scale']):.2f}"] for r in results]))
    scales = [f"x{r['scale']} s" for r in results]
    print("\nBy step group (seconds):\n")
    print(table(["group", *scales], group_rows(results)))
    print(f"\nSlowest {args.top} steps at x{results[-1]['scale']} (seconds):\n")
    print(table(["step", *scales, "share of steps"], step_rows(results, args.top)))
    if args.svg:
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        args.svg.write_text(svg_plot(results, "solidarity materialize: cost against scale"))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
