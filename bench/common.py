"""Shared helpers for the benchmark scripts: run a child, time it, read its peak RSS, print tables.

Every measurement runs in its own child process so that its peak RSS is its own
(`os.wait4` returns the rusage of exactly that child, unlike RUSAGE_CHILDREN which
is the maximum over every child ever waited for). Workers time their own work and
print one JSON line; the wall time of the whole child (imports included) is kept too.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
PEER_VENV = ROOT / "bench" / ".venv-peers"
PEER_PYTHON = PEER_VENV / "bin" / "python"
OUT = ROOT / "bench" / "out"  # git-ignored scratch space for generated files


@dataclass
class Run:
    argv: list[str]
    wall_s: float
    peak_rss_mb: float
    returncode: int
    result: dict = field(default_factory=dict)  # the worker's JSON line, if any
    stderr: str = ""
    stdout: str = ""


def run_child(argv: list[str], env: dict | None = None, cwd: Path | None = None, nice: int = 10) -> Run:
    """Run argv to completion; wall time, peak RSS (MB) and the last JSON line of its stdout."""
    full_env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}  # None: unset
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=cwd,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    # Read the pipes while the child runs (a full pipe would block it), then reap it with wait4.
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out.decode(errors="replace")
    result = {}
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                pass  # not a worker's line (e.g. an indented JSON document: see `stdout`)
            break
    # ru_maxrss is in KiB on Linux (its only platform here).
    return Run(argv, wall, usage.ru_maxrss / 1024, proc.returncode, result, err.decode(errors="replace")[-4000:], text)


def emit(result: dict) -> None:
    """A worker's single JSON result line (the parent reads the last one)."""
    print(json.dumps(result), flush=True)


def machine() -> str:
    """Cores, RAM and Python: printed with every table."""
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (pastes straight into docs/benchmarks.md)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(headers), sep, *(line(r) for r in cells)])


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def header(title: str) -> str:
    return f"## {title}\n\nMachine: {machine()}\nCommand: `{command_line()}`\n"
