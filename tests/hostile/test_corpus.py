"""Every generated hostile file: refused clearly, or read with each bad row named.

For each case of `corpus.CASES` the file is written, then read in a child process
under a generous time bound (a bound against hangs, not a speed test), and:
- a refused file gives a SourceError naming the file and the line / XPath;
- otherwise rows read = accepted + rejected, the expected bad rows are rejected with
  an error naming file, row and field, flagged rows are kept with a warning naming
  them, and the good rows of the same file are all in the accepted table.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from pathlib import Path

import pytest

from .corpus import CASES, Case

PROJECT = Path(__file__).resolve().parents[2]
BOUND_SECONDS = 60


class Worker:
    """One reader process reused across cases; replaced after a timeout."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(Path(__file__).with_name("worker.py"))], cwd=PROJECT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def read(self, source: str, path: Path) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        self.proc.stdin.write(json.dumps({"source": source, "path": str(path)}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], BOUND_SECONDS)
        if not ready:
            self.close()
            pytest.fail(f"reader still running after {BOUND_SECONDS} s: a hang")
        line = self.proc.stdout.readline()
        assert line, "the reader process died"
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


def test_corpus_is_large_and_covers_every_source():
    sources = {c.source for c in CASES}
    assert len(CASES) >= 60
    assert sources == {"grants", "iati", "organisations", "jobs", "events"}
    assert any(c.filename.endswith(".xlsx") for c in CASES)
    assert any(c.filename.endswith(".ics") for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(case: Case, worker: Worker, tmp_path: Path):
    path = tmp_path / case.filename
    path.write_bytes(case.build())
    out = worker.read(case.source, path)
    assert "crash" not in out, out.get("traceback")
    for secret in case.never:
        assert secret not in json.dumps(out)

    if case.refused:
        assert out["refused"], f"expected the file to be refused, got {out}"
        assert case.filename in out["refused"]
        assert case.where in out["where"], out["refused"]
        return
    assert out["refused"] is None, out["refused"]

    problems = out["problems"]
    for p in problems:  # every message names its file, its row and (for a row) its field
        assert Path(p["source_file"]).name == case.filename
        assert p["source_row"], p["message"]
        assert p["message"].startswith(f"{p['source_file']}:{p['source_row']}:")
    errors = {p["source_row"] for p in problems if p["severity"] == "error"}
    assert out["rows_read"] == case.read
    assert out["accepted"] == case.accepted
    assert out["rows_read"] == out["accepted"] + out["rows_rejected"]
    assert errors == set(case.errors), [p["message"] for p in problems]
    for row, field in case.errors.items():
        fields = {p["field"] for p in problems if p["source_row"] == row and p["severity"] == "error"}
        assert field in fields, (row, fields)
    for row, field in case.warnings.items():
        fields = {p["field"] for p in problems if p["source_row"] == row and p["severity"] == "warning"}
        assert field in fields, (row, [p["message"] for p in problems if p["source_row"] == row])
    for column, wanted in case.values.items():
        assert set(wanted) <= set(out["columns"][column]), out["columns"][column]
