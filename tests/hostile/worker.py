"""A reader in a child process, one JSON request per line: a bound on every case.

The parent writes `{"source": ..., "path": ...}` and waits for one JSON line back
with a timeout; a reader that hangs (an entity bomb, a runaway regex) is killed
instead of hanging the test run. Run as a script: `python worker.py`.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback


@functools.cache
def _communes():
    from pipelines.reference import load_communes
    from pipelines.sources.local import build_commune_index

    return build_commune_index(load_communes())


def summarise(source: str, path: str) -> dict:
    from pipelines.sources.common import SourceError
    from pipelines.sources.iati import read_activities
    from pipelines.sources.local import read_events, read_jobs, read_organisations
    from pipelines.sources.scdl import read_grants

    readers = {
        "grants": (read_grants, "grants"),
        "iati": (read_activities, "activities"),
        "organisations": (read_organisations, "organisations"),
        "jobs": (read_jobs, "jobs"),
        "events": (lambda p: read_events(p, communes=_communes()), "events"),
    }
    reader, table = readers[source]
    try:
        result = reader(path)
    except SourceError as error:
        return {"refused": str(error), "source_file": error.source_file, "where": error.where}
    frame = result.tables[table]
    return {
        "refused": None,
        "rows_read": result.rows_read,
        "rows_rejected": result.rows_rejected,
        "accepted": frame.height,
        "problems": [
            {"source_file": p.source_file, "source_row": p.source_row, "field": p.field,
             "severity": p.severity, "message": p.message()}
            for p in result.problems
        ],
        # every text cell, to look for leaked file contents and check decoding
        "columns": {c: frame[c].cast(str).to_list() for c in frame.columns},
    }


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = summarise(request["source"], request["path"])
        except Exception as error:  # a crash is a finding: report it, keep serving
            answer = {"crash": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
