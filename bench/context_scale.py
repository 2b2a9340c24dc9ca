"""The context layer at the registry's scale (issue 19): `solidarity context` over a generated
dump against a bare lxml pass over the same files, on the same cores, in the same run.

    nice -n 10 .venv/bin/python -m bench.context_scale [--mb 9000] [--publishers 1600] [--workers 2]

- the dump: `solidarity sample --registry N --registry-mb MB` into bench/out/registry-<MB>mb/
  (written once, kept: ~10 MB/s per worker on a quiet machine). With `--copies K`, a dump of
  MB/K megabytes and N/K publishers is written once and laid out K times under other publisher
  names (hard links: no disk, same bytes), so a 9 GB dump takes the time of a 1 GB one;
- *bare*: every activity file (organisation files, which the context sets aside unread per the
  registry's metadata, left out) parsed by lxml `iterparse` (elements cleared as they end, the
  reader's own way to keep memory flat), spread over the same number of processes, each file
  whole to one process, largest first — the least any reader of these files can cost;
  measured before and after the context run, the ratio taken against their mean (the machine
  is shared: a drift during the run shows as the two differing);
- *context*: `solidarity context --dump DIR --out OUT --workers N` from an empty OUT: wall time,
  CPU of the process tree, peak RSS of the tree (sampled every 0.2 s, summed over processes);
- *unchanged*: the same command again (every file hashed, none read);
- *one changed*: one publisher file gets a comment after its root element (same activities,
  another sha256), the command again: it must read that file only. The file is restored after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from bench.common import OUT, PROJECT_PYTHON, ROOT, header, table

SOLIDARITY = ROOT / ".venv" / "bin" / "solidarity"
POLL_S = 0.2


def ensure_dump(mb: int, publishers: int, workers: int, copies: int = 1) -> Path:
    if copies > 1:
        return copied_dump(ensure_dump(mb // copies, max(1, publishers // copies), workers), copies)
    dump = OUT / f"registry-{mb}mb"
    done = dump / ".complete"
    if not done.exists():
        shutil.rmtree(dump, ignore_errors=True)
        subprocess.run([str(SOLIDARITY), "sample", "--registry", str(publishers), "--registry-mb", str(mb),
                        "--out", str(dump), "--workers", str(workers)], check=True, cwd=ROOT)
        done.write_text("written by bench.context_scale\n")
    return dump


def copied_dump(base: Path, copies: int) -> Path:
    """`base` laid out `copies` times, publisher <p> as <p>-c<k> (data and metadata), hard-linked."""
    dump = base.with_name(f"{base.name}-x{copies}")
    done = dump / ".complete"
    if done.exists():
        return dump
    shutil.rmtree(dump, ignore_errors=True)
    for k in range(1, copies + 1):
        for folder in ("data", "metadata"):
            for source in (base / folder).rglob("*"):
                if source.is_dir():
                    continue
                relative = source.relative_to(base / folder)
                first = relative.parts[0]
                renamed = (f"{Path(first).stem}-c{k}{Path(first).suffix}" if len(relative.parts) == 1
                           else f"{first}-c{k}")
                target = dump / folder / renamed / Path(*relative.parts[1:]) if len(relative.parts) > 1 \
                    else dump / folder / renamed
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target)
    done.write_text(f"{base.name} laid out {copies} times by bench.context_scale\n")
    return dump


def activity_files(dump: Path) -> list[Path]:
    """The dump's activity files, largest first: organisation files (per the registry's metadata,
    as `solidarity context` tells them) are set aside unread by the context, so not parsed here."""
    from pipelines.context.dump import file_task

    files = []
    for path in (dump / "data").glob("*/*.xml"):
        if file_task(dump, dump, path.parent.name, path, {}).filetype != "organisation":
            files.append(path)
    return sorted(files, key=lambda p: p.stat().st_size, reverse=True)


def _bare_one(path: str) -> int:
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(path, events=("end",), tag="iati-activity", huge_tree=True):
        count += 1
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def _tree_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of a process and its children, now."""
    import psutil

    cpu = rss = 0.0
    try:
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            try:
                times, memory = p.cpu_times(), p.memory_info()
                cpu += times.user + times.system + times.children_user + times.children_system
                rss += memory.rss / 2**20
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        pass
    return cpu, rss


def measured(argv: list[str]) -> dict:
    """Wall, CPU (user + system of the process and every child it waited for) and the sampled peak
    RSS of the whole tree, of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    peak, done = {"mb": 0.0}, threading.Event()

    def poll() -> None:
        while not done.is_set():
            peak["mb"] = max(peak["mb"], _tree_usage(proc.pid)[1])
            done.wait(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    poller.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{out}")
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime  # wait4: this process, and its children it waited for
    return {"wall_s": wall, "cpu_s": cpu, "peak_tree_mb": peak["mb"], "output": out}


def bare_worker(workers: int, dump: str) -> None:
    files = [str(p) for p in activity_files(Path(dump))]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        activities = sum(pool.map(_bare_one, files, chunksize=1))
    print(json.dumps({"activities": activities, "files": len(files), "seconds": time.perf_counter() - started}))


def bare(dump: Path, workers: int) -> dict:
    run = measured([str(PROJECT_PYTHON), "-m", "bench.context_scale", "--bare-worker", str(dump), "--workers", str(workers)])
    run.update(json.loads(run["output"].strip().splitlines()[-1]))
    return run


def context(dump: Path, out: Path, workers: int) -> dict:
    run = measured([str(SOLIDARITY), "context", "--dump", str(dump), "--out", str(out), "--workers", str(workers)])
    read = re.search(r"files read: (\d+), skipped \(unchanged\): (\d+)", run["output"])
    run["files_read"], run["files_skipped"] = int(read.group(1)), int(read.group(2))
    run["activities"] = int(re.search(r"activities: (\d+)", run["output"]).group(1))
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=9000)
    parser.add_argument("--publishers", type=int, default=1600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--bare-worker")
    args = parser.parse_args()
    if args.bare_worker:
        return bare_worker(args.workers, args.bare_worker)

    dump = ensure_dump(args.mb, args.publishers, args.workers, args.copies)
    size_mb = sum(p.stat().st_size for p in activity_files(dump)) / 1e6
    out = OUT / f"context-{args.mb}mb"
    shutil.rmtree(out, ignore_errors=True)

    before = bare(dump, args.workers)
    first = context(dump, out, args.workers)
    after = bare(dump, args.workers)
    unchanged = context(dump, out, args.workers)
    changed_file = activity_files(dump)[len(activity_files(dump)) // 2]
    original = changed_file.read_bytes()
    try:  # a new file put in its place: a hard-linked copy's other names keep their bytes
        _replace(changed_file, original + b"\n<!-- bench.context_scale: same activities, another sha256 -->\n")
        one_changed = context(dump, out, args.workers)
    finally:
        _replace(changed_file, original)
    bare_wall = (before["wall_s"] + after["wall_s"]) / 2
    bare_cpu = (before["cpu_s"] + after["cpu_s"]) / 2

    print(header(f"Context layer over a generated registry dump: {size_mb:,.0f} MB of activity files, "
                 f"{before['files']} files, {args.workers} workers"))
    rows = [
        ["bare lxml pass, before", f"{before['wall_s']:.1f}", f"{before['cpu_s']:.1f}", f"{before['peak_tree_mb']:.0f}", "", before["activities"]],
        ["solidarity context, first read", f"{first['wall_s']:.1f}", f"{first['cpu_s']:.1f}", f"{first['peak_tree_mb']:.0f}",
         first["files_read"], first["activities"]],
        ["bare lxml pass, after", f"{after['wall_s']:.1f}", f"{after['cpu_s']:.1f}", f"{after['peak_tree_mb']:.0f}", "", after["activities"]],
        ["re-run, nothing changed", f"{unchanged['wall_s']:.1f}", f"{unchanged['cpu_s']:.1f}", f"{unchanged['peak_tree_mb']:.0f}",
         unchanged["files_read"], unchanged["activities"]],
        ["re-run, one file changed", f"{one_changed['wall_s']:.1f}", f"{one_changed['cpu_s']:.1f}", f"{one_changed['peak_tree_mb']:.0f}",
         one_changed["files_read"], one_changed["activities"]],
    ]
    print(table(["run", "wall s", "CPU s", "tree peak MB", "files read", "activities"], rows))
    print(f"\ncontext ÷ bare (mean of before and after): wall {first['wall_s'] / bare_wall:.2f}×, "
          f"CPU {first['cpu_s'] / bare_cpu:.2f}× (target: wall ≤ 3× on {args.workers} cores; peak < 2,000 MB)")
    print(json.dumps({"size_mb": size_mb, "bare_before": _summary(before), "first": _summary(first),
                      "bare_after": _summary(after), "unchanged": _summary(unchanged),
                      "one_changed": _summary(one_changed),
                      "wall_ratio": first["wall_s"] / bare_wall, "cpu_ratio": first["cpu_s"] / bare_cpu}))


def _replace(path: Path, content: bytes) -> None:
    tmp = path.with_name(path.name + ".bench-tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def _summary(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "output"}


if __name__ == "__main__":
    sys.exit(main())
