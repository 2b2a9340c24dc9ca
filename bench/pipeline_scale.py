"""Full materialisation (`solidarity materialize`) wall time and peak RSS at several scales.

    nice -n 10 .venv/bin/python -m bench.pipeline_scale --scales 1,10 --svg docs/img/pipeline-scale.svg

For each scale N: `solidarity sample --scale N` writes the raw files (timed apart),
then `solidarity materialize` builds the warehouse and the serving snapshot in a
child process. Dagster runs every step in that process (in-process executor, one
DuckDB writer), so its peak RSS is the pipeline's; DuckDB's memory is inside it.
Cost per unit of scale (seconds / N) shows how close to linear the pipeline is.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from bench.common import OUT, ROOT, header, run_child, table

CLI = ROOT / ".venv" / "bin" / "solidarity"


def raw_size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def run_scale(n: int, keep: bool) -> dict:
    work = OUT / f"pipeline-x{n}"
    raw = work / "raw"
    if not raw.exists():
        gen = run_child([str(CLI), "sample", "--out", str(raw), "--scale", str(n)])
        if gen.returncode != 0:
            sys.exit(f"sample --scale {n} failed:\n{gen.stderr}")
        gen_s = gen.wall_s
    else:
        gen_s = float("nan")  # reused from an earlier run
    for name in ("warehouse.duckdb", "serving.duckdb"):
        (work / name).unlink(missing_ok=True)
    run = run_child([str(CLI), "materialize", "--raw", str(raw), "--warehouse", str(work / "warehouse.duckdb"),
                     "--serving", str(work / "serving.duckdb")], env={"DAGSTER_HOME": None})  # ephemeral instance, as by default
    if run.returncode != 0:
        sys.exit(f"materialize x{n} failed:\n{run.stderr}")
    result = {"scale": n, "raw_mb": raw_size_mb(raw), "sample_s": gen_s, "materialize_s": run.wall_s,
              "peak_rss_mb": run.peak_rss_mb, "serving_mb": (work / "serving.duckdb").stat().st_size / 1e6}
    if not keep:
        shutil.rmtree(raw)
    return result


def svg_plot(results: list[dict], title: str) -> str:
    """A small line chart (seconds and peak RSS against scale), no plotting library needed."""
    w, h, pad = 560, 300, 50
    xs = [r["scale"] for r in results]
    xmax = max(xs)
    series = [("materialize seconds", "materialize_s", "#0072B2"), ("peak RSS (MB)", "peak_rss_mb", "#D55E00")]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<title>{title}</title>', f'<text x="{pad}" y="20" font-size="14">{title}</text>',
             f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#444"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#444"/>',
             f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">scale (x sample)</text>']
    for x in xs:
        px = pad + (w - 2 * pad) * x / xmax
        parts.append(f'<text x="{px:.0f}" y="{h - pad + 16}" text-anchor="middle">{x}</text>')
    for i, (label, key, colour) in enumerate(series):
        first = results[0]
        lin_end = first[key] / first["scale"] * xmax  # linear cost from the first scale, at the last
        ymax = max(lin_end, *(r[key] for r in results)) * 1.1  # each series on its own scale (values labelled)
        points = " ".join(f"{pad + (w - 2 * pad) * r['scale'] / xmax:.1f},{h - pad - (h - 2 * pad) * r[key] / ymax:.1f}"
                          for r in results)
        # the straight line from the origin through the first point: what linear cost would be
        if len(results) > 1:
            parts.append(f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad - (h - 2 * pad) * lin_end / ymax:.1f}" '
                         f'stroke="{colour}" stroke-dasharray="4 4" opacity="0.5"/>')
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for r in results:
            px = pad + (w - 2 * pad) * r["scale"] / xmax
            py = h - pad - (h - 2 * pad) * r[key] / ymax
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>'
                         f'<text x="{px + 5:.1f}" y="{py - 5:.1f}" fill="{colour}">{r[key]:.0f}</text>')
        parts.append(f'<text x="{w - pad - 150}" y="{pad + 16 * i}" fill="{colour}">{label}</text>')
    parts.append(f'<text x="{w - pad - 150}" y="{pad + 32}" fill="#666">dashed: linear from x{results[0]["scale"]}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--keep", action="store_true", help="keep the raw sample folders (bench/out)")
    ap.add_argument("--svg", type=Path, help="write the curve as an SVG file")
    ap.add_argument("--json", type=Path, help="write the results as JSON")
    args = ap.parse_args()
    print(header("Pipeline materialisation at scale"))
    results = []
    for n in (int(s) for s in args.scales.split(",")):
        results.append(run_scale(n, args.keep))
        print(f"  {results[-1]}", file=sys.stderr, flush=True)
    base = results[0]
    rows = [[f"x{r['scale']}", r["raw_mb"], r["sample_s"], r["materialize_s"], r["peak_rss_mb"], r["serving_mb"],
             r["materialize_s"] / r["scale"],
             f"{(r['materialize_s'] / base['materialize_s']) / (r['scale'] / base['scale']):.2f}"] for r in results]
    print(table(["scale", "raw MB", "sample s", "materialize s", "peak RSS MB", "snapshot MB",
                 "s per unit of scale", f"time ratio / scale ratio (vs x{base['scale']})"], rows))
    if args.svg:
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        args.svg.write_text(svg_plot(results, "solidarity materialize: cost against scale"))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
