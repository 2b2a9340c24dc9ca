"""Quick same-run ratios for the regression guard (tests/test_bench_guard.py).

Each ratio is (project reader's time) / (the limit's time) on the same small file, in
the same process, best of a few runs: noise on a shared machine moves both sides.
    .venv/bin/python -m bench.guard --record    # re-measure and write bench/baseline.json
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

BASELINE = Path(__file__).resolve().parent / "baseline.json"
ROOT_CLOSE = b"</iati-activities>"


def paired_ratio(project, limit, repeat: int = 5) -> float:
    """min(project times) / min(limit times), the two run alternately so that a burst of
    load from a neighbour hits both sides rather than one."""
    times: dict = {project: [], limit: []}
    for _ in range(repeat):
        for fn in (limit, project):
            start = time.perf_counter()
            fn()
            times[fn].append(time.perf_counter() - start)
    return min(times[project]) / min(times[limit])


def slice_iati(src: Path, dest: Path, target_bytes: int) -> Path:
    """The first activities of src, whole, up to about target_bytes."""
    data = src.read_bytes()
    body_start = data.index(b"<iati-activity ")
    cut = data.find(b"</iati-activity>", body_start + target_bytes)
    cut = data.rindex(b"</iati-activity>") if cut < 0 else cut
    dest.write_bytes(data[:cut] + b"</iati-activity>\n" + ROOT_CLOSE + b"\n")
    return dest


def iati_ratio(path: Path) -> float:
    from bench.ingest_iati import bare_pass
    from pipelines.sources.iati import read_activities

    return paired_ratio(lambda: read_activities(path), lambda: bare_pass(str(path)))


def scdl_ratio(path: Path) -> float:
    """SCDL reader vs the stdlib csv module merely splitting the same file into cells."""
    from pipelines.sources.scdl import read_grants

    def split_only():
        with path.open(encoding="utf-8", newline="") as fh:
            for _ in csv.reader(fh, delimiter=";"):
                pass

    return paired_ratio(lambda: read_grants(path), split_only)


def guard_files(sample_dir: Path, work: Path) -> dict[str, Path]:
    """The guard's inputs from a scale-1 sample folder: ~4 MB of IATI, every clean grants file."""
    iati = slice_iati(sample_dir / "iati" / "region-activities.xml", work / "guard-iati.xml", 4_000_000)
    rows = []
    header = None
    for path in sorted((sample_dir / "grants").glob("subventions_*.csv")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        header = header or lines[0]
        if lines[0] == header:
            rows += lines[1:]
    grants = work / "guard-grants.csv"
    grants.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return {"iati": iati, "scdl": grants}


def measure(sample_dir: Path, work: Path) -> dict[str, float]:
    files = guard_files(sample_dir, work)
    return {"iati_reader_over_bare_iterparse": iati_ratio(files["iati"]),
            "scdl_reader_over_csv_split": scdl_ratio(files["scdl"])}


def main() -> None:
    import tempfile

    from pipelines.sample import write_sample

    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "raw"
        write_sample(sample, scale=1, seed=2026)
        ratios = measure(sample, Path(tmp))
    print(json.dumps(ratios, indent=1))
    if args.record:
        BASELINE.write_text(json.dumps({"recorded_on": "see docs/benchmarks.md", **ratios}, indent=1) + "\n")


if __name__ == "__main__":
    main()
